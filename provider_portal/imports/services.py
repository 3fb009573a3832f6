"""Importing cases and allocation logs, all or nothing.

Every row is checked and every problem collected before anything is written; the changes are
then made in one transaction that commits only if no row failed. Audit details carry counts,
never children's names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit
from provider_portal.allocations.services import AllocationError, accept, allocate, record_return
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Case,
    CaseException,
    Contract,
    ContractStatus,
    Provider,
    User,
    WorkType,
)
from provider_portal.tabular import CellError, Row, Table, cell_text, parse_bool, parse_date
from provider_portal.timescales import (
    FINAL_PLAN_EXCEPTIONS,
    long_date,
    parse_year_group,
    reception_year,
    today,
    year_group_label,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # IN lists stay well inside every database's parameter limit
MAX_AGE_YEARS = 25  # EHC plans can run until the young person turns 25

CASE_REQUIRED = ("case_ref", "first_name", "last_name", "date_of_birth", "request_received_on")
CASE_OPTIONAL = (
    "year_group",
    "setting",
    "looked_after",
    "final_plan_issued_on",
    "timescale_exception",
)
ALLOCATION_REQUIRED = ("case_ref", "provider", "work_type", "allocated_on")
ALLOCATION_OPTIONAL = ("due_on", "returned_on", "accepted_on", "contract")

LABELS = {
    "case_ref": "Case reference",
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "request_received_on": "Request date",
    "year_group": "Year group",
    "setting": "Setting",
    "looked_after": "Looked after",
    "final_plan_issued_on": "Final plan date",
    "timescale_exception": "Timescale exception",
    "provider": "Provider",
    "work_type": "Work type",
    "allocated_on": "Allocation date",
    "due_on": "Due date",
    "returned_on": "Return date",
    "accepted_on": "Acceptance date",
    "contract": "Contract",
}


def _length(model: Any, column: str) -> int:
    return int(model.__table__.c[column].type.length)


TEXT_LIMITS = {
    "case_ref": _length(Case, "case_ref"),
    "first_name": _length(Case, "first_name"),
    "last_name": _length(Case, "last_name"),
    "year_group": _length(Case, "year_group"),
    "setting": _length(Case, "setting"),
    "provider": _length(Provider, "name"),
    "contract": _length(Contract, "reference"),
}


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet line (None for the whole file), the column and why."""

    line: int | None
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import did, or every reason it did nothing."""

    noun: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    providers_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        """The sentence shown after a successful import."""
        noun = self.noun if self.rows == 1 else f"{self.noun}s"
        if self.noun == "case":
            return f"Imported {self.rows} {noun}: {self.created} new, {self.updated} updated"
        text = f"Imported {self.rows} {noun}"
        if self.providers_created:
            providers = "provider" if self.providers_created == 1 else "providers"
            text += f" and created {self.providers_created} {providers}"
        return text


CONCURRENT_CHANGE = (
    "Someone else changed the same records while the file was being imported. "
    "Nothing was imported. Import the file again"
)


class _Problems:
    """Collects row errors; reported in line order."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, line: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    def sorted(self) -> list[RowError]:
        return sorted(self.errors, key=lambda error: error.line or 0)


def _check_columns(
    headers: Sequence[str], required: Sequence[str], optional: Sequence[str], problems: _Problems
) -> bool:
    """Unknown columns are listed once each; False when a required column is missing."""
    known = set(required) | set(optional)
    for heading in headers:
        if heading not in known:
            problems.add(
                1,
                heading,
                f"Unknown column. The columns can be {', '.join([*required, *optional])}",
            )
    missing = [column for column in required if column not in headers]
    for column in missing:
        hint = ""
        if len(headers) == 1:
            hint = ". Check the columns are separated by commas, semicolons or tabs"
        problems.add(1, column, f"The file has no {column} column{hint}")
    return not missing


def _text(row: Row, column: str, problems: _Problems, *, required: bool = False) -> str | None:
    value = cell_text(row.get(column))
    label = LABELS[column]
    if value is None:
        if required:
            problems.add(row.line, column, f"Enter the {label.lower()}")
        return None
    if "\x00" in value:
        # PostgreSQL refuses NUL in text; say so here rather than fail the whole import later.
        problems.add(row.line, column, f"{label} contains a NUL character. Remove it")
        return None
    limit = TEXT_LIMITS.get(column)
    if limit is not None and len(value) > limit:
        problems.add(row.line, column, f"{label} must be {limit} characters or fewer")
        return None
    return value


def _date(row: Row, column: str, problems: _Problems, *, required: bool = False) -> date | None:
    label = LABELS[column]
    try:
        value = parse_date(row.get(column), label)
    except CellError as error:
        problems.add(row.line, column, str(error))
        return None
    if value is None and required:
        problems.add(row.line, column, f"Enter the {label.lower()}")
    return value


