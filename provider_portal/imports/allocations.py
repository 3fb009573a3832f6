"""Importing an allocation log, all or nothing.

Every row is checked as before; then the rows are replayed oldest first under the rules the
allocation services enforce (allocate, record_return, accept, withdraw, decline), with the
same messages, and the allocations they would leave are written in bulk: each one's columns
worked out in Python from what was read up front, a multi-row INSERT a chunk of rows. Imported
history sends no notifications.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit, submissions
from provider_portal.admin.services import create_provider
from provider_portal.allocations import summary as work_counts
from provider_portal.allocations.clock import statutory_due
from provider_portal.bulk import insert_returning
from provider_portal.contracts.allocating import (
    NewProvider,
    contract_named,
    contracts_by_reference,
    turnaround_days,
)
from provider_portal.errors import AccountError, AlreadyExists, ContractError
from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.imports import rows
from provider_portal.imports.bulk import CHUNK, SavingProgress
from provider_portal.imports.columns import ALLOCATIONS, column_names, required_names
from provider_portal.imports.rows import (
    CHECKING,
    CONCURRENT_CHANGE,
    LABELS,
    PROGRESS_EVERY,
    ImportResult,
    Problems,
    Progress,
    batches,
    commit_or_report,
    matched_table,
    no_progress,
    read_date,
    read_text,
)
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    Contract,
    ContractPrice,
    Provider,
    User,
    WorkType,
)
from provider_portal.tabular import Row, Table
from provider_portal.timescales import due_date, today

ALLOCATION_REQUIRED = tuple(required_names(ALLOCATIONS))
ALLOCATION_OPTIONAL = tuple(
    name for name in column_names(ALLOCATIONS) if name not in ALLOCATION_REQUIRED
)
# How work that ended without being returned is written: its date column and reason column.
ENDINGS = {
    "withdrawn": ("withdrawn_on", "withdrawal_reason"),
    "declined": ("declined_on", "decline_reason"),
}
# What tells apart the allocations one import creates (a line repeating another is refused).
NEW_KEY = ("case_id", "provider_id", "work_type_id", "allocated_on")
# The allocation's column for each ending's reason.
STORED_REASON = {"withdrawn": "withdrawn_reason", "declined": "decline_reason"}


@dataclass
class _AllocationRow:
    line: int
    case_ref: str
    provider_name: str
    work_type: WorkType
    allocated_on: date
    due_on: date | None
    returned_on: date | None
    accepted_on: date | None
    contract_ref: str | None = None
    # Work that ended without being returned: "withdrawn" or "declined", when and why.
    ending: tuple[str, date, str] | None = None
    # Decided once every row has been checked: the contract the work goes under, if any.
    contract: Contract | None = None


def _work_type_lookup() -> dict[str, WorkType]:
    """Work types by code and by name, both case-insensitive."""
    work_types = list(db.session.scalars(select(WorkType)))
    # Codes win over names if a name ever happens to equal another type's code.
    lookup = {work_type.name.casefold(): work_type for work_type in work_types}
    lookup.update({work_type.code.casefold(): work_type for work_type in work_types})
    return lookup


def _provider_lookup() -> dict[str, list[Provider]]:
    # Providers are a short list; matching in Python folds case the same way on every
    # database (SQLite's lower() leaves non-ASCII letters alone).
    lookup: dict[str, list[Provider]] = {}
    for provider in db.session.scalars(select(Provider).order_by(Provider.id)):
        lookup.setdefault(provider.name.strip().casefold(), []).append(provider)
    return lookup


def _check_contract(
    allocation_row: _AllocationRow,
    provider: Provider | NewProvider,
    contracts: dict[str, Contract],
    problems: Problems,
) -> None:
    """Decide the row's contract, or record why it cannot go under the one named (or none)."""
    try:
        allocation_row.contract = contract_named(
            contracts, provider, allocation_row.allocated_on, allocation_row.contract_ref
        )
    except ContractError as error:
        problems.add(allocation_row.line, error.field or "", error.message)


