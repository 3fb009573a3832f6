"""Every event tells exactly the right people, in the event's own transaction.

One world: provider P (two administrators, one of them deactivated, a practitioner the work is
assigned to and one it is not, a team mailbox), provider Q's administrator, the council's
manager who allocated the work, another manager, an administrator and a monitor. Each event
is done through its service and the Notification and OutboxMessage rows compared, exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.allocations import services as work
from provider_portal.allocations.questions.services import answer_question, ask_question
from provider_portal.cases.recording.services import record_exception
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    Document,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Role,
    User,
)
from provider_portal.models.notifications import DELIVER_DAILY, DELIVER_OFF, DIGEST_WAITING
from tests.factories import Factory

TODAY = "2024-09-02 12:00:00"
TEAM = "casework@provider-p.example"


@dataclass
class World:
    make: Factory
    people: dict[str, User]
    allocation: Allocation

    def __getitem__(self, name: str) -> User:
        return self.people[name]


@pytest.fixture
def world(make: Factory) -> World:
    p = make.provider("Provider P", team_mailbox=TEAM)
    q = make.provider("Provider Q", team_mailbox="team@provider-q.example")
    people = {
        "allocator": make.user(Role.MANAGER),
        "manager": make.user(Role.MANAGER),
        "admin": make.user(Role.ADMIN),
        "monitor": make.user(Role.MONITOR),
        "p_admin": make.user(Role.PROVIDER_ADMIN, p),
        "p_admin_gone": make.user(Role.PROVIDER_ADMIN, p, active=False),
        "p_assignee": make.user(Role.PRACTITIONER, p),
        "p_other": make.user(Role.PRACTITIONER, p),
        "q_admin": make.user(Role.PROVIDER_ADMIN, q),
        "q_practitioner": make.user(Role.PRACTITIONER, q),
    }
    allocation = make.allocation(
        provider=p,
        allocated_by_id=people["allocator"].id,
        assigned_to_id=people["p_assignee"].id,
        provider_accepted_on=date(2024, 8, 2),
    )
    return World(make, people, allocation)


def _returned(world: World) -> Allocation:
    allocation = world.allocation
    allocation.status = AllocationStatus.RETURNED
    allocation.returned_on = date(2024, 8, 20)
    return allocation


def _allocate(world: World) -> Allocation:
    return work.allocate(
        world.make.case(),
        world.allocation.provider,
        world.make.work_type("ep_advice"),
        actor=world["allocator"],
    )


def _awaiting_answer(world: World) -> Allocation:
    world.allocation.provider_accepted_on = None
    world.allocation.assigned_to_id = None
    return world.allocation


def _with_document(world: World) -> Allocation:
    db.session.add(
        Document(
            allocation=world.allocation,
            version=1,
            original_filename="advice.pdf",
            stored_name="events-test-advice",
            content_type="application/pdf",
            size_bytes=10,
            sha256="0" * 64,
        )
    )
    db.session.flush()
    return world.allocation


def _exception(world: World) -> Allocation:
    record_exception(
        world.allocation.case,
        reason="missed_appointment",
        allocation=world.allocation,
        starts_on=date(2024, 8, 10),
        ends_on=date(2024, 8, 17),
        parent_told_on=date(2024, 8, 20),
        note=None,
        actor=world["manager"],
        nonce=new_nonce(),
    )
    return world.allocation


def _do(world: World, kind: str) -> Allocation:
    """Do the event of this kind through its service, as the person the table names."""
    a = world.allocation
    actions: dict[str, Callable[[], object]] = {
        "work_allocated": lambda: _allocate(world),
        "work_taken_on": lambda: work.provider_accept(
            _awaiting_answer(world), actor=world["p_admin"]
        ),
        "work_declined": lambda: work.decline(
            _awaiting_answer(world), "No capacity this month", actor=world["p_admin"]
        ),
        "work_assigned": lambda: work.assign(a, world["p_assignee"], actor=world["p_admin"]),
        "work_returned": lambda: work.record_return(
            _with_document(world), actor=world["p_assignee"]
        ),
        "work_sent_back": lambda: work.request_amendment(
            _returned(world), "Section F needs detail", actor=world["allocator"]
        ),
        "work_accepted": lambda: work.accept(_returned(world), actor=world["manager"]),
        "work_withdrawn": lambda: work.withdraw(a, "Family moved away", actor=world["manager"]),
        "question_asked": lambda: ask_question(
            a, "Can we have the SALT report?", actor=world["p_assignee"], nonce=new_nonce()
        ),
        "question_answered": lambda: answer_question(
            a, "It is on the case now.", actor=world["manager"], nonce=new_nonce()
        ),
        "exception_recorded": lambda: _exception(world),
    }
    result = actions[kind]()
    return result if isinstance(result, Allocation) else a


PROVIDER_TEAM = {"p_assignee", "p_admin"}
# kind -> (who is told, whether P's team mailbox gets a copy)
EXPECTED: dict[str, tuple[set[str], bool]] = {
    # New work is assigned to nobody yet: P's administrators.
    "work_allocated": ({"p_admin"}, True),
    "work_taken_on": ({"allocator"}, False),
    "work_declined": ({"allocator"}, False),
    "work_assigned": ({"p_assignee"}, False),
    "work_returned": ({"allocator"}, False),
    "work_sent_back": (PROVIDER_TEAM, True),
    "work_accepted": (PROVIDER_TEAM, True),
    "work_withdrawn": (PROVIDER_TEAM, True),
    "question_asked": ({"allocator"}, False),
    "question_answered": (PROVIDER_TEAM, True),
    "exception_recorded": (PROVIDER_TEAM, True),
}


def _names(world: World, user_ids: list[int | None]) -> list[str]:
    by_id = {user.id: name for name, user in world.people.items()}
    return sorted(by_id[user_id] for user_id in user_ids if user_id is not None)


@freeze_time(TODAY)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_event_tells_exactly_the_right_people(world: World, kind: str) -> None:
    told, team_copy = EXPECTED[kind]
    allocation = _do(world, kind)
    db.session.commit()

    notifications = list(db.session.scalars(select(Notification)))
    assert _names(world, [n.user_id for n in notifications]) == sorted(told)
    assert {(n.kind, n.allocation_id) for n in notifications} == {(kind, allocation.id)}
    messages = list(db.session.scalars(select(OutboxMessage)))
    to_people = [m for m in messages if m.user_id is not None]
    assert _names(world, [m.user_id for m in to_people]) == sorted(told)
    assert all(m.to_address == m.user.email and m.template == kind for m in to_people)
    team = [m for m in messages if m.user_id is None]
    assert [(m.to_address, m.provider_id) for m in team] == (
        [(TEAM, allocation.provider_id)] if team_copy else []
    )
    # Nobody else: another provider's people, an unassigned practitioner, the council's
    # administrator and monitor, the deactivated administrator.
    for name in ("q_admin", "q_practitioner", "p_other", "admin", "monitor", "p_admin_gone"):
        assert name not in _names(world, [n.user_id for n in notifications])


@freeze_time(TODAY)
def test_every_kind_done_by_an_event_is_in_the_table() -> None:
    from provider_portal.notifications.kinds import KINDS

    assert set(EXPECTED) == {key for key, kind in KINDS.items() if not kind.reminder}


@freeze_time(TODAY)
def test_the_person_who_acts_is_never_told(world: World) -> None:
    admin = world["p_admin"]
    work.assign(world.allocation, admin, actor=admin)
    ask_question(world.allocation, "Who has the report?", actor=admin, nonce=new_nonce())
    _with_document(world)
    work.record_return(world.allocation, actor=world["allocator"])
    db.session.commit()
    told = [(n.kind, n.user_id) for n in db.session.scalars(select(Notification))]
    assert told == [("question_asked", world["allocator"].id)]


@freeze_time(TODAY)
@pytest.mark.parametrize("change", ["deactivated", "no_longer_a_manager", "nobody"])
def test_without_the_allocating_manager_every_active_manager_is_told(
    world: World, change: str
) -> None:
    allocator = world["allocator"]
    if change == "deactivated":
        allocator.active = False
    elif change == "no_longer_a_manager":
        allocator.role = Role.MONITOR
    else:
        world.allocation.allocated_by_id = None
    third = world.make.user(Role.MANAGER)
    world.make.user(Role.MANAGER, active=False)
    db.session.commit()
    ask_question(world.allocation, "Any news?", actor=world["p_assignee"], nonce=new_nonce())
    db.session.commit()
    expected = {world["manager"].id, third.id}
    if change == "nobody":
        expected.add(allocator.id)
    assert set(db.session.scalars(select(Notification.user_id))) == expected


@freeze_time(TODAY)
def test_work_assigned_elsewhere_tells_the_new_assignee_not_the_old(world: World) -> None:
    new = world["p_other"]
    work.assign(world.allocation, new, actor=world["p_admin"])
    work.request_amendment(_returned(world), "Please add section F", actor=world["manager"])
    db.session.commit()
    told = sorted((n.kind, n.user_id) for n in db.session.scalars(select(Notification)))
    assert told == sorted(
        [
            ("work_assigned", new.id),
            ("work_sent_back", new.id),
            ("work_sent_back", world["p_admin"].id),
        ]
    )


@freeze_time(TODAY)
def test_each_choice_is_respected(world: World) -> None:
    db.session.add_all(
        [
            NotificationPreference(
                user_id=world["p_admin"].id, kind="work_withdrawn", delivery=DELIVER_DAILY
            ),
            NotificationPreference(
                user_id=world["p_assignee"].id, kind="work_withdrawn", delivery=DELIVER_OFF
            ),
        ]
    )
    work.withdraw(world.allocation, "Family moved away", actor=world["manager"])
    db.session.commit()
    digest = {n.user_id: n.digest for n in db.session.scalars(select(Notification))}
    assert digest == {world["p_admin"].id: DIGEST_WAITING, world["p_assignee"].id: None}
    # Neither person gets an email now: only the team mailbox's copy is waiting.
    assert [(m.user_id, m.to_address) for m in db.session.scalars(select(OutboxMessage))] == [
        (None, TEAM)
    ]


@freeze_time(TODAY)
def test_an_advice_exception_on_closed_work_or_a_20_week_exception_tells_nobody(
    world: World,
) -> None:
    world.allocation.status = AllocationStatus.ACCEPTED
    world.allocation.closed_on = date(2024, 8, 30)
    _exception(world)
    record_exception(
        world.allocation.case,
        reason="exceptional_personal_circumstances",
        allocation=None,
        starts_on=date(2024, 8, 1),
        ends_on=None,
        parent_told_on=None,
        note=None,
        actor=world["manager"],
        nonce=new_nonce(),
    )
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@freeze_time(TODAY)
def test_a_rolled_back_event_leaves_no_notification(world: World) -> None:
    work.withdraw(world.allocation, "Family moved away", actor=world["manager"])
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@freeze_time(TODAY)
def test_a_batch_refused_for_one_case_tells_nobody(world: World) -> None:
    make = world.make
    taken = make.case()
    make.allocation(case=taken, provider=world.allocation.provider)
    outcome = work.allocate_batch(
        [make.case(), taken, make.case()],
        world.allocation.provider,
        make.work_type("ep_advice"),
        actor=world["allocator"],
        contract_id=None,
    )
    db.session.commit()
    assert outcome.conflicts and not outcome.allocations
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def _administrator_reads(statements: list[str]) -> int:
    return sum(
        1
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and "FROM user_account" in s
        and "user_account.provider_id IN" in s
    )


@freeze_time(TODAY)
@pytest.mark.parametrize("size", [1, 8])
def test_a_batch_reads_the_providers_administrators_once(
    world: World, count_queries: list[str], size: int
) -> None:
    make = world.make
    cases = [make.case() for _ in range(size)]
    provider = world.allocation.provider
    db.session.commit()
    count_queries.clear()
    outcome = work.allocate_batch(
        cases, provider, make.work_type("ep_advice"), actor=world["allocator"], contract_id=None
    )
    db.session.commit()
    assert len(outcome.allocations) == size
    assert _administrator_reads(count_queries) == 1
    notifications = list(db.session.scalars(select(Notification)))
    assert len(notifications) == size
    assert {n.user_id for n in notifications} == {world["p_admin"].id}
    team = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.is_(None)))
    assert sorted(json.loads(m.personalisation)["case_ref"] for m in team) == sorted(
        c.case_ref for c in cases
    )
