"""Recording timescale exceptions on a case, and the per-field error every case form shows.

The outcomes (decisions, plans, closing) are recorded by provider_portal.cases.outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from provider_portal import audit, submissions
from provider_portal.allocations.clock import refresh_statutory_due
from provider_portal.extensions import db
from provider_portal.models import Allocation, Case, CaseException, User
from provider_portal.notifications.events import work_event
from provider_portal.timescales import ADVICE_EXCEPTIONS, FINAL_PLAN_EXCEPTIONS, today


@dataclass
class FieldError:
    field: str
    message: str


def check_exception(
    case: Case,
    reason: str,
    allocation_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
    parent_told_on: date | None,
) -> list[FieldError]:
    """The reason fits the limit it excuses, the advice belongs to this case, dates in order."""
    errors: list[FieldError] = []
    if reason in ADVICE_EXCEPTIONS:
        if allocation_id is None:
            errors.append(FieldError("allocation", "Select the advice this exception applies to"))
        elif not any(a.id == allocation_id for a in case.allocations):
            errors.append(FieldError("allocation", "Select advice allocated on this case"))
    elif reason in FINAL_PLAN_EXCEPTIONS:
        if allocation_id is not None:
            errors.append(
                FieldError("allocation", "A 20-week exception applies to the case, not to advice")
            )
    else:
        errors.append(FieldError("reason", "Select the reason for the exception"))
    if starts_on and starts_on < case.request_received_on:
        errors.append(
            FieldError("starts_on", "The start date must be on or after the request date")
        )
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(FieldError("ends_on", "The end date must be on or after the start date"))
    if parent_told_on and parent_told_on > today():
        errors.append(
            FieldError(
                "parent_told_on", "The date the parent was told must be today or in the past"
            )
        )
    return errors


def record_exception(
    case: Case,
    *,
    reason: str,
    allocation: Allocation | None,
    starts_on: date,
    ends_on: date | None,
    parent_told_on: date | None,
    note: str | None,
    actor: User,
    nonce: str,
) -> CaseException:
    """Add an exception to the case's ledger (caller commits); the ledger is never edited.
    The same form sent again (its nonce) raises Resubmitted and adds nothing."""
    submissions.claim(nonce, "case_exception", actor)
    entry = CaseException(
        case=case,
        applies_to="advice" if reason in ADVICE_EXCEPTIONS else "final_plan",
        allocation_id=allocation.id if allocation else None,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        parent_told_on=parent_told_on,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id,
    )
    db.session.add(entry)
    if allocation is not None:
        # Reg 8(2): the advice's statutory due date moves by the days the exception covers.
        refresh_statutory_due(allocation)
    db.session.flush()
    audit.record(
        "exception_recorded",
        "case",
        case.id,
        detail=f"exception={entry.id} reason={reason}",
        actor=actor,
        case_id=case.id,
    )
    # Only an advice exception (reg 8(2)) moves a piece of work's dates: its allocation's
    # statutory due date. A 20-week exception (reg 10(4)) moves the case's final plan limit,
    # which no allocation's due date follows, so no provider is told of it.
    if allocation is not None and allocation.is_open:
        work_event("exception_recorded", allocation, actor)
    return entry
