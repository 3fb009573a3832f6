"""Writing notifications: in the portal for each person, and the email each one's choice asks for.

notify() is called by the services in the same transaction as the event (and by the reminders),
so a notification exists exactly when its event does. It writes, for each person:
- a Notification row (the portal's Notifications page and the unread count);
- an OutboxMessage at once if they chose "immediately", or marks the notification as waiting
  for their daily digest if they chose "daily", or no email if they turned the kind off;
and one OutboxMessage to the provider's team mailbox when asked. Nothing is sent here: the
sender delivers the outbox after the commit. session.info[OUTBOX_WRITTEN] tells the job runner
that there is mail to deliver once the transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.models import Allocation, Provider, User
from provider_portal.models.notifications import (
    DELIVER_DAILY,
    DELIVER_IMMEDIATELY,
    DELIVER_OFF,
    DIGEST_WAITING,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER, Kind
from provider_portal.notifications.links import work_link

# A key of db.session.info: set when an outbox row was added in the current transaction.
OUTBOX_WRITTEN = "outbox_written"


def work_fields(allocation: Allocation, side: str) -> dict[str, str]:
    """What a message may say about a piece of work: its case reference, the kind of work, the
    provider, the dates and a link. Never the child's name, date of birth or school."""
    return {
        "case_ref": allocation.case.case_ref,
        "work_type": allocation.work_type.name,
        "provider": allocation.provider.name,
        "allocated_on": long_date(allocation.allocated_on),
        "due_on": long_date(allocation.due_on) if allocation.due_on else "",
        "link": work_link(allocation, side),
    }


def delivery_for(user_ids: Iterable[int], kind: Kind) -> dict[int, str]:
    """Each person's chosen delivery for the kind (the kind's default where they chose none);
    one query."""
    ids = sorted(set(user_ids))
    chosen: dict[int, str] = {}
    if ids and not kind.mandatory:
        rows = db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.kind == kind.key,
                NotificationPreference.user_id.in_(ids),
            )
        )
        chosen = {user_id: delivery for user_id, delivery in rows}
    return {user_id: chosen.get(user_id, kind.default) for user_id in ids}


def _check_recipient(kind: Kind, user: User, allocation: Allocation | None) -> None:
    """Refuse a message to someone on the wrong side of the work (a programming error)."""
    if kind.side == PROVIDER and (allocation is None or user.provider_id != allocation.provider_id):
        raise ValueError(f"{kind.key} goes only to the people of the work's provider")
    if kind.side == COUNCIL and user.is_provider_user:
        raise ValueError(f"{kind.key} goes only to the council's people")


def _outbox(
    template: str,
    to_address: str,
    fields: Mapping[str, str],
    *,
    user: User | None = None,
    provider: Provider | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        user_id=user.id if user else None,
        provider_id=provider.id if provider else None,
        to_address=to_address,
        template=template,
        personalisation=json.dumps(dict(fields), sort_keys=True),
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    db.session.info[OUTBOX_WRITTEN] = True
    return message


def _taken_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
    )


def notify(
    kind_key: str,
    users: Iterable[User],
    *,
    allocation: Allocation | None = None,
    fields: Mapping[str, str] | None = None,
    team_mailbox: bool = False,
    dedupe: str | None = None,
) -> list[Notification]:
    """Tell each person (active, once each) of an event of this kind; see the module's note.

    fields are the message's fields (work_fields(allocation, side) when not given).
    team_mailbox: also send to the work's provider's team mailbox, if it has one.
    dedupe: a key for the event's period (a reminder's "overdue:12:week:3"); a person who has
    had a notification with the same key gets nothing new, so a second run adds nothing.
    Returns the notifications written.
    """
    kind = KINDS[kind_key]
    recipients: dict[int, User] = {}
    for user in users:
        if user.active and user.id not in recipients:
            _check_recipient(kind, user, allocation)
            recipients[user.id] = user
    if fields is None:
        if allocation is None:
            raise ValueError("a notification needs an allocation or its fields")
        fields = work_fields(allocation, kind.side)
    keys = {user_id: f"{dedupe}:{user_id}" for user_id in recipients} if dedupe else {}
    taken = _taken_keys(list(keys.values()))
    deliveries = delivery_for(recipients, kind)
    written: list[Notification] = []
    for user_id, user in recipients.items():
        key = keys.get(user_id)
        if key is not None and key in taken:
            continue
        delivery = deliveries[user_id]
        notification = Notification(
            user_id=user_id,
            kind=kind.key,
            allocation_id=allocation.id if allocation else None,
            dedupe_key=key,
            digest=DIGEST_WAITING if delivery == DELIVER_DAILY else None,
        )
        db.session.add(notification)
        written.append(notification)
        if delivery == DELIVER_IMMEDIATELY:
            _outbox(kind.key, user.email, fields, user=user, dedupe_key=key)
        else:
            assert delivery in (DELIVER_DAILY, DELIVER_OFF)
    provider = allocation.provider if allocation is not None else None
    if team_mailbox and provider is not None and provider.team_mailbox and (written or not dedupe):
        team_key = f"{dedupe}:team:{provider.id}" if dedupe else None
        if team_key is None or not db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == team_key)
        ):
            _outbox(kind.key, provider.team_mailbox, fields, provider=provider, dedupe_key=team_key)
    return written