def _batches(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), BATCH_SIZE):
        yield ordered[start : start + BATCH_SIZE]


def _cases_by_ref(refs: Iterable[str]) -> dict[str, Case]:
    """Existing cases for these references, a few queries however many rows there are."""
    found: dict[str, Case] = {}
    for batch in _batches(refs):
        query = select(Case).where(Case.case_ref.in_(batch)).options(selectinload(Case.exceptions))
        for case in db.session.scalars(query):
            found[case.case_ref] = case
    return found


def _years_before(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year - years)
    except ValueError:  # 29 February
        return value.replace(year=value.year - years, day=28)


def _commit_or_report(result: ImportResult, problems: _Problems) -> ImportResult:
    """Commit when no row failed; otherwise roll everything back and report every problem."""
    if not problems.errors:
        try:
            db.session.commit()
        except (IntegrityError, StaleDataError):
            # Validation has passed, so only someone else's change at the same moment gets here.
            db.session.rollback()
            problems.add(None, "", CONCURRENT_CHANGE)
    if problems.errors:
        db.session.rollback()
        return ImportResult(noun=result.noun, errors=problems.sorted())
    log.info(
        "%s import: rows=%d created=%d updated=%d",
        result.noun,
        result.rows,
        result.created,
        result.updated,
    )
    return result


# --- cases ---------------------------------------------------------------------------------


@dataclass
class _CaseRow:
    line: int
    values: dict[str, Any]


def _parse_case(row: Row, headers: Sequence[str], problems: _Problems) -> _CaseRow | None:
    """The values of one row of a case import, or None after recording its problems."""
    errors_before = len(problems.errors)
    now = today()
    values: dict[str, Any] = {
        "case_ref": _text(row, "case_ref", problems, required=True),
        "first_name": _text(row, "first_name", problems, required=True),
        "last_name": _text(row, "last_name", problems, required=True),
    }
    dob = _date(row, "date_of_birth", problems, required=True)
    received = _date(row, "request_received_on", problems, required=True)
    if received is not None and received > now:
        problems.add(row.line, "request_received_on", "Request date must be today or in the past")
        received = None
    if dob is not None:
        if dob > now:
            problems.add(row.line, "date_of_birth", "Date of birth must be in the past")
        elif received is not None and dob > received:
            problems.add(
                row.line, "date_of_birth", "Date of birth must be on or before the request date"
            )
        elif received is not None and dob < _years_before(received, MAX_AGE_YEARS):
            problems.add(
                row.line,
                "date_of_birth",
                f"Date of birth must be no more than {MAX_AGE_YEARS} years before the request date",
            )
    values["date_of_birth"] = dob
    values["request_received_on"] = received

    # Optional columns only change a case when the file has them: a file without a setting
    # column must not wipe the settings already recorded.
    if "setting" in headers:
        values["setting"] = _text(row, "setting", problems)
    nc_year = None
    if "year_group" in headers:
        try:
            nc_year = parse_year_group(cell_text(row.get("year_group")))
        except ValueError as error:
            problems.add(row.line, "year_group", str(error))
        values["year_group"] = year_group_label(nc_year) if nc_year is not None else None
    if dob is not None and (nc_year is not None or "year_group" in headers):
        values["reception_year"] = reception_year(nc_year, dob, now)
    elif dob is not None:
        # No year group column: new cases take it from the date of birth (see import_cases).
        values["_reception_year_from_dob"] = reception_year(None, dob, now)
    if "looked_after" in headers:
        try:
            values["looked_after"] = parse_bool(row.get("looked_after"), "Looked after")
        except CellError as error:
            problems.add(row.line, "looked_after", str(error))
    if "final_plan_issued_on" in headers:
        issued = _date(row, "final_plan_issued_on", problems)
        if issued is not None and issued > now:
            problems.add(
                row.line, "final_plan_issued_on", "Final plan date must be today or in the past"
            )
        elif issued is not None and received is not None and issued < received:
            problems.add(
                row.line,
                "final_plan_issued_on",
                "Final plan date must be on or after the request date",
            )
        values["final_plan_issued_on"] = issued
    if "timescale_exception" in headers:
        exception = cell_text(row.get("timescale_exception"))
        key = exception.lower() if exception else None
        if key is not None and key not in FINAL_PLAN_EXCEPTIONS:
            problems.add(
                row.line,
                "timescale_exception",
                "Timescale exception must be blank or one of " + ", ".join(FINAL_PLAN_EXCEPTIONS),
            )
        values["_exception"] = key
    if len(problems.errors) > errors_before:
        return None
    return _CaseRow(line=row.line, values=values)