def _parse_allocation(
    row: Row, work_types: dict[str, WorkType], problems: Problems
) -> _AllocationRow | None:
    """The values of one row of an allocation log, or None after recording its problems."""
    errors_before = len(problems.errors)
    now = today()
    case_ref = read_text(row, "case_ref", problems, required=True)
    provider_name = read_text(row, "provider", problems, required=True)
    work_type_text = read_text(row, "work_type", problems, required=True)
    contract_ref = read_text(row, "contract", problems)
    work_type = None
    if work_type_text is not None:
        work_type = work_types.get(work_type_text.casefold())
        if work_type is None:
            codes = ", ".join(sorted({wt.code for wt in work_types.values()}))
            problems.add(row.line, "work_type", f"Work type must be one of {codes}")
    dates: dict[str, date | None] = {}
    for column in (
        "allocated_on",
        "due_on",
        "returned_on",
        "accepted_on",
        "withdrawn_on",
        "declined_on",
    ):
        dates[column] = read_date(row, column, problems, required=column == "allocated_on")
        value = dates[column]
        if column != "due_on" and value is not None and value > now:
            problems.add(row.line, column, f"{LABELS[column]} must be today or in the past")
            dates[column] = None
    allocated_on, due_on = dates["allocated_on"], dates["due_on"]
    returned_on, accepted_on = dates["returned_on"], dates["accepted_on"]
    if allocated_on is not None:
        if due_on is not None and due_on < allocated_on:
            problems.add(row.line, "due_on", "Due date must be on or after the allocation date")
        if returned_on is not None and returned_on < allocated_on:
            problems.add(
                row.line, "returned_on", "Return date must be on or after the allocation date"
            )
    if accepted_on is not None:
        if returned_on is None and row.get("returned_on") is None:
            problems.add(
                row.line,
                "accepted_on",
                "Enter the return date, or leave the acceptance date blank",
            )
        elif returned_on is not None and accepted_on < returned_on:
            problems.add(
                row.line, "accepted_on", "Acceptance date must be on or after the return date"
            )
    ending = _ending(row, dates, problems)
    if len(problems.errors) > errors_before:
        return None
    assert case_ref and provider_name and work_type and allocated_on  # checked above
    return _AllocationRow(
        line=row.line,
        case_ref=case_ref,
        provider_name=provider_name,
        work_type=work_type,
        allocated_on=allocated_on,
        due_on=due_on,
        returned_on=returned_on,
        accepted_on=accepted_on,
        contract_ref=contract_ref,
        ending=ending,
    )


def _ending(
    row: Row, dates: dict[str, date | None], problems: Problems
) -> tuple[str, date, str] | None:
    """How the work ended if it was withdrawn or declined; its date and reason come together,
    on or after the allocation, and only where the rest of the row allows it."""
    found: list[tuple[str, date, str]] = []
    for kind, (date_column, reason_column) in ENDINGS.items():
        when = dates[date_column]
        reason = read_text(row, reason_column, problems)
        date_given = when is not None or row.get(date_column) is not None
        if reason is not None and not date_given:
            problems.add(
                row.line,
                date_column,
                f"Enter the {LABELS[date_column].lower()}, or leave {reason_column} blank",
            )
        elif date_given and reason is None and row.get(reason_column) is None:
            problems.add(
                row.line,
                reason_column,
                f"Enter the {LABELS[reason_column].lower()}, or leave {date_column} blank",
            )
        allocated_on = dates["allocated_on"]
        if when is not None and allocated_on is not None and when < allocated_on:
            problems.add(
                row.line,
                date_column,
                f"{LABELS[date_column]} must be on or after the allocation date",
            )
        elif when is not None and reason is not None:
            found.append((kind, when, reason))
    if len(found) > 1:
        problems.add(
            row.line, "declined_on", "Work cannot be both withdrawn and declined: leave one blank"
        )
        return None
    ending = found[0] if found else None
    returned_on, accepted_on = dates["returned_on"], dates["accepted_on"]
    if ending is not None and ending[0] == "declined" and (returned_on or accepted_on):
        problems.add(
            row.line,
            "declined_on",
            "Work that was declined was never returned: leave returned_on and accepted_on blank",
        )
    elif ending is not None and accepted_on is not None:
        problems.add(
            row.line,
            "withdrawn_on",
            "Accepted work cannot be withdrawn: leave withdrawn_on or accepted_on blank",
        )
    elif ending is not None and returned_on is not None and ending[1] < returned_on:
        problems.add(
            row.line, "withdrawn_on", "Withdrawal date must be on or after the return date"
        )
    return ending


class _Case(NamedTuple):
    """What the import needs of a case: allocate() refuses work on one closed without a plan."""

    id: int
    case_ref: str
    closed_on: date | None
    final_plan_issued_on: date | None


def _cases_by_ref(refs: Iterable[str]) -> dict[str, _Case]:
    """The existing cases for these references, a query a batch of references."""
    found: dict[str, _Case] = {}
    for batch in batches(refs):
        query = select(Case.id, Case.case_ref, Case.closed_on, Case.final_plan_issued_on).where(
            Case.case_ref.in_(batch)
        )
        found.update((row.case_ref, _Case(*row)) for row in db.session.execute(query).all())
    return found


