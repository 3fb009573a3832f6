"""Marking a person's notifications read: one as they follow it, or all of them at once."""

from __future__ import annotations

from sqlalchemy import update

from provider_portal.extensions import db
from provider_portal.models.notifications import Notification
from provider_portal.models.types import utcnow


def mark_read(notification: Notification) -> None:
    """The person has followed the notification (the caller commits); read once, the time
    it was first read stays."""
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the person read (the caller commits); how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)
