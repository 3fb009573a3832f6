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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import InstrumentedAttribute

from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.models import Allocation, User
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


def outbox_row(
    template: str,
    to_address: str,
    fields: Mapping[str, object],
    *,
    user_id: int | None = None,
    provider_id: int | None = None,
    dedupe_key: str | None = None,
) -> dict[str, object]:
    """One email for the outbox (to a person, or to a provider's team mailbox), as a row for
    queue_emails()."""
    return {
        "user_id": user_id,
        "provider_id": provider_id,
        "to_address": to_address,
        "template": template,
        "personalisation": json.dumps(dict(fields), sort_keys=True),
        "dedupe_key": dedupe_key,
    }


def queue_emails(rows: Sequence[Mapping[str, object]]) -> None:
    """Add the emails to the outbox in one statement, for the sender to deliver after the
    commit."""
    if rows:
        # render_nulls: every row names the same columns, so they go in one executemany (the
        # ORM otherwise leaves out None columns and starts a statement whenever they change).
        db.session.execute(insert(OutboxMessage).execution_options(render_nulls=True), list(rows))
        db.session.info[OUTBOX_WRITTEN] = True


# Keys asked about in one IN (...) query: well inside every database's parameter limit.
KEYS_PER_QUERY = 500


def taken_keys(column: InstrumentedAttribute[str | None], keys: Iterable[str]) -> set[str]:
    """Which of the dedupe keys a table already holds; one query per KEYS_PER_QUERY keys."""
    wanted = sorted(set(keys))
    taken: set[str] = set()
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start : start + KEYS_PER_QUERY]
        found = db.session.scalars(select(column).where(column.in_(chunk)))
        taken.update(key for key in found if key is not None)
    return taken


@dataclass(frozen=True)
class Notice:
    """One event to tell people about: notify()'s arguments, for notify_many()."""

    kind_key: str
    users: Sequence[User]
    allocation: Allocation | None = None
    fields: Mapping[str, str] | None = None
    team_mailbox: bool = False
    dedupe: str | None = None
    # Fields added to the work's fields (when fields is not given): "returned_on".
    extra_fields: Mapping[str, str] | None = None


@dataclass
class _Plan:
    kind: Kind
    notice: Notice
    recipients: dict[int, User]
    # Built only when an email is written: a repeated reminder writes none, and building
    # each link costs more than everything else a reminder does.
    fields: Mapping[str, str] | None
    keys: dict[int, str]

    def message_fields(self) -> Mapping[str, str]:
        if self.fields is None:
            assert self.notice.allocation is not None
            fields = work_fields(self.notice.allocation, self.kind.side)
            self.fields = fields | dict(self.notice.extra_fields or {})
        return self.fields


@dataclass
class _Rows:
    """What one notice writes: its notifications and its emails, as rows."""

    notifications: list[dict[str, object]]
    emails: list[dict[str, object]]


def _plan(notice: Notice) -> _Plan:
    kind = KINDS[notice.kind_key]
    recipients: dict[int, User] = {}
    for user in notice.users:
        if user.active and user.id not in recipients:
            _check_recipient(kind, user, notice.allocation)
            recipients[user.id] = user
    if notice.fields is None and notice.allocation is None:
        raise ValueError("a notification needs an allocation or its fields")
    dedupe = notice.dedupe
    keys = {user_id: f"{dedupe}:{user_id}" for user_id in recipients} if dedupe else {}
    return _Plan(kind, notice, recipients, notice.fields, keys)


def _team_key(notice: Notice) -> str | None:
    provider = notice.allocation.provider if notice.allocation is not None else None
    if notice.dedupe and provider is not None:
        return f"{notice.dedupe}:team:{provider.id}"
    return None


def _prepare(notices: Sequence[Notice]) -> list[_Rows]:
    """Each notice's rows, by notify()'s rules; a fixed number of queries for all of them.
    Raises ValueError, before anything is written, if any notice breaks a rule."""
    plans = [_plan(notice) for notice in notices]
    taken = taken_keys(Notification.dedupe_key, (k for p in plans for k in p.keys.values()))
    team_keys = [key for key in map(_team_key, notices) if key is not None]
    taken |= taken_keys(OutboxMessage.dedupe_key, team_keys)
    deliveries: dict[str, dict[int, str]] = {}
    for kind in {plan.kind for plan in plans}:
        people = {uid for plan in plans if plan.kind == kind for uid in plan.recipients}
        deliveries[kind.key] = delivery_for(people, kind)
    return [_rows(plan, taken, deliveries[plan.kind.key]) for plan in plans]


def _rows(plan: _Plan, taken: set[str], deliveries: dict[int, str]) -> _Rows:
    """One notice's notifications and emails; taken gains the keys it uses."""
    kind, notice = plan.kind, plan.notice
    allocation = notice.allocation
    rows = _Rows([], [])
    for user_id, user in plan.recipients.items():
        key = plan.keys.get(user_id)
        if key is not None and key in taken:
            continue
        if key is not None:
            taken.add(key)
        delivery = deliveries[user_id]
        rows.notifications.append(
            {
                "user_id": user_id,
                "kind": kind.key,
                "allocation_id": allocation.id if allocation else None,
                "dedupe_key": key,
                "digest": DIGEST_WAITING if delivery == DELIVER_DAILY else None,
            }
        )
        if delivery == DELIVER_IMMEDIATELY:
            rows.emails.append(
                outbox_row(
                    kind.key, user.email, plan.message_fields(), user_id=user_id, dedupe_key=key
                )
            )
        else:
            assert delivery in (DELIVER_DAILY, DELIVER_OFF)
    provider = allocation.provider if allocation is not None else None
    mailbox = provider.team_mailbox if provider is not None and notice.team_mailbox else None
    team_key = _team_key(notice)
    wanted = rows.notifications or not notice.dedupe
    if provider is not None and mailbox and wanted and (team_key is None or team_key not in taken):
        if team_key is not None:
            taken.add(team_key)
        rows.emails.append(
            outbox_row(
                kind.key,
                mailbox,
                plan.message_fields(),
                provider_id=provider.id,
                dedupe_key=team_key,
            )
        )
    return rows


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
    notice = Notice(kind_key, list(users), allocation, fields, team_mailbox, dedupe)
    [rows] = _prepare([notice])
    written = [Notification(**row) for row in rows.notifications]
    db.session.add_all(written)
    queue_emails(rows.emails)
    return written


def notify_many(notices: Sequence[Notice]) -> list[int]:
    """notify() for many events at once (the daily reminders), by the same rules, in a fixed
    number of statements however many events there are; how many notifications each notice
    wrote. Nothing is written if any notice is refused."""
    prepared = _prepare(notices)
    notifications = [row for rows in prepared for row in rows.notifications]
    if notifications:
        db.session.execute(insert(Notification).execution_options(render_nulls=True), notifications)
    queue_emails([row for rows in prepared for row in rows.emails])
    return [len(rows.notifications) for rows in prepared]
