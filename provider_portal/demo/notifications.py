"""The demo's notifications: dated by their events, the last week's left unread, and every
email marked as sent.

The seed builds its history through the services, so each event writes its notifications and
emails as it would in use, all stamped with the moment the seed ran. Here each notification
takes the day its event happened (from the allocation's own dates), those older than a week
are marked read, and the outbox's emails are marked sent: the demo has no mail server, and
a first run of the sender must not post a thousand emails about history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from provider_portal.extensions import db
from provider_portal.formatting import LONDON
from provider_portal.models import Allocation
from provider_portal.models.notifications import OUTBOX_SENT, Notification, OutboxMessage
from provider_portal.models.types import utcnow

# Notifications from the last UNREAD_DAYS days stay unread.
UNREAD_DAYS = 7
# A notification's kind -> the allocation's date of its event. The rest (the questions)
# happen as the seed runs: today.
EVENT_DAY = {
    "work_allocated": "allocated_on",
    "work_taken_on": "provider_accepted_on",
    "work_declined": "declined_on",
    "work_returned": "returned_on",
    "work_sent_back": "amendment_requested_on",
    "work_accepted": "accepted_on",
    "work_withdrawn": "withdrawn_on",
    # The seed shares out accepted work as it runs; an administrator would have done it when
    # the work was taken on.
    "work_assigned": "provider_accepted_on",
}


def _moment(day: date, notification_id: int, now: datetime) -> datetime:
    """A working-day time on the day (spread by the id, so a day's list reads naturally),
    never after now."""
    minutes = 9 * 60 + (notification_id * 37) % (8 * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON)
    return min(local.astimezone(UTC), now)


def settle_notifications(today: date) -> tuple[int, int]:
    """Date, read and send the seed's notifications (the caller commits); how many there
    are, and how many are left unread."""
    now = utcnow()
    recent = datetime.combine(today - timedelta(days=UNREAD_DAYS), time(0), tzinfo=LONDON)
    rows = db.session.execute(
        select(Notification, Allocation)
        .outerjoin(Allocation, Allocation.id == Notification.allocation_id)
        .order_by(Notification.id)
    )
    total = unread = 0
    for notification, allocation in rows:
        column = EVENT_DAY.get(notification.kind)
        day = getattr(allocation, column) if allocation is not None and column else None
        notification.created_at = _moment(day or today, notification.id, now)
        if notification.created_at < recent:
            notification.read_at = notification.created_at
        else:
            unread += 1
        total += 1
    db.session.execute(
        update(OutboxMessage).values(status=OUTBOX_SENT, sent_at=now),
        execution_options={"synchronize_session": False},
    )
    return total, unread
