"""What the home pages count: for council managers, what needs doing across every provider;
for provider users, what needs doing in their own organisation.

Every count is one SQL aggregate and uses the same condition as the list its card links to
(allocations.queries, cases.board.queries), so a card's number is the length of that list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import joinedload

from provider_portal.allocations.queries import (
    awaiting_answer_condition,
    due_column,
    due_condition,
    filtered,
)
from provider_portal.cases.board.queries import NOTHING_ALLOCATED, BoardFilters, board_query
from provider_portal.contracts.allocating import is_current
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Contract, Provider
from provider_portal.timescales import month_start

# How many items each list on the provider home shows (the card links to all of them).
SHORT_LIST = 5
# The board's filters for "unallocated, past 20 weeks": nothing allocated, only overdue.
UNALLOCATED_OVERDUE = BoardFilters(unallocated=NOTHING_ALLOCATED, window_weeks=0)


@dataclass(frozen=True)
class ManagerCounts:
    """The manager home's cards."""

    awaiting_review: int
    questions_waiting: int
    due_this_week: int
    overdue: int
    unallocated_overdue: int


@dataclass(frozen=True)
class ProviderLoad:
    """A provider's work allocated this month against its current contracts' stated capacity."""

    provider_id: int
    name: str
    allocated: int
    capacity: int | None  # None: no current contract states one

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.allocated > self.capacity

    @property
    def left(self) -> int | None:
        """Capacity not yet used this month (never below 0); None with no stated capacity."""
        return None if self.capacity is None else max(self.capacity - self.allocated, 0)


def _counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def manager_counts(on: date) -> ManagerCounts:
    """The cards' counts on a day: one aggregate over allocations, one count of the board."""
    due_this_week = due_condition("this_week", on)
    overdue = due_condition("overdue", on)
    assert due_this_week is not None and overdue is not None
    work = db.session.execute(
        select(
            _counted(Allocation.status == AllocationStatus.RETURNED),
            _counted(Allocation.unanswered_question_at.is_not(None)),
            _counted(due_this_week),
            _counted(overdue),
        )
    ).one()
    unallocated = db.session.scalar(
        select(func.count()).select_from(board_query(UNALLOCATED_OVERDUE, on).subquery())
    )
    return ManagerCounts(
        awaiting_review=int(work[0]),
        questions_waiting=int(work[1]),
        due_this_week=int(work[2]),
        overdue=int(work[3]),
        unallocated_overdue=int(unallocated or 0),
    )


def provider_loads(on: date) -> list[ProviderLoad]:
    """Each active provider's work allocated this month (not withdrawn or declined, as the
    monthly report and the bulk check count it) and its current contracts' stated monthly
    capacity added up: one query."""
    allocated = (
        select(Allocation.provider_id, func.count(Allocation.id).label("allocated"))
        .where(
            Allocation.allocated_on >= month_start(on),
            Allocation.allocated_on <= on,
            Allocation.status.not_in((AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)),
        )
        .group_by(Allocation.provider_id)
        .subquery()
    )
    capacity = (
        select(
            Contract.provider_id,
            func.sum(Contract.stated_monthly_capacity).label("capacity"),
        )
        .where(is_current(on))
        .group_by(Contract.provider_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Provider.id,
            Provider.name,
            func.coalesce(allocated.c.allocated, 0),
            capacity.c.capacity,
        )
        .outerjoin(allocated, allocated.c.provider_id == Provider.id)
        .outerjoin(capacity, capacity.c.provider_id == Provider.id)
        .where(Provider.active)
        .order_by(Provider.name)
    )
    return [
        ProviderLoad(provider_id, name, int(count), None if cap is None else int(cap))
        for provider_id, name, count, cap in rows
    ]


@dataclass(frozen=True)
class ProviderHome:
    """The provider home: each count, and the first few of each list (soonest due first)."""

    to_accept: int
    due_this_week: int
    sent_back: int
    to_accept_items: list[Allocation]
    due_items: list[Allocation]
    sent_back_items: list[Allocation]


def _first(
    scoped: Select[Allocation], on: date, status: str = "", due: str = "", answer: str = ""
) -> list[Allocation]:
    query = (
        filtered(scoped, status=status, due=due, answer=answer, on=on)
        .order_by(due_column(), Allocation.id)
        .limit(SHORT_LIST)
        .options(joinedload(Allocation.case), joinedload(Allocation.work_type))
    )
    return list(db.session.scalars(query))


def provider_home(scoped: Select[Allocation], on: date) -> ProviderHome:
    """The provider home within scoped, the allocations the person may see
    (permissions.provider_allocations): one count query and three short lists."""
    due_this_week = due_condition("this_week", on)
    assert due_this_week is not None
    counts = db.session.execute(
        scoped.with_only_columns(
            _counted(awaiting_answer_condition()),
            _counted(due_this_week),
            _counted(Allocation.status == AllocationStatus.AMENDMENT_REQUESTED),
        ).order_by(None)
    ).one()
    return ProviderHome(
        to_accept=int(counts[0]),
        due_this_week=int(counts[1]),
        sent_back=int(counts[2]),
        to_accept_items=_first(scoped, on, answer="awaiting"),
        due_items=_first(scoped, on, due="this_week"),
        sent_back_items=_first(scoped, on, status=AllocationStatus.AMENDMENT_REQUESTED.value),
    )
