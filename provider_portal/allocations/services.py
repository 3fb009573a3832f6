"""Allocating work and moving it through the provider's answer, return, review and closing.

Each function changes one allocation (or, allocate_batch, several), records the audit rows and
tells the people concerned (notifications.events) in the same transaction, and never commits:
the caller commits, so imports can run many operations all-or-nothing and a page commits once
for its request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit
from provider_portal.allocations.clock import refresh_statutory_due, statutory_due
from provider_portal.contracts.allocating import (
    ContractCost,
    batch_contract,
    contract_for,
    preselected,
    provider_contract_costs,
    turnaround_days,
    unit_price,
)
from provider_portal.documents import IntegrityFailure, checked_file
from provider_portal.errors import AllocationError, ContractError
from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    CasePaper,
    Contract,
    Document,
    Provider,
    Role,
    SendBack,
    SendBackReason,
    User,
    WorkType,
)
from provider_portal.notifications.events import work_event
from provider_portal.papers.services import share
from provider_portal.quality.services import record_quality_check
from provider_portal.timescales import due_date, today

# Who a provider administrator may give work to: people of their own organisation.
ASSIGNABLE_ROLES = (Role.PROVIDER_ADMIN, Role.PRACTITIONER)


def allocation_event(
    action: str, allocation: Allocation, actor: User | None, detail: str | None = None
) -> None:
    """An allocation event, filterable by its case and provider."""
    audit.record(
        action,
        "allocation",
        allocation.id,
        detail=detail,
        actor=actor,
        case_id=allocation.case_id,
        provider_id=allocation.provider_id,
    )


def record_viewed(allocation: Allocation) -> None:
    """Someone opened the allocation's page (the caller commits it with the page)."""
    allocation_event("allocation_viewed", allocation, None)


def document_event(action: str, document: Document) -> None:
    """A document event (download, integrity failure), filterable by case and provider."""
    audit.record(
        action,
        "document",
        document.id,
        case_id=document.allocation.case_id,
        provider_id=document.allocation.provider_id,
    )


def open_document(document: Document) -> IO[bytes]:
    """The stored file of a document someone may download, checked and the download audited.

    A file that no longer matches the SHA-256 recorded at upload is audited as an integrity
    failure and IntegrityFailure raised; the caller commits either row. Both the council's
    and the provider's downloads come here once they have loaded the document through their
    own access rules.
    """
    try:
        handle = checked_file(document)
    except IntegrityFailure:
        document_event("document_integrity_failure", document)
        raise
    document_event("document_downloaded", document)
    return handle


def _clean_text(value: str | None) -> str:
    """Free text as stored: PostgreSQL refuses NUL, and blank means missing."""
    return (value or "").replace("\x00", "").strip()


def _required(text: str | None, missing: str) -> str:
    """Free text the person must give (a reason, a comment), as stored."""
    value = _clean_text(text)
    if not value:
        raise AllocationError(missing)
    return value


def _day(allocation: Allocation, day: date | None, too_early: str) -> date:
    """The day of a step in the work: today unless given, never before it was allocated."""
    when = day or today()
    if when < allocation.allocated_on:
        raise AllocationError(too_early)
    return when


def _close(allocation: Allocation, status: AllocationStatus, when: date) -> None:
    """The work ends: it leaves the open statuses and counts as closed from the day."""
    allocation.status = status
    allocation.closed_on = when
    _save(allocation)


