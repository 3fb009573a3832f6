"""The daily reminders: who gets each, on which days, keyed so a second run adds nothing, and in
a number of queries that does not grow with the number of reminders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    Notification,
    OutboxMessage,
    Provider,
    Role,
    User,
)
from provider_portal.notifications.people import council_people, provider_people
from provider_portal.notifications.reminders import queue_reminders
from tests.factories import Factory

TEAM = "team@provider.example"


@dataclass
class People:
    """A provider P with its people, another provider Q, and the council's people."""

    provider: Provider
    admin: User
    former_admin: User
    assignee: User
    unassigned: User
    other_admin: User
    allocator: User
    manager: User
    monitor: User
    portal_admin: User


@pytest.fixture
def people(make: Factory) -> People:
    provider = make.provider(team_mailbox=TEAM)
    other = make.provider(team_mailbox="other-team@provider.example")
    return People(
        provider=provider,
        admin=make.user(Role.PROVIDER_ADMIN, provider),
        former_admin=make.user(Role.PROVIDER_ADMIN, provider, active=False),
        assignee=make.user(Role.PRACTITIONER, provider),
        unassigned=make.user(Role.PRACTITIONER, provider),
        other_admin=make.user(Role.PROVIDER_ADMIN, other),
        allocator=make.user(Role.MANAGER),
        manager=make.user(Role.MANAGER),
        monitor=make.user(Role.MONITOR),
        portal_admin=make.user(Role.ADMIN),
    )


def work(make: Factory, people: People, **kwargs: object) -> Allocation:
    kwargs.setdefault("provider", people.provider)
    kwargs.setdefault("assigned_to_id", people.assignee.id)
    kwargs.setdefault("allocated_by_id", people.allocator.id)
    return make.allocation(**kwargs)  # type: ignore[arg-type]


def told(kind: str) -> list[tuple[int, int]]:
    """(allocation, person) for each notification of the kind, in order."""
    rows = db.session.execute(
        select(Notification.allocation_id, Notification.user_id)
        .where(Notification.kind == kind)
        .order_by(Notification.allocation_id, Notification.user_id)
    )
    return [(allocation_id or 0, user_id) for allocation_id, user_id in rows]


def emailed(kind: str) -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessage.to_address).where(OutboxMessage.template == kind)
    )
    return sorted(rows)


def run(as_of: date) -> dict[str, int]:
    counts = queue_reminders(as_of)
    db.session.commit()
    return counts


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_provider_reminders_go_to_the_assignee_the_active_administrators_and_the_team(
    make: Factory, people: People
) -> None:
    allocation = work(make, people, due_on=date(2024, 9, 10))
    counts = run(date(2024, 9, 5))
    assert counts == {"due_soon": 2, "overdue": 0, "awaiting_review": 0, "question_waiting": 0}
    assert told("due_soon") == sorted(
        [(allocation.id, people.admin.id), (allocation.id, people.assignee.id)]
    )
    assert emailed("due_soon") == sorted([people.admin.email, people.assignee.email, TEAM])
    team = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == TEAM)).one()
    assert team.provider_id == people.provider.id and team.user_id is None


def test_unassigned_work_reminds_the_administrators_and_the_team(
    make: Factory, people: People
) -> None:
    allocation = work(make, people, due_on=date(2024, 9, 10), assigned_to_id=None)
    run(date(2024, 9, 5))
    assert told("due_soon") == [(allocation.id, people.admin.id)]
    assert emailed("due_soon") == sorted([people.admin.email, TEAM])


def test_an_assignee_who_left_the_provider_is_not_told(make: Factory, people: People) -> None:
    moved = make.user(Role.PRACTITIONER, make.provider())
    allocation = work(make, people, due_on=date(2024, 9, 10), assigned_to_id=moved.id)
    assert provider_people([allocation]) == {allocation.id: [people.admin]}


def test_council_reminders_go_to_the_allocating_manager(make: Factory, people: People) -> None:
    allocation = work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 2))
    run(date(2024, 9, 10))
    assert told("awaiting_review") == [(allocation.id, people.allocator.id)]
    assert emailed("awaiting_review") == [people.allocator.email]


@pytest.mark.parametrize("allocator", ["inactive manager", "administrator", "nobody"])
def test_without_an_active_allocating_manager_every_active_manager_is_told(
    make: Factory, people: People, allocator: str
) -> None:
    allocated_by = {
        "inactive manager": make.user(Role.MANAGER, active=False).id,
        "administrator": people.portal_admin.id,
        "nobody": None,
    }[allocator]
    allocation = work(make, people, allocated_by_id=allocated_by)
    assert council_people([allocation]) == {allocation.id: [people.allocator, people.manager]}


