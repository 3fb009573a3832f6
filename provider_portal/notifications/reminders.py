"""The daily reminders, queued by `flask notifications send-due` through notify_many().

To the provider (whoever the work is assigned to, the provider's active administrators and a
copy to its team mailbox):
- due_soon: work not yet returned that is due within the next 7 days, once per due date, so a
  missed day's run still reminds the next day;
- overdue: work not yet returned whose due date has passed, on the first day overdue and then
  weekly (days 1, 8, 15 ...), a late run within a week still sending that week's.
To the council (the manager who allocated the work, or every manager when that person is no
longer an active manager):
- awaiting_review: returned work still waiting after 5 working days, then weekly;
- question_waiting: a provider's question unanswered for a whole working day, then weekly.

Each reminder carries a dedupe key (kind, work, the event's date and the week), so running the
command twice on a day, or twice in a week for the weekly ones, adds nothing. Each kind is found
with one query and its people loaded in bulk: the queries do not grow with the number of
reminders beyond a few per REMINDER_BATCH.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from provider_portal.extensions import db
from provider_portal.formatting import LONDON, long_date
from provider_portal.models import Allocation, AllocationStatus, Case, Provider, User
from provider_portal.models.work import OPEN_STATUSES
from provider_portal.notifications.people import council_people, provider_people
from provider_portal.notifications.services import Notice, notify_many
from provider_portal.timescales import add_working_days

# Allocations whose people are loaded and whose notifications are written together.
REMINDER_BATCH = 200
DUE_SOON_DAYS = 7
REVIEW_WORKING_DAYS = 5
ANSWER_WORKING_DAYS = 1
# Open work the provider still has to return.
NOT_YET_RETURNED = (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED)
REMINDER_KINDS = ("due_soon", "overdue", "awaiting_review", "question_waiting")

People = Callable[[Sequence[Allocation]], dict[int, list[User]]]


@dataclass(frozen=True)
class Reminder:
    """One piece of work to remind about, with the key of this reminder's period."""

    allocation: Allocation
    dedupe: str
    # Fields the message has beyond the work's own (services.work_fields).
    extra_fields: Mapping[str, str] | None = None


def _open_work(*conditions: ColumnElement[bool]) -> list[Allocation]:
    """The work of active providers meeting the conditions, with what a message needs loaded;
    one query."""
    query = (
        select(Allocation)
        .join(Allocation.provider)
        .where(Provider.active.is_(True), *conditions)
        .options(
            contains_eager(Allocation.provider),
            joinedload(Allocation.case).load_only(Case.case_ref),
            joinedload(Allocation.work_type),
        )
        .order_by(Allocation.id)
    )
    return list(db.session.scalars(query))


def _weeks_after(deadline: date, as_of: date) -> int:
    """Which week after the deadline as_of falls in: 0 for the 7 days after it, then 1 ..."""
    return ((as_of - deadline).days - 1) // 7


def _latest_start(as_of: date, working_days: int) -> date:
    """The last day something could have started and still be waiting after `working_days`
    working days by as_of (add_working_days only grows with its start)."""
    start = as_of - timedelta(days=1)
    while add_working_days(start, working_days) >= as_of:
        start -= timedelta(days=1)
    return start


def due_soon(as_of: date) -> list[Reminder]:
    """Work not yet returned that is due within DUE_SOON_DAYS after as_of."""
    work = _open_work(
        Allocation.status.in_(NOT_YET_RETURNED),
        Allocation.due_on > as_of,
        Allocation.due_on <= as_of + timedelta(days=DUE_SOON_DAYS),
    )
    return [Reminder(a, f"due_soon:{a.id}:{a.due_on.isoformat()}") for a in work]


def overdue(as_of: date) -> list[Reminder]:
    """Work not yet returned whose due date is before as_of, keyed by the week it is in."""
    work = _open_work(Allocation.status.in_(NOT_YET_RETURNED), Allocation.due_on < as_of)
    return [
        Reminder(a, f"overdue:{a.id}:{a.due_on.isoformat()}:{_weeks_after(a.due_on, as_of)}")
        for a in work
    ]


def awaiting_review(as_of: date) -> list[Reminder]:
    """Returned work that has waited more than REVIEW_WORKING_DAYS working days.

    The allocation keeps only the first return date, so work sent back for amendment and
    returned again waits from the later of that date and the day it was sent back: the clock
    starts again for each return, never before it."""
    last_start = _latest_start(as_of, REVIEW_WORKING_DAYS)
    work = _open_work(
        Allocation.status == AllocationStatus.RETURNED,
        Allocation.returned_on <= last_start,
        or_(
            Allocation.amendment_requested_on.is_(None),
            Allocation.amendment_requested_on <= last_start,
        ),
    )
    reminders = []
    for allocation in work:
        returned_on = allocation.returned_on
        assert returned_on is not None
        waiting_since = max(returned_on, allocation.amendment_requested_on or returned_on)
        weeks = _weeks_after(add_working_days(waiting_since, REVIEW_WORKING_DAYS), as_of)
        key = f"awaiting_review:{allocation.id}:{waiting_since.isoformat()}:{weeks}"
        reminders.append(Reminder(allocation, key, {"returned_on": long_date(returned_on)}))
    return reminders


def question_waiting(as_of: date) -> list[Reminder]:
    """Open work with a provider's question unanswered for a whole working day (the working
    day after the London date it was asked)."""
    last_day = _latest_start(as_of, ANSWER_WORKING_DAYS)
    before = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=LONDON)
    work = _open_work(
        Allocation.status.in_(OPEN_STATUSES),
        Allocation.unanswered_question_at < before.astimezone(UTC),
    )
    reminders = []
    for allocation in work:
        asked_at = allocation.unanswered_question_at
        assert asked_at is not None
        asked_on = asked_at.astimezone(LONDON).date()
        weeks = _weeks_after(add_working_days(asked_on, ANSWER_WORKING_DAYS), as_of)
        key = f"question_waiting:{allocation.id}:{asked_at.astimezone(UTC):%Y%m%dT%H%M%S}:{weeks}"
        reminders.append(Reminder(allocation, key))
    return reminders


def _queue(kind_key: str, reminders: Sequence[Reminder], people: People, team: bool) -> int:
    """Notify each reminder's people, REMINDER_BATCH pieces of work at a time; how many
    notifications were written."""
    written = 0
    for start in range(0, len(reminders), REMINDER_BATCH):
        batch = reminders[start : start + REMINDER_BATCH]
        who = people([reminder.allocation for reminder in batch])
        notices = [
            Notice(
                kind_key,
                who[r.allocation.id],
                r.allocation,
                team_mailbox=team,
                dedupe=r.dedupe,
                extra_fields=r.extra_fields,
            )
            for r in batch
        ]
        written += sum(notify_many(notices))
    return written


def queue_reminders(as_of: date) -> dict[str, int]:
    """Queue the day's reminders of every kind; the notifications written, per kind. The caller
    commits."""
    return {
        "due_soon": _queue("due_soon", due_soon(as_of), provider_people, True),
        "overdue": _queue("overdue", overdue(as_of), provider_people, True),
        "awaiting_review": _queue("awaiting_review", awaiting_review(as_of), council_people, False),
        "question_waiting": _queue(
            "question_waiting", question_waiting(as_of), council_people, False
        ),
    }
