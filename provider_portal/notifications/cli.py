"""`flask notifications ...`: deliver the outbox, and queue the day's reminders and digests."""

from __future__ import annotations

from flask.cli import AppGroup

notifications_cli = AppGroup("notifications", help="Send notifications and reminders.")