@pytest.mark.parametrize(
    ("due_in_days", "reminded"),
    [(0, False), (1, True), (6, True), (7, True), (8, False)],
)
def test_due_soon_covers_the_next_seven_days(
    make: Factory, people: People, due_in_days: int, reminded: bool
) -> None:
    as_of = date(2024, 9, 5)
    work(make, people, due_on=as_of + timedelta(days=due_in_days))
    assert run(as_of)["due_soon"] == (2 if reminded else 0)


def test_due_soon_is_sent_once_per_due_date_and_a_missed_day_still_reminds(
    make: Factory, people: People
) -> None:
    allocation = work(make, people, due_on=date(2024, 9, 12))
    # The run on the 5th (7 days before) was missed: the 6th still reminds, the 7th adds nothing.
    assert run(date(2024, 9, 6))["due_soon"] == 2
    assert run(date(2024, 9, 7))["due_soon"] == 0
    # Given longer, the new due date is reminded about again.
    allocation.due_on = date(2024, 9, 16)
    db.session.commit()
    assert run(date(2024, 9, 9))["due_soon"] == 2
    assert len(told("due_soon")) == 4


def test_overdue_on_day_one_and_then_weekly(make: Factory, people: People) -> None:
    due_on = date(2024, 1, 31)  # a month end; February 2024 has 29 days
    work(make, people, due_on=due_on)
    by_day = {day: run(due_on + timedelta(days=day))["overdue"] for day in (0, 1, 2, 7, 8, 9, 15)}
    assert by_day == {0: 0, 1: 2, 2: 0, 7: 0, 8: 2, 9: 0, 15: 2}
    assert count(Notification) == 6
    # Team mailbox copies follow the same keys: one a week.
    assert emailed("overdue").count(TEAM) == 3


def test_a_late_run_in_the_week_still_sends_that_weeks_overdue_reminder(
    make: Factory, people: People
) -> None:
    work(make, people, due_on=date(2024, 2, 20))
    assert run(date(2024, 2, 29))["overdue"] == 2  # day 9: week 1's reminder, days 8 missed
    assert run(date(2024, 3, 1))["overdue"] == 0


@pytest.mark.parametrize(
    "status",
    [
        AllocationStatus.RETURNED,
        AllocationStatus.ACCEPTED,
        AllocationStatus.WITHDRAWN,
        AllocationStatus.DECLINED,
    ],
)
def test_work_not_with_the_provider_gets_no_due_reminders(
    make: Factory, people: People, status: AllocationStatus
) -> None:
    work(make, people, due_on=date(2024, 9, 10), status=status, returned_on=date(2024, 9, 4))
    work(make, people, due_on=date(2024, 9, 1), status=status, returned_on=date(2024, 9, 4))
    counts = run(date(2024, 9, 5))
    assert (counts["due_soon"], counts["overdue"]) == (0, 0)


def test_work_sent_back_for_amendment_is_reminded(make: Factory, people: People) -> None:
    work(make, people, due_on=date(2024, 9, 1), status=AllocationStatus.AMENDMENT_REQUESTED)
    assert run(date(2024, 9, 5))["overdue"] == 2


def test_an_inactive_providers_work_gets_no_reminders(make: Factory, people: People) -> None:
    work(
        make,
        people,
        due_on=date(2024, 9, 1),
        unanswered_question_at=datetime(2024, 8, 1, tzinfo=UTC),
    )
    people.provider.active = False
    db.session.commit()
    assert sum(run(date(2024, 9, 5)).values()) == 0


def test_awaiting_review_after_five_working_days_and_then_weekly(
    make: Factory, people: People
) -> None:
    # Returned Monday 2 September: review due by Monday the 9th.
    allocation = work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 2))
    days = [date(2024, 9, day) for day in (6, 9, 10, 11, 16, 17, 24)]
    assert [run(day)["awaiting_review"] for day in days] == [0, 0, 1, 0, 0, 1, 1]
    message = db.session.scalars(select(OutboxMessage)).first()
    assert message is not None
    fields = json.loads(message.personalisation)
    assert fields["returned_on"] == "2 September 2024"
    assert fields["link"].endswith(f"/allocations/{allocation.id}")
    assert "/provider/" not in fields["link"]


def test_a_bank_holiday_is_not_a_working_day_for_review(make: Factory, people: People) -> None:
    # Returned Wednesday 21 August 2024; Monday the 26th is a bank holiday, so the 5 working
    # days end on Thursday the 29th, not the 28th.
    work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 8, 21))
    assert run(date(2024, 8, 29))["awaiting_review"] == 0
    assert run(date(2024, 8, 30))["awaiting_review"] == 1


