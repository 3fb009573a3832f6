"""`flask demo seed`: a believable demo installation."""

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")
