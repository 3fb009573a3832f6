"""Demo data: `flask demo seed` for a believable installation, `flask demo generate` for a
dataset of any size, and `flask demo benchmark` to time the main pages against it."""

from flask.cli import AppGroup

from provider_portal.benchmark import benchmark_command
from provider_portal.demo.generate import generate_command
from provider_portal.demo.seed import seed_command

demo_cli = AppGroup("demo", help="Demo data.")
demo_cli.add_command(seed_command)
demo_cli.add_command(generate_command)
demo_cli.add_command(benchmark_command)