def import_cases(table: Table, actor: User | None) -> ImportResult:
    """Create or update a case for every row; nothing is saved if any row has a problem."""
    headers, rows = table
    problems = _Problems()
    if not _check_columns(headers, CASE_REQUIRED, CASE_OPTIONAL, problems):
        return _commit_or_report(ImportResult(noun="case"), problems)

    first_line: dict[str, int] = {}
    parsed: list[_CaseRow] = []
    for row in rows:
        ref = cell_text(row.get("case_ref"))
        if ref is not None and ref in first_line:
            problems.add(
                row.line, "case_ref", f"Case reference {ref} is also on line {first_line[ref]}"
            )
        elif ref is not None:
            first_line[ref] = row.line
        case_row = _parse_case(row, headers, problems)
        if case_row is not None:
            parsed.append(case_row)

    result = ImportResult(noun="case", rows=len(rows))
    if problems.errors:
        return _commit_or_report(result, problems)

    existing = _cases_by_ref(case_row.values["case_ref"] for case_row in parsed)
    for case_row in parsed:
        values = dict(case_row.values)
        exception = values.pop("_exception", None)
        from_dob = values.pop("_reception_year_from_dob", None)
        case = existing.get(values["case_ref"])
        if case is None:
            if "reception_year" not in values:
                values["reception_year"] = from_dob
            case = Case(**values)
            db.session.add(case)
            result.created += 1
        else:
            for name, value in values.items():
                setattr(case, name, value)
            result.updated += 1
        if exception is not None:
            _record_imported_exception(case, exception, actor)
    audit.record(
        "cases_imported",
        detail=f"rows={result.rows} created={result.created} updated={result.updated}",
        actor=actor,
    )
    return _commit_or_report(result, problems)


def _record_imported_exception(case: Case, reason: str, actor: User | None) -> None:
    """Add a 20-week exception to the case's ledger unless the same reason is already there.

    The ledger only grows: a blank cell, or a later import without the exception, never
    removes one; that is done on the case page, where it is audited.
    """
    if any(e.applies_to == "final_plan" and e.reason == reason for e in case.exceptions):
        return
    case.exceptions.append(
        CaseException(
            applies_to="final_plan",
            reason=reason,
            note="Recorded by import",
            recorded_by_id=actor.id if actor else None,
        )
    )


# --- allocations ---------------------------------------------------------------------------


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


def _contract_lookup() -> dict[str, Contract]:
    """Every contract by its reference, case-insensitive, with its turnaround targets.

    Contracts are a short list: one query, however many rows name them.
    """
    query = select(Contract).options(selectinload(Contract.turnarounds)).order_by(Contract.id)
    lookup: dict[str, Contract] = {}
    for contract in db.session.scalars(query):
        lookup.setdefault(contract.reference.strip().casefold(), contract)
    return lookup


def _current_contracts(
    contracts: Iterable[Contract], provider: Provider, on: date
) -> list[Contract]:
    """The provider's active contracts running on a day, as contract_for would find them."""
    return sorted(
        (
            contract
            for contract in contracts
            if contract.provider_id == provider.id
            and contract.status is ContractStatus.ACTIVE
            and contract.start_on <= on <= contract.end_on
        ),
        key=lambda contract: contract.reference,
    )


def _check_contract(
    allocation_row: _AllocationRow,
    provider: Provider | None,
    contracts: dict[str, Contract],
    problems: _Problems,
) -> None:
    """Decide the row's contract, or record why it cannot go under the one named (or none).

    provider is None for a provider the import will create: it has no contracts yet.
    """
    line, on = allocation_row.line, allocation_row.allocated_on
    reference = allocation_row.contract_ref
    if reference is not None:
        contract = contracts.get(reference.casefold())
        if contract is None:
            problems.add(line, "contract", f"There is no contract {reference}")
            return
        if provider is None:
            problems.add(
                line,
                "contract",
                f"Contract {contract.reference} is not with {allocation_row.provider_name}",
            )
            return
        problem = None
        if contract.provider_id != provider.id:
            problem = f"Contract {contract.reference} is not with {provider.name}"
        elif contract.status is not ContractStatus.ACTIVE:
            problem = f"Contract {contract.reference} is {contract.status.label.lower()}"
        elif not contract.start_on <= on <= contract.end_on:
            problem = (
                f"Contract {contract.reference} runs from {long_date(contract.start_on)} to "
                f"{long_date(contract.end_on)}, which does not cover the allocation date"
            )
        if problem is not None:
            problems.add(line, "contract", problem)
            return
        allocation_row.contract = contract
        return
    if provider is None:
        return
    current = _current_contracts(contracts.values(), provider, on)
    if len(current) > 1:
        references = ", ".join(contract.reference for contract in current)
        problems.add(
            line,
            "contract",
            f"{provider.name} has more than one contract on {long_date(on)} ({references}). "
            "Enter the contract reference",
        )
    elif current:
        allocation_row.contract = current[0]