def _save(allocation: Allocation) -> None:
    """Flush now so a concurrent change (version_id_col) fails here, as a message."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise AllocationError(
            "Someone else changed this work a moment ago. Reload the page to see it."
        ) from error


def is_taken_on(allocation: Allocation) -> bool:
    """Whether the provider has taken the work on: accepted it, or already returned it once.

    Work the council recorded as returned (imports, older records) has no acceptance, but the
    provider plainly did it: after an amendment request they must be able to return it again.
    """
    return allocation.provider_accepted_on is not None or allocation.returned_on is not None


def awaiting_answer(allocation: Allocation) -> bool:
    """Whether the provider can still accept or decline the work."""
    return allocation.status is AllocationStatus.ALLOCATED and not is_taken_on(allocation)


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
    contract: Contract | None = None,
    current: Sequence[Contract] | None = None,
    papers: Sequence[CasePaper] = (),
) -> Allocation:
    """Give a case's work of one type to a provider; the due date follows the turnaround.

    papers are the case papers that go with the work, exactly those (the manager's choice;
    papers.services.default_papers gives the work type's defaults): shared in the same
    transaction, each share audited.

    The work goes under the contract given, or the provider's only current contract (see
    contracts.allocating.contract_for; current is the provider's current contracts when the
    caller has read them already), at its price, and is due by its turnaround target.
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
    if case.closed_on is not None and case.final_plan_issued_on is None and start >= case.closed_on:
        raise AllocationError(
            f"Case {case.case_ref} closed on {long_date(case.closed_on)} without a plan: "
            "no more work can be allocated on it"
        )
    try:
        contract = contract_for(provider, start, contract, current)
    except ContractError as error:
        raise AllocationError(str(error)) from error
    turnaround = turnaround_days(contract, work_type)
    try:
        # The savepoint begins before the row exists, so a losing race rolls back only it.
        with db.session.begin_nested():
            allocation = Allocation(
                case=case,
                provider=provider,
                work_type=work_type,
                contract=contract,
                unit_price=unit_price(contract, work_type, start),
                allocated_on=start,
                due_on=due_on or due_date(start, turnaround),
                statutory_due_on=statutory_due(work_type, start),
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
    allocation_event(
        "allocation_created",
        allocation,
        actor,
        detail=(
            f"case={case.id} provider={provider.id} work_type={work_type.code}"
            + (f" contract={contract.reference}" if contract else "")
        ),
    )
    share(allocation, papers, actor=actor)
    work_event("work_allocated", allocation, actor)
    return allocation


# Said on the confirm page's approval box when a batch costs more than is left in its contract.
APPROVAL_NEEDED = "Confirm you have approval to exceed the contract value"


@dataclass
class BatchOutcome:
    """What allocate_batch did: every case allocated, or none and why.

    options are the provider's current contracts priced for the batch, and cost the one the
    work went (or would go) under, with what is left in it and by how much the batch takes
    it over.
    """

    options: list[ContractCost]
    cost: ContractCost | None
    allocations: list[Allocation] = field(default_factory=list)
    # The contract cannot take the work, or the approval it needs is missing: field names
    # the input ("contract" or "approved").
    refused: ContractError | None = None
    # Why some cases could not be allocated (so none was), one sentence each.
    conflicts: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.refused is None and not self.conflicts


def allocate_batch(
    cases: Sequence[Case],
    provider: Provider,
    work_type: WorkType,
    *,
    actor: User | None,
    contract_id: int | None,
    approved: bool = False,
    papers: Mapping[int, Sequence[CasePaper]] | None = None,
) -> BatchOutcome:
    """Allocate every case's work of one type to the provider, or none of them.

    papers: by case id, the case papers that go with each case's work (none when absent).

    The work goes under the contract the person confirmed (contracts.allocating
    .batch_contract); costing more than is left in it needs their approval. Besides each
    allocation's own row, one bulk_allocation row names the batch.
    """
    on = today()
    options = provider_contract_costs(provider, work_type, len(cases), on)
    outcome = BatchOutcome(options, preselected(options, contract_id))
    try:
        cost = batch_contract(options, provider, on, contract_id)
        if cost is not None and cost.exceeds and not approved:
            raise ContractError(APPROVAL_NEEDED, field="approved")
    except ContractError as error:
        outcome.refused = error
        return outcome
    contract = cost.contract if cost is not None else None
    current = [option.contract for option in options]
    savepoint = db.session.begin_nested()
    try:
        for case in cases:
            try:
                allocation = allocate(
                    case,
                    provider,
                    work_type,
                    actor=actor,
                    contract=contract,
                    current=current,
                    papers=(papers or {}).get(case.id, ()),
                )
            except AllocationError as error:
                outcome.conflicts.append(str(error))
            else:
                outcome.allocations.append(allocation)
    except BaseException:
        savepoint.rollback()
        raise
    if outcome.conflicts:
        savepoint.rollback()
        outcome.allocations = []
        return outcome
    savepoint.commit()
    # The cases are on their allocation_created rows; this one names the batch's contract.
    detail = f"cases={len(cases)} provider={provider.id} work_type={work_type.code}"
    if cost is not None:
        detail += f" contract={cost.contract.reference}"
        if cost.exceeds:
            detail += f" over_by={cost.over_by} approved=yes"
    audit.record("bulk_allocation", detail=detail, actor=actor, provider_id=provider.id)
    return outcome


def record_return(
    allocation: Allocation, *, actor: User | None, returned_on: date | None = None
) -> None:
    """The provider says the work is done; it needs at least one uploaded document."""
    if allocation.status is AllocationStatus.WITHDRAWN:
        raise AllocationError("This work has been withdrawn by the council")
    if allocation.status is AllocationStatus.DECLINED:
        raise AllocationError("This work was declined")
    if allocation.status not in (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED):
        raise AllocationError("This work has already been returned")
    if actor is not None and actor.is_provider_user and not is_taken_on(allocation):
        raise AllocationError("Accept the work before you return it")
    if actor is not None and actor.is_provider_user and not allocation.documents:
        raise AllocationError("Upload the completed work before you mark it as returned")
    when = _day(
        allocation,
        returned_on,
        "The return date must be on or after the date the work was allocated",
    )
    if allocation.returned_on is None:
        allocation.returned_on = when
        # An advice exception with no end date counts up to the day the advice came back.
        if allocation.work_type.is_advice and any(
            e.allocation_id == allocation.id and e.ends_on is None
            for e in allocation.case.exceptions
        ):
            refresh_statutory_due(allocation)
    allocation.status = AllocationStatus.RETURNED
    allocation.returned_by_id = actor.id if actor else None
    allocation_event("allocation_returned", allocation, actor)
    work_event("work_returned", allocation, actor)


def accept(
    allocation: Allocation,
    *,
    actor: User | None,
    accepted_on: date | None = None,
    scores: Mapping[str, int] | None = None,
) -> None:
    """The council accepts the returned work; the allocation closes.

    With scores (the quality rubric's, section code -> 0, 1 or 2), the quality check is
    recorded in the same transaction; the import and the CLI accept without one.
    """
    if allocation.status is not AllocationStatus.RETURNED:
        raise AllocationError("Only returned work can be accepted")
    when = accepted_on or today()
    if allocation.returned_on and when < allocation.returned_on:
        raise AllocationError("The acceptance date must be on or after the return date")
    allocation.status = AllocationStatus.ACCEPTED
    allocation.accepted_on = when
    allocation.accepted_by_id = actor.id if actor else None
    allocation.closed_on = when
    if scores is not None:
        record_quality_check(allocation, scores, actor=actor, checked_on=when)
    allocation_event("allocation_accepted", allocation, actor)
    work_event("work_accepted", allocation, actor)


def request_amendment(
    allocation: Allocation,
    comment: str,
    *,
    actor: User | None,
    reasons: Sequence[SendBackReason] = (),
) -> SendBack:
    """Send returned work back to the provider with a comment saying what to change.

    Each request is kept as a SendBack row with the reasons ticked, so figures as of a date
    count requests made by then; the allocation's amendment_* columns hold the latest one.
    """
    if allocation.status is not AllocationStatus.RETURNED:
        raise AllocationError("Only returned work can be sent back for amendment")
    comment = _required(comment, "Enter what needs to be amended")
    when = today()
    allocation.status = AllocationStatus.AMENDMENT_REQUESTED
    allocation.amendment_comment = comment
    allocation.amendment_requested_on = when
    allocation.amendment_requested_by_id = actor.id if actor else None
    allocation.amendment_count = (allocation.amendment_count or 0) + 1
    sendback = SendBack(
        allocation=allocation,
        requested_on=when,
        comment=comment,
        requested_by_id=actor.id if actor else None,
        reasons=list(reasons),
    )
    db.session.add(sendback)
    allocation_event("allocation_amendment_requested", allocation, actor)
    work_event("work_sent_back", allocation, actor)
    return sendback


def withdraw(
    allocation: Allocation, reason: str, *, actor: User | None, withdrawn_on: date | None = None
) -> None:
    """The council takes open work back; it closes, and the case can be allocated again."""
    if not allocation.is_open:
        raise AllocationError("Only work that is still open can be withdrawn")
    reason = _required(reason, "Enter why you are withdrawing this work")
    when = _day(
        allocation,
        withdrawn_on,
        "The withdrawal date must be on or after the date the work was allocated",
    )
    allocation.withdrawn_on = when
    allocation.withdrawn_reason = reason
    allocation.withdrawn_by_id = actor.id if actor else None
    _close(allocation, AllocationStatus.WITHDRAWN, when)
    allocation_event("allocation_withdrawn", allocation, actor)
    work_event("work_withdrawn", allocation, actor)


def _check_provider_actor(allocation: Allocation, actor: User | None) -> None:
    """A provider user may act only on their own organisation's work (defence in depth)."""
    if actor is not None and actor.is_provider_user and actor.provider_id != allocation.provider_id:
        raise AllocationError("This work is not allocated to your organisation")


def provider_accept(
    allocation: Allocation, *, actor: User | None, accepted_on: date | None = None
) -> None:
    """The provider takes the work on; only then can they upload and return it."""
    _check_provider_actor(allocation, actor)
    if not awaiting_answer(allocation):
        raise AllocationError("This work is no longer waiting for your answer")
    when = _day(
        allocation, accepted_on, "The acceptance date must be on or after the date of allocation"
    )
    allocation.provider_accepted_on = when
    allocation.provider_accepted_by_id = actor.id if actor else None
    _save(allocation)
    allocation_event("allocation_provider_accepted", allocation, actor)
    work_event("work_taken_on", allocation, actor)


def decline(
    allocation: Allocation, reason: str, *, actor: User | None, declined_on: date | None = None
) -> None:
    """The provider turns the work down; it closes and the council can allocate it again."""
    _check_provider_actor(allocation, actor)
    if not awaiting_answer(allocation):
        raise AllocationError("This work is no longer waiting for your answer")
    reason = _required(reason, "Enter why you are declining this work")
    when = _day(
        allocation, declined_on, "The date declined must be on or after the date of allocation"
    )
    allocation.declined_on = when
    allocation.decline_reason = reason
    allocation.declined_by_id = actor.id if actor else None
    _close(allocation, AllocationStatus.DECLINED, when)
    allocation_event("allocation_declined", allocation, actor)
    work_event("work_declined", allocation, actor)


def assignable_people(provider_id: int) -> list[User]:
    """The provider's active people who can be given work, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.provider_id == provider_id,
                User.active.is_(True),
                User.role.in_(ASSIGNABLE_ROLES),
            )
            .order_by(User.name, User.id)
        )
    )


def assign(allocation: Allocation, assignee: User | None, *, actor: User | None) -> None:
    """Give open work to one of the provider's own active people; never across providers."""
    _check_provider_actor(allocation, actor)
    if not allocation.is_open:
        raise AllocationError("Only work that is still open can be assigned")
    if (
        assignee is None
        or assignee.provider_id is None
        or assignee.provider_id != allocation.provider_id
        or assignee.role not in ASSIGNABLE_ROLES
        or not assignee.active
    ):
        raise AllocationError("Select someone from your organisation")
    allocation.assigned_to_id = assignee.id
    _save(allocation)
    allocation_event("allocation_assigned", allocation, actor, detail=f"assigned_to={assignee.id}")
    work_event("work_assigned", allocation, actor)