def test_work_returned_again_after_amendment_waits_from_the_send_back(
    make: Factory, people: People
) -> None:
    # First returned on 2 September, sent back on Friday the 13th, returned again: the
    # allocation keeps the first return date, so the wait counts from the 13th.
    allocation = work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 2))
    assert run(date(2024, 9, 10))["awaiting_review"] == 1
    allocation.amendment_requested_on = date(2024, 9, 13)
    allocation.amendment_count = 1
    db.session.commit()
    assert run(date(2024, 9, 17))["awaiting_review"] == 0  # weekly from the first: now quiet
    assert run(date(2024, 9, 20))["awaiting_review"] == 0  # the 5th working day since the 13th
    assert run(date(2024, 9, 21))["awaiting_review"] == 1
    assert run(date(2024, 9, 22))["awaiting_review"] == 0


def test_a_question_waiting_a_working_day_reminds_the_council_weekly(
    make: Factory, people: People
) -> None:
    # Asked on Friday 6 September: waiting all of Monday, so Tuesday's run reminds.
    allocation = work(make, people, unanswered_question_at=datetime(2024, 9, 6, 14, 0, tzinfo=UTC))
    days = [date(2024, 9, day) for day in (7, 9, 10, 11, 17)]
    assert [run(day)["question_waiting"] for day in days] == [0, 0, 1, 0, 1]
    assert told("question_waiting") == [(allocation.id, people.allocator.id)] * 2
    # A new question starts again.
    allocation.unanswered_question_at = datetime(2024, 9, 17, 9, 0, tzinfo=UTC)
    db.session.commit()
    assert run(date(2024, 9, 18))["question_waiting"] == 0
    assert run(date(2024, 9, 19))["question_waiting"] == 1


def test_a_question_asked_after_midnight_in_london_belongs_to_the_london_day(
    make: Factory, people: People
) -> None:
    # 23:30 UTC on Thursday 6 June 2024 is 00:30 on Friday the 7th in London (BST): the
    # question's working day to wait is Monday the 10th, not Friday.
    work(make, people, unanswered_question_at=datetime(2024, 6, 6, 23, 30, tzinfo=UTC))
    assert run(date(2024, 6, 8))["question_waiting"] == 0
    assert run(date(2024, 6, 10))["question_waiting"] == 0
    assert run(date(2024, 6, 11))["question_waiting"] == 1


def test_a_question_asked_as_the_clocks_go_back(make: Factory, people: People) -> None:
    # 00:30 UTC on Sunday 27 October 2024 is 01:30 BST, before the clocks go back at 02:00:
    # a Sunday question waits for Monday the 28th, so Tuesday's run is the first to remind.
    work(make, people, unanswered_question_at=datetime(2024, 10, 27, 0, 30, tzinfo=UTC))
    assert run(date(2024, 10, 28))["question_waiting"] == 0
    assert run(date(2024, 10, 29))["question_waiting"] == 1


def test_a_question_on_closed_work_is_not_reminded(make: Factory, people: People) -> None:
    work(
        make,
        people,
        status=AllocationStatus.WITHDRAWN,
        unanswered_question_at=datetime(2024, 9, 2, 9, 0, tzinfo=UTC),
    )
    assert run(date(2024, 9, 10))["question_waiting"] == 0


def test_a_second_run_on_the_same_day_adds_nothing(make: Factory, people: People) -> None:
    work(make, people, due_on=date(2024, 9, 10))
    work(make, people, due_on=date(2024, 9, 1))
    work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 8, 1))
    work(make, people, unanswered_question_at=datetime(2024, 8, 1, tzinfo=UTC))
    first = run(date(2024, 9, 5))
    rows = (count(Notification), count(OutboxMessage))
    assert all(first.values())
    assert run(date(2024, 9, 5)) == dict.fromkeys(first, 0)
    assert (count(Notification), count(OutboxMessage)) == rows


def _many(make: Factory, people: People, n: int) -> None:
    providers = [people.provider, make.provider(team_mailbox="second@provider.example")]
    admins = {p.id: make.user(Role.PROVIDER_ADMIN, p) for p in providers}
    for i in range(n):
        provider = providers[i % 2]
        work(
            make,
            people,
            provider=provider,
            assigned_to_id=admins[provider.id].id if i % 3 else None,
            due_on=date(2024, 9, 10) if i % 2 else date(2024, 9, 1),
            unanswered_question_at=datetime(2024, 8, 1, tzinfo=UTC),
        )
    for i in range(n):
        work(make, people, status=AllocationStatus.RETURNED, returned_on=date(2024, 8, i % 20 + 1))


def test_the_queries_do_not_grow_with_the_number_of_reminders(
    make: Factory, people: People, count_queries: list[str]
) -> None:
    statements = []
    for n in (5, 50):
        _many(make, people, n)
        count_queries.clear()
        counts = run(date(2024, 9, 5))
        statements.append(len(count_queries))
        assert counts["awaiting_review"] == n
        db.session.execute(Notification.__table__.delete())
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.execute(Allocation.__table__.delete())
        db.session.commit()
    assert statements[0] == statements[1]
    # Per kind: the work, its people (one or two), the keys taken twice, the choices, and the
    # notifications and emails inserted in one statement each.
    assert statements[1] <= 4 * 8 + 1
