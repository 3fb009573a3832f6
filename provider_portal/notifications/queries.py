"""Reading a person's own notifications: the page of them, one of them, and the unread count."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from provider_portal.extensions import db
from provider_portal.models import Allocation
from provider_portal.models.notifications import Notification
from provider_portal.pagination import Page, paginate


def unread_count(user_id: int) -> int:
    """How many of the person's notifications are unread: one COUNT, on the
    (user_id, read_at) index."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def _own(user_id: int) -> Select[Notification]:
    return select(Notification).where(Notification.user_id == user_id)


def notifications_page(user_id: int, page: int) -> Page[Notification]:
    """The person's notifications, newest first, each with its work's case and work type
    (two queries whatever the page holds)."""
    query = (
        _own(user_id)
        .options(
            joinedload(Notification.allocation).options(
                joinedload(Allocation.case), joinedload(Allocation.work_type)
            )
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    count = select(func.count()).select_from(Notification).where(Notification.user_id == user_id)
    return paginate(query, page, count=count)


def own_notification(user_id: int, notification_id: int) -> Notification | None:
    """One of the person's own notifications; None for anyone else's (or none at all)."""
    return db.session.scalar(_own(user_id).where(Notification.id == notification_id))