def _parse_allocation(
    row: Row, work_types: dict[str, WorkType], problems: _Problems
) -> _AllocationRow | None:
    """The values of one row of an allocation log, or None after recording its problems."""
    errors_before = len(problems.errors)
    now = today()
    case_ref = _text(row, "case_ref", problems, required=True)
    provider_name = _text(row, "provider", problems, required=True)
    work_type_text = _text(row, "work_type", problems, required=True)
    contract_ref = _text(row, "contract", problems)
    work_type = None
    if work_type_text is not None:
        work_type = work_types.get(work_type_text.casefold())
        if work_type is None:
            codes = ", ".join(sorted({wt.code for wt in work_types.values()}))
            problems.add(row.line, "work_type", f"Work type must be one of {codes}")
    dates: dict[str, date | None] = {}
    for column in ("allocated_on", "due_on", "returned_on", "accepted_on"):
        dates[column] = _date(row, column, problems, required=column == "allocated_on")
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
    )


def _existing_allocation_keys(case_ids: Iterable[int]) -> set[tuple[int, int, int, date]]:
    """(case, provider, work type, allocated on) of allocations already recorded."""
    keys: set[tuple[int, int, int, date]] = set()
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        query = select(
            Allocation.case_id,
            Allocation.provider_id,
            Allocation.work_type_id,
            Allocation.allocated_on,
        ).where(Allocation.case_id.in_(batch))
        for case_id, provider_id, work_type_id, allocated_on in db.session.execute(query):
            keys.add((case_id, provider_id, work_type_id, allocated_on))
    return keys


def _record_allocations(
    parsed: list[_AllocationRow],
    cases: dict[str, Case],
    providers: dict[str, list[Provider]],
    new_providers: dict[str, str],
    actor: User | None,
    result: ImportResult,
    problems: _Problems,
) -> None:
    """Create the missing providers, then replay every row through the allocation services."""
    for folded, name in new_providers.items():
        provider = Provider(name=name)
        db.session.add(provider)
        db.session.flush()
        audit.record("provider_created", "provider", provider.id, detail="via=import", actor=actor)
        providers[folded] = [provider]
        result.providers_created += 1

    # Oldest first, so a log that lists a later piece of work before an earlier one that
    # closed still replays in the order it happened.
    for allocation_row in sorted(parsed, key=lambda r: (r.allocated_on, r.line)):
        case = cases[allocation_row.case_ref]
        provider = providers[allocation_row.provider_name.casefold()][0]
        try:
            allocation = allocate(
                case,
                provider,
                allocation_row.work_type,
                actor=actor,
                allocated_on=allocation_row.allocated_on,
                due_on=allocation_row.due_on,
                contract=allocation_row.contract,
            )
            if allocation_row.returned_on is not None:
                record_return(allocation, actor=actor, returned_on=allocation_row.returned_on)
            if allocation_row.accepted_on is not None:
                accept(allocation, actor=actor, accepted_on=allocation_row.accepted_on)
        except AllocationError as error:
            # Keep going: every row's problem is reported, then everything is rolled back.
            problems.add(allocation_row.line, "", str(error))
            continue
        result.created += 1


def import_allocations(
    table: Table, actor: User | None, create_missing_providers: bool = False
) -> ImportResult:
    """Record every row of an allocation log through the allocation services, all or nothing."""
    headers, rows = table
    problems = _Problems()
    if not _check_columns(headers, ALLOCATION_REQUIRED, ALLOCATION_OPTIONAL, problems):
        return _commit_or_report(ImportResult(noun="allocation"), problems)

    work_types = _work_type_lookup()
    providers = _provider_lookup()
    contracts = _contract_lookup()
    parsed = [
        allocation_row
        for row in rows
        if (allocation_row := _parse_allocation(row, work_types, problems)) is not None
    ]
    cases = _cases_by_ref(allocation_row.case_ref for allocation_row in parsed)
    existing = _existing_allocation_keys(case.id for case in cases.values())

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
            _check_contract(allocation_row, None, contracts, problems)
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
            if stored in existing:
                problems.add(line, "", "This allocation has already been recorded")

    result = ImportResult(noun="allocation", rows=len(rows))
    if problems.errors:
        return _commit_or_report(result, problems)

    try:
        _record_allocations(parsed, cases, providers, new_providers, actor, result, problems)
    except (IntegrityError, StaleDataError):
        # Someone else created the same provider or changed an allocation meanwhile.
        db.session.rollback()
        problems.add(None, "", CONCURRENT_CHANGE)
        return _commit_or_report(result, problems)
    audit.record(
        "allocations_imported",
        detail=(
            f"rows={result.rows} created={result.created} "
            f"providers_created={result.providers_created}"
        ),
        actor=actor,
    )
    return _commit_or_report(result, problems)
