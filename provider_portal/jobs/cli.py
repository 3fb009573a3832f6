"""`flask jobs worker`: run the jobs queued on Redis, inside the portal's app."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from rq import Worker
from rq.serializers import JSONSerializer

from provider_portal.jobs import runner

jobs_cli = AppGroup("jobs", help="Background jobs (imports, email delivery).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def worker_command(burst: bool) -> None:
    """Run the jobs on the "portal" queue in Redis, one at a time, until stopped."""
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        raise click.UsageError(
            "REDIS_URL is not set: without Redis, jobs run in the web process and need no worker"
        )
    runner.serve_in_worker(current_app._get_current_object())  # type: ignore[attr-defined]
    queue = runner.worker_queue(url)
    worker = Worker([queue], connection=queue.connection, serializer=JSONSerializer)
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
