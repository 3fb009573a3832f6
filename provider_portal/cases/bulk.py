"""Allocating several cases at once: checked first, then all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from provider_portal.allocations.services import AllocationError, allocate
from provider_portal.extensions import db
from provider_portal.models import OPEN_STATUSES, Allocation, Case, Provider, User, WorkType

MAX_BULK = 200


@dataclass
class ProviderLoad:
    """A provider's open work, by type, to judge capacity before allocating more."""

    by_work_type: list[tuple[str, int]]
    total: int
    overdue: int


def parse_case_ids(values: list[str]) -> list[int]:
    """Distinct case ids from the ticked boxes, in the order they were ticked."""
    ids: list[int] = []
    for value in values:
        if value.isdigit() and len(value) < 12 and int(value) not in ids:
            ids.append(int(value))
    return ids


def cases_for(ids: list[int]) -> list[Case]:
    if not ids:
        return []
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def provider_load(provider: Provider, as_of: object) -> ProviderLoad:
    """Open allocations of this provider per work type, and how many are past due."""
    rows = db.session.execute(
        select(WorkType.name, func.count(Allocation.id))
        .join(Allocation, Allocation.work_type_id == WorkType.id)
        .where(Allocation.provider_id == provider.id, Allocation.status.in_(OPEN_STATUSES))
        .group_by(WorkType.name)
        .order_by(WorkType.name)
    ).all()
    overdue = db.session.scalar(
        select(func.count(Allocation.id)).where(
            Allocation.provider_id == provider.id,
            Allocation.status.in_(OPEN_STATUSES),
            Allocation.due_on < as_of,
        )
    )
    by_type = [(name, int(count)) for name, count in rows]
    return ProviderLoad(by_type, sum(c for _, c in by_type), int(overdue or 0))


def allocate_all(
    cases: list[Case], provider: Provider, work_type: WorkType, actor: User
) -> list[str]:
    """Allocate every case or none: the problems, or [] once all are added (caller commits)."""
    problems = []
    for case in cases:
        try:
            allocate(case, provider, work_type, actor=actor)
        except AllocationError as error:
            problems.append(str(error))
    return problems
