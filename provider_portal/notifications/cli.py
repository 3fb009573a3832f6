"""`flask notifications ...`: deliver the outbox, and queue the day's reminders and digests."""

from __future__ import annotations

import click
from flask.cli import AppGroup

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
