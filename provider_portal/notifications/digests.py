"""The daily digest: one email a day to each person who chose "daily" for some kinds, listing
the notifications that waited for it, which are then marked as sent.

The digest's fields hold only each notification's label, case reference and link. Its dedupe
key (digest:<person>:<date>) lets a second run on the same day send nothing new: a notification
that arrives after the day's digest waits for the next day's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager, joinedload

from provider_portal.extensions import db
from provider_portal.models import Allocation, Case, User
from provider_portal.models.notifications import (
    DIGEST_SENT,
    DIGEST_WAITING,
    Notification,
    OutboxMessage,
)
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER
from provider_portal.notifications.links import notifications_link, work_link
from provider_portal.notifications.services import (
    KEYS_PER_QUERY,
    outbox_row,
    queue_emails,
    taken_keys,
)

DIGEST_TEMPLATE = "digest"
# The most notifications one digest lists; the rest are counted, with a link to see them.
DIGEST_LINES = 50


def digest_key(user_id: int, as_of: date) -> str:
    """The dedupe key of a person's digest for a day."""
    return f"digest:{user_id}:{as_of.isoformat()}"


def _line(notification: Notification, user: User, link: str) -> dict[str, str]:
    allocation = notification.allocation
    if allocation is None:
        return {"label": KINDS[notification.kind].label, "case_ref": "", "link": link}
    side = PROVIDER if user.is_provider_user else COUNCIL
    return {
        "label": KINDS[notification.kind].label,
        "case_ref": allocation.case.case_ref,
        "link": work_link(allocation, side),
    }


def send_digests(as_of: date) -> int:
    """Queue the day's digest for each active person with notifications waiting for one, and
    mark those notifications sent; how many digests were queued. The caller commits."""
    waiting = db.session.scalars(
        select(Notification)
        .join(Notification.user)
        .where(Notification.digest == DIGEST_WAITING, User.active.is_(True))
        .options(
            contains_eager(Notification.user),
            joinedload(Notification.allocation)
            .joinedload(Allocation.case)
            .load_only(Case.case_ref),
        )
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in waiting:
        by_user[notification.user_id].append(notification)
    sent_today = taken_keys(
        OutboxMessage.dedupe_key, (digest_key(user_id, as_of) for user_id in by_user)
    )
    everything = notifications_link()
    emails: list[dict[str, object]] = []
    included: list[int] = []
    for user_id, notifications in by_user.items():
        key = digest_key(user_id, as_of)
        if key in sent_today:
            continue
        user = notifications[0].user
        shown = notifications[:DIGEST_LINES]
        fields = {
            "updates": len(notifications),
            "lines": [_line(notification, user, everything) for notification in shown],
            "more": len(notifications) - len(shown),
            "notifications_link": everything,
        }
        emails.append(
            outbox_row(DIGEST_TEMPLATE, user.email, fields, user_id=user_id, dedupe_key=key)
        )
        included.extend(notification.id for notification in notifications)
    queue_emails(emails)
    for start in range(0, len(included), KEYS_PER_QUERY):
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(included[start : start + KEYS_PER_QUERY]))
            .values(digest=DIGEST_SENT)
        )
    return len(emails)