@dataclass
class _Recorded:
    """The allocations already recorded on the file's cases: the keys the file must not repeat
    (case, provider, work type, allocated on) and, for work still open, who has it
    ((case, work type) -> provider name)."""

    keys: set[tuple[int, int, int, date]] = field(default_factory=set)
    open: dict[tuple[int, int], str] = field(default_factory=dict)


def _recorded_allocations(case_ids: Iterable[int]) -> _Recorded:
    """What is recorded on these cases: a query a batch of cases, however many rows."""
    recorded = _Recorded()
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), rows.BATCH_SIZE):
        batch = ids[start : start + rows.BATCH_SIZE]
        query = (
            select(
                Allocation.case_id,
                Allocation.provider_id,
                Allocation.work_type_id,
                Allocation.allocated_on,
                Allocation.status,
                Provider.name,
            )
            .join(Provider, Provider.id == Allocation.provider_id)
            .where(Allocation.case_id.in_(batch))
        )
        for case_id, provider_id, work_type_id, allocated_on, status, name in db.session.execute(
            query
        ).all():
            recorded.keys.add((case_id, provider_id, work_type_id, allocated_on))
            if status in OPEN_STATUSES:
                recorded.open[(case_id, work_type_id)] = name
    return recorded


def _create_providers(
    parsed: list[_AllocationRow],
    providers: dict[str, list[Provider]],
    new_providers: dict[str, str],
    actor: User | None,
    result: ImportResult,
    problems: Problems,
) -> bool:
    """Create the providers the file names that do not exist yet; False if one cannot be."""
    for folded, name in new_providers.items():
        try:
            provider = create_provider(name, actor=actor, via="import")
        except AccountError as error:
            if isinstance(error, AlreadyExists):
                raise  # added by someone else since the lookup: the whole import stops
            line = next(row.line for row in parsed if row.provider_name.casefold() == folded)
            problems.add(line, "provider", error.message)
            return False
        providers[folded] = [provider]
        result.providers_created += 1
    return True


def _prices(contracts: Iterable[Contract]) -> dict[tuple[int, int], list[tuple[date, Decimal]]]:
    """Every price row of these contracts: (contract, work type) -> [(from, price)] by date."""
    ids = sorted({contract.id for contract in contracts})
    prices: dict[tuple[int, int], list[tuple[date, Decimal]]] = {}
    if not ids:
        return prices
    query = (
        select(
            ContractPrice.contract_id,
            ContractPrice.work_type_id,
            ContractPrice.effective_from,
            ContractPrice.unit_price,
        )
        .where(ContractPrice.contract_id.in_(ids))
        .order_by(ContractPrice.effective_from, ContractPrice.id)
    )
    for contract_id, work_type_id, effective_from, price in db.session.execute(query).all():
        prices.setdefault((contract_id, work_type_id), []).append((effective_from, price))
    return prices


def _price_on(
    prices: dict[tuple[int, int], list[tuple[date, Decimal]]],
    contract: Contract | None,
    work_type: WorkType,
    on: date,
) -> Decimal | None:
    """contracts.allocating.unit_price from the prices read up front: the latest row dated
    on or before the day (contracts.pricing.price_in_force)."""
    if contract is None:
        return None
    price = None
    for effective_from, unit_price in prices.get((contract.id, work_type.id), ()):
        if effective_from > on:
            break
        price = unit_price
    return price


def _refusal(
    allocation_row: _AllocationRow,
    case: _Case,
    provider: Provider,
    open_work: dict[tuple[int, int], str],
) -> str | None:
    """Why allocations.services.allocate would refuse the row, in its words, given the work
    open at that point of the replay."""
    work_type = allocation_row.work_type
    if not provider.active:
        return f"{provider.name} is not taking work"
    holder = open_work.get((case.id, work_type.id))
    if holder is not None:
        return f"Case {case.case_ref} already has {work_type.name.lower()} allocated to {holder}"
    start = allocation_row.allocated_on
    if case.closed_on is not None and case.final_plan_issued_on is None and start >= case.closed_on:
        return (
            f"Case {case.case_ref} closed on {long_date(case.closed_on)} without a plan: "
            "no more work can be allocated on it"
        )
    return None


