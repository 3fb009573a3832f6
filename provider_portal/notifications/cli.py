"""`flask notifications ...`: deliver the outbox, and queue the day's reminders and digests."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from provider_portal.extensions import db
from provider_portal.formatting import plural
from provider_portal.notifications.digests import send_digests
from provider_portal.notifications.kinds import KINDS
from provider_portal.notifications.reminders import queue_reminders
from provider_portal.reports.cli import as_of_option

notifications_cli = AppGroup("notifications", help="Send notifications and reminders.")


@notifications_cli.command("deliver")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many messages.")
def deliver_command(limit: int | None) -> None:
    """Send the emails that are due, then exit (exit status 1 only without a database)."""
    from provider_portal.error_pages import DATABASE_UNAVAILABLE
    from provider_portal.notifications.sender import deliver_pending

    try:
        report = deliver_pending(limit=limit)
    except DATABASE_UNAVAILABLE as error:
        raise click.ClickException(
            "The database cannot be reached, so nothing was sent. Try again when it is back."
        ) from error
    click.echo(str(report))


def deliver_after_queuing() -> None:
    """Send what was just queued, when no queue worker (REDIS_URL) is there to send it."""
    from provider_portal.notifications.sender import deliver_pending

    click.echo(str(deliver_pending()))


@notifications_cli.command("send-due")
@click.option(
    "--as-of", "as_of", help="Queue the reminders of this day, YYYY-MM-DD (default today)"
)
def send_due_command(as_of: str | None) -> None:
    """Queue the day's reminders, then the daily digests, and (without a queue) send them."""
    day = as_of_option(as_of)
    counts = queue_reminders(day)
    db.session.commit()
    for kind, count in counts.items():
        click.echo(f"{KINDS[kind].label}: {plural(count, 'notification')}")
    digests = send_digests(day)
    db.session.commit()
    click.echo(f"Daily summaries: {plural(digests, 'email')}")
    if not current_app.config.get("REDIS_URL"):
        deliver_after_queuing()
