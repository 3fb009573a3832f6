"""Allocating work and moving it through return, review and acceptance.

Each function changes one allocation, records the audit row in the same transaction and
commits only when asked, so imports can run many operations all-or-nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    Provider,
    User,
    WorkType,
)
from provider_portal.timescales import due_date, today


class AllocationError(Exception):
    """A business rule stopped the operation; the message is written for the person."""


def open_allocation(case: Case, work_type: WorkType) -> Allocation | None:
    """The case's open allocation for this work type, if any."""
    return db.session.scalar(
        select(Allocation).where(
            Allocation.case_id == case.id,
            Allocation.work_type_id == work_type.id,
            Allocation.status.in_(OPEN_STATUSES),
        )
    )


def allocate(
    case: Case,
    provider: Provider,
    work_type: WorkType,
    *,
    actor: User | None,
    allocated_on: date | None = None,
    due_on: date | None = None,
) -> Allocation:
    """Give a case's work of one type to a provider; the due date follows the turnaround.

    The partial unique index decides races: a second open allocation fails at flush.
    """
    if not provider.active:
        raise AllocationError(f"{provider.name} is not taking work")
    existing = open_allocation(case, work_type)
    if existing is not None:
        raise AllocationError(
            f"Case {case.case_ref} already has {work_type.name.lower()} "
            f"allocated to {existing.provider.name}"
        )
    start = allocated_on or today()
    try:
        # The savepoint begins before the row exists, so a losing race rolls back only it.
        with db.session.begin_nested():
            allocation = Allocation(
                case=case,
                provider=provider,
                work_type=work_type,
                allocated_on=start,
                due_on=due_on or due_date(start, work_type.turnaround_days),
                status=AllocationStatus.ALLOCATED,
                allocated_by_id=actor.id if actor else None,
            )
            db.session.add(allocation)
            db.session.flush()
    except IntegrityError as error:
        raise AllocationError(
            f"Case {case.case_ref} was allocated {work_type.name.lower()} by someone else "
            "a moment ago. Reload the case to see it."
        ) from error
    audit.record(
        "allocation_created",
        "allocation",
        allocation.id,
        detail=f"case={case.id} provider={provider.id} work_type={work_type.code}",
        actor=actor,
    )
    return allocation


def record_return(
    allocation: Allocation, *, actor: User | None, returned_on: date | None = None
) -> None:
    """The provider says the work is done; it needs at least one uploaded document."""
    if allocation.status not in (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED):
        raise AllocationError("This work has already been returned")
    if actor is not None and actor.is_provider_user and not allocation.documents:
        raise AllocationError("Upload the completed work before you mark it as returned")
    when = returned_on or today()
    if when < allocation.allocated_on:
        raise AllocationError("The return date must be on or after the date the work was allocated")
    if allocation.returned_on is None:
        allocation.returned_on = when
    allocation.status = AllocationStatus.RETURNED
    allocation.returned_by_id = actor.id if actor else None
    audit.record("allocation_returned", "allocation", allocation.id, actor=actor)


def accept(allocation: Allocation, *, actor: User | None, accepted_on: date | None = None) -> None:
    """The council accepts the returned work; the allocation closes."""
    if allocation.status is not AllocationStatus.RETURNED:
        raise AllocationError("Only returned work can be accepted")
    when = accepted_on or today()
    if allocation.returned_on and when < allocation.returned_on:
        raise AllocationError("The acceptance date must be on or after the return date")
    allocation.status = AllocationStatus.ACCEPTED
    allocation.accepted_on = when
    allocation.accepted_by_id = actor.id if actor else None
    audit.record("allocation_accepted", "allocation", allocation.id, actor=actor)


def request_amendment(allocation: Allocation, comment: str, *, actor: User | None) -> None:
    """Send returned work back to the provider with a comment saying what to change."""
    if allocation.status is not AllocationStatus.RETURNED:
        raise AllocationError("Only returned work can be sent back for amendment")
    if not comment.strip():
        raise AllocationError("Enter what needs to be amended")
    allocation.status = AllocationStatus.AMENDMENT_REQUESTED
    allocation.amendment_comment = comment.strip()
    allocation.amendment_requested_on = today()
    allocation.amendment_requested_by_id = actor.id if actor else None
    allocation.amendment_count = (allocation.amendment_count or 0) + 1
    audit.record("allocation_amendment_requested", "allocation", allocation.id, actor=actor)