def _columns(
    allocation_row: _AllocationRow,
    case: _Case,
    provider: Provider,
    prices: dict[tuple[int, int], list[tuple[date, Decimal]]],
    actor_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The allocation as allocate(), then record_return(), accept(), withdraw() or decline()
    would leave it: every column of its row."""
    work_type, contract = allocation_row.work_type, allocation_row.contract
    start = allocation_row.allocated_on
    values: dict[str, Any] = {
        "case_id": case.id,
        "provider_id": provider.id,
        "work_type_id": work_type.id,
        "contract_id": contract.id if contract is not None else None,
        "unit_price": _price_on(prices, contract, work_type, start),
        "allocated_on": start,
        "due_on": allocation_row.due_on or due_date(start, turnaround_days(contract, work_type)),
        "statutory_due_on": statutory_due(work_type, start),
        "status": AllocationStatus.ALLOCATED,
        "allocated_by_id": actor_id,
        "returned_on": None,
        "returned_by_id": None,
        "accepted_on": None,
        "accepted_by_id": None,
        "closed_on": None,
        "withdrawn_on": None,
        "withdrawn_reason": None,
        "withdrawn_by_id": None,
        "declined_on": None,
        "decline_reason": None,
        "declined_by_id": None,
        "amendment_count": 0,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    if allocation_row.returned_on is not None:
        values.update(
            status=AllocationStatus.RETURNED,
            returned_on=allocation_row.returned_on,
            returned_by_id=actor_id,
        )
    if allocation_row.accepted_on is not None:
        values.update(
            status=AllocationStatus.ACCEPTED,
            accepted_on=allocation_row.accepted_on,
            accepted_by_id=actor_id,
            closed_on=allocation_row.accepted_on,
        )
    if allocation_row.ending is not None:
        ending, when, reason = allocation_row.ending
        values.update(
            {
                "status": AllocationStatus(ending),
                f"{ending}_on": when,
                # Read as the services store it: trimmed, never blank, no NUL.
                STORED_REASON[ending]: reason,
                f"{ending}_by_id": actor_id,
                "closed_on": when,
            }
        )
    if values["status"] is not AllocationStatus.ALLOCATED:
        values["version"] = 2  # the services flush the new row, then its change of state
    return values


def _record_allocations(
    parsed: list[_AllocationRow],
    cases: dict[str, _Case],
    providers: dict[str, list[Provider]],
    recorded: _Recorded,
    actor: User | None,
    result: ImportResult,
    problems: Problems,
    saving: SavingProgress,
) -> None:
    """Replay the rows oldest first, as the allocation services would, and write the
    allocations they make (with their audit rows) in bulk; no notifications for history."""
    prices = _prices(row.contract for row in parsed if row.contract is not None)
    open_work = dict(recorded.open)
    actor_id = actor.id if actor is not None else None
    now = datetime.now(UTC)
    new: list[dict[str, Any]] = []
    details: list[str] = []
    # Oldest first, so a log that lists a later piece of work before an earlier one that
    # closed still replays in the order it happened.
    for allocation_row in sorted(parsed, key=lambda r: (r.allocated_on, r.line)):
        case = cases[allocation_row.case_ref]
        provider = providers[allocation_row.provider_name.casefold()][0]
        refusal = _refusal(allocation_row, case, provider, open_work)
        if refusal is not None:
            # Keep going: every row's problem is reported, then everything is rolled back.
            problems.add(allocation_row.line, "", refusal)
            continue
        values = _columns(allocation_row, case, provider, prices, actor_id, now)
        if values["status"] in OPEN_STATUSES:
            open_work[(case.id, allocation_row.work_type.id)] = provider.name
        new.append(values)
        details.append(_created_detail(allocation_row, case, provider))
    if problems.errors:
        return
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        ids = insert_returning(Allocation.__table__, chunk, NEW_KEY)
        work_counts.add_rows(chunk)
        entries = (
            (ids[tuple(values[key] for key in NEW_KEY)], values, detail)
            for values, detail in zip(chunk, details[start : start + CHUNK], strict=True)
        )
        audit.record_all(
            (entry for id_, values, detail in entries for entry in _events(id_, values, detail)),
            actor=actor,
        )
        saving.chunk_saved(len(chunk))
    result.created = len(new)


def _created_detail(allocation_row: _AllocationRow, case: _Case, provider: Provider) -> str:
    """The detail of the allocation_created row allocations.services.allocate writes."""
    contract = allocation_row.contract
    return f"case={case.id} provider={provider.id} work_type={allocation_row.work_type.code}" + (
        f" contract={contract.reference}" if contract is not None else ""
    )


# The services' audit action for each step after allocating, and the column dating it.
STEPS = (
    ("allocation_returned", "returned_on"),
    ("allocation_accepted", "accepted_on"),
    ("allocation_withdrawn", "withdrawn_on"),
    ("allocation_declined", "declined_on"),
)


def _events(allocation_id: int, values: dict[str, Any], detail: str) -> list[audit.Entry]:
    """The audit rows the services write for one allocation: created, then each step."""
    actions = ["allocation_created"]
    actions += [action for action, column in STEPS if values[column] is not None]
    return [
        audit.Entry(
            action,
            "allocation",
            allocation_id,
            detail if action == "allocation_created" else None,
            values["case_id"],
            values["provider_id"],
        )
        for action in actions
    ]


def import_allocations(
    table: Table,
    actor: User | None,
    create_missing_providers: bool = False,
    mapping: Mapping[str, str] | None = None,
    nonce: str | None = None,
    progress: Progress = no_progress,
) -> ImportResult:
    """Record every row of an allocation log as the allocation services would, all or nothing.

    mapping, nonce and progress as for import_cases.
    """
    problems = Problems()
    result = ImportResult(noun="allocation", rows=len(table.rows))
    progress(CHECKING, 0, result.rows)
    if nonce is not None and actor is not None:
        submissions.claim(nonce, "import", actor)
    matched = matched_table(ALLOCATIONS, table, mapping, result, problems)
    if matched is None:
        return commit_or_report(result, problems)
    table_rows = matched.rows

    work_types = _work_type_lookup()
    providers = _provider_lookup()
    contracts = contracts_by_reference()
    parsed: list[_AllocationRow] = []
    for number, row in enumerate(table_rows, start=1):
        allocation_row = _parse_allocation(row, work_types, problems)
        if allocation_row is not None:
            parsed.append(allocation_row)
        if number % PROGRESS_EVERY == 0 and number < result.rows:
            progress(CHECKING, number, result.rows)
    cases = _cases_by_ref(allocation_row.case_ref for allocation_row in parsed)
    recorded = _recorded_allocations(case.id for case in cases.values())

    new_providers: dict[str, str] = {}  # folded name -> the spelling first seen
    first_line: dict[tuple[str, str, int, date], int] = {}
    for allocation_row in parsed:
        line = allocation_row.line
        case = cases.get(allocation_row.case_ref)
        if case is None:
            problems.add(line, "case_ref", f"There is no case {allocation_row.case_ref}")
        folded = allocation_row.provider_name.casefold()
        matches = providers.get(folded, [])
        if len(matches) > 1:
            problems.add(
                line,
                "provider",
                f"More than one provider is called {allocation_row.provider_name}. "
                "Ask an administrator to rename one",
            )
        elif not matches and not create_missing_providers:
            problems.add(
                line,
                "provider",
                f"There is no provider called {allocation_row.provider_name}. Check the name, "
                "or choose to create providers that do not exist yet",
            )
        elif not matches:
            new_providers.setdefault(folded, allocation_row.provider_name)
        if len(matches) == 1:
            _check_contract(allocation_row, matches[0], contracts, problems)
        elif not matches and create_missing_providers:
            new = NewProvider(allocation_row.provider_name)
            _check_contract(allocation_row, new, contracts, problems)
        key = (
            allocation_row.case_ref,
            folded,
            allocation_row.work_type.id,
            allocation_row.allocated_on,
        )
        if key in first_line:
            problems.add(line, "", f"This allocation is also on line {first_line[key]}")
        else:
            first_line[key] = line
        if case is not None and len(matches) == 1:
            stored = (case.id, matches[0].id, allocation_row.work_type.id, key[3])
            if stored in recorded.keys:
                problems.add(line, "", "This allocation has already been recorded")

    if problems.errors:
        return commit_or_report(result, problems)

    progress(CHECKING, result.rows, result.rows)
    saving = SavingProgress(progress, result.rows)
    try:
        if _create_providers(parsed, providers, new_providers, actor, result, problems):
            _record_allocations(parsed, cases, providers, recorded, actor, result, problems, saving)
    except (IntegrityError, StaleDataError, AlreadyExists):
        # Someone else created the same provider or allocated the same work meanwhile.
        db.session.rollback()
        problems.add(None, "", CONCURRENT_CHANGE)
        return commit_or_report(result, problems)
    audit.record(
        "allocations_imported",
        detail=(
            f"rows={result.rows} created={result.created} "
            f"providers_created={result.providers_created}"
        ),
        actor=actor,
    )
    done = commit_or_report(result, problems)
    if done.ok:
        saving.done()
    return done
