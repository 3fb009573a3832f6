"""Importing cases: create or update one case a row, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit, submissions
from provider_portal.bulk import insert_returning, insert_rows, update_versioned
from provider_portal.errors import CellError
from provider_portal.extensions import db
from provider_portal.imports import outcome_rules
from provider_portal.imports.bulk import SavingProgress, chunks
from provider_portal.imports.columns import CASES, column_names, required_names
from provider_portal.imports.rows import (
    CHECKING,
    CONCURRENT_CHANGE,
    PROGRESS_EVERY,
    ImportResult,
    Problems,
    Progress,
    cases_by_ref,
    commit_or_report,
    matched_table,
    no_progress,
    read_date,
    read_text,
)
from provider_portal.models import (
    Case,
    CaseException,
    User,
)
from provider_portal.models.types import utcnow
from provider_portal.tabular import Row, Table, cell_text, parse_bool
from provider_portal.timescales import (
    IMPORTABLE_FINAL_PLAN_EXCEPTIONS,
    TOO_OLD,
    parse_year_group,
    reception_year,
    today,
    under_25_on,
    year_group_label,
)

CASE_REQUIRED = tuple(required_names(CASES))
CASE_OPTIONAL = tuple(name for name in column_names(CASES) if name not in CASE_REQUIRED)


@dataclass
class _CaseRow:
    line: int
    values: dict[str, Any]


def _parse_case(row: Row, headers: Sequence[str], problems: Problems) -> _CaseRow | None:
    """The values of one row of a case import, or None after recording its problems."""
    errors_before = len(problems.errors)
    now = today()
    values: dict[str, Any] = {
        "case_ref": read_text(row, "case_ref", problems, required=True),
        "first_name": read_text(row, "first_name", problems, required=True),
        "last_name": read_text(row, "last_name", problems, required=True),
    }
    dob = read_date(row, "date_of_birth", problems, required=True)
    received = read_date(row, "request_received_on", problems, required=True)
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
        elif received is not None and not under_25_on(dob, received):
            problems.add(row.line, "date_of_birth", TOO_OLD)
    values["date_of_birth"] = dob
    values["request_received_on"] = received

    # Optional columns only change a case when the file has them: a file without a setting
    # column must not wipe the settings already recorded.
    if "setting" in headers:
        values["setting"] = read_text(row, "setting", problems)
    nc_year = None
    if "year_group" in headers:
        try:
            nc_year = parse_year_group(cell_text(row.get("year_group")))
        except ValueError as error:
            problems.add(row.line, "year_group", str(error))
        values["year_group"] = year_group_label(nc_year) if nc_year is not None else None
    # A year group is true on the day it was recorded: anchored there, it moves on each
    # September from that day, not from the day of the import.
    as_of = outcome_rules.past_date(row, "year_group_as_of", problems, now)
    if as_of is not None and cell_text(row.get("year_group")) is None:
        problems.add(row.line, "year_group_as_of", "Enter the year group, or leave its date blank")
    if "year_group" in headers:
        values["year_group_as_of"] = (as_of or now) if nc_year is not None else None
    if dob is not None and (nc_year is not None or "year_group" in headers):
        values["reception_year"] = reception_year(nc_year, dob, as_of or now)
    elif dob is not None:
        # No year group column: new cases take it from the date of birth (see import_cases).
        values["_reception_year_from_dob"] = reception_year(None, dob, now)
    if "looked_after" in headers:
        try:
            values["looked_after"] = parse_bool(row.get("looked_after"), "Looked after")
        except CellError as error:
            problems.add(row.line, "looked_after", str(error))
    if "final_plan_issued_on" in headers:
        issued = read_date(row, "final_plan_issued_on", problems)
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
        if key is not None and key not in IMPORTABLE_FINAL_PLAN_EXCEPTIONS:
            problems.add(
                row.line,
                "timescale_exception",
                "Timescale exception must be blank or one of "
                + ", ".join(IMPORTABLE_FINAL_PLAN_EXCEPTIONS),
            )
        values["_exception"] = key
    if "setting_type" in headers:
        values["setting_type"] = outcome_rules.setting_type(row, problems)
    values.update(outcome_rules.read_outcomes(row, headers, problems, received, now))
    if len(problems.errors) > errors_before:
        return None
    return _CaseRow(line=row.line, values=values)


def import_cases(
    table: Table,
    actor: User | None,
    mapping: Mapping[str, str] | None = None,
    nonce: str | None = None,
    progress: Progress = no_progress,
) -> ImportResult:
    """Create or update a case for every row; nothing is saved if any row has a problem.

    mapping says which of the file's columns is which portal column ({header: column}), over
    the known synonyms. A form's nonce (with its actor) is claimed first, so the same upload
    sent twice imports once and the second raises Resubmitted. progress hears how far it is.
    """
    problems = Problems()
    result = ImportResult(noun="case", rows=len(table.rows))
    progress(CHECKING, 0, result.rows)
    if nonce is not None and actor is not None:
        submissions.claim(nonce, "import", actor)
    matched = matched_table(CASES, table, mapping, result, problems)
    if matched is None:
        return commit_or_report(result, problems)
    headers, rows = matched

    first_line: dict[str, int] = {}
    parsed: list[_CaseRow] = []
    for number, row in enumerate(rows, start=1):
        if number % PROGRESS_EVERY == 0 and number < result.rows:
            progress(CHECKING, number, result.rows)
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

    if problems.errors:
        return commit_or_report(result, problems)

    existing = cases_by_ref(case_row.values["case_ref"] for case_row in parsed)
    for case_row in parsed:
        case = existing.get(case_row.values["case_ref"])
        outcome_rules.check_outcomes(case_row.line, case_row.values, case, headers, problems)
    if problems.errors:
        return commit_or_report(result, problems)

    progress(CHECKING, result.rows, result.rows)
    saving = SavingProgress(progress, result.rows)
    try:
        _save(parsed, existing, actor, result, saving)
    except (IntegrityError, StaleDataError):
        # Someone else added or changed one of the same cases meanwhile.
        db.session.rollback()
        problems.add(None, "", CONCURRENT_CHANGE)
        return commit_or_report(result, problems)
    audit.record(
        "cases_imported",
        detail=f"rows={result.rows} created={result.created} updated={result.updated}",
        actor=actor,
    )
    done = commit_or_report(result, problems)
    if done.ok:
        saving.done()
    return done


# Every outcome a new case's row may leave blank, and who recorded each: set on every new
# row, so one INSERT covers them all (None is what a case without them holds anyway).
_OUTCOME_NAMES = tuple(
    dict.fromkeys(
        [recorder for recorder in outcome_rules.RECORDED_BY]
        + [name for names in outcome_rules.RECORDED_BY.values() for name in names]
    )
)


def _save(
    parsed: list[_CaseRow],
    existing: dict[str, Case],
    actor: User | None,
    result: ImportResult,
    saving: SavingProgress,
) -> None:
    """Update the cases already recorded and insert the new ones, in bulk, with their
    exceptions; every outcome the rows set or change recorded as the importing person's."""
    new: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = utcnow()
    exceptions: list[tuple[str, str]] = []  # (case reference, reason) for new cases
    exception_rows: list[dict[str, Any]] = []
    recorded_by = actor.id if actor else None
    for case_row in parsed:
        values = dict(case_row.values)
        exception = values.pop("_exception", None)
        from_dob = values.pop("_reception_year_from_dob", None)
        case = existing.get(values["case_ref"])
        if case is None:
            if "reception_year" not in values:
                values["reception_year"] = from_dob
            record = SimpleNamespace(**(dict.fromkeys(_OUTCOME_NAMES) | values))
            outcome_rules.stamp_recorders(record, outcome_rules.outcome_state(None), actor)  # type: ignore[arg-type]
            new.append(vars(record))
            if exception is not None:
                exceptions.append((values["case_ref"], exception))
            continue
        changed = _changes(case, values, actor)
        if changed:
            updates.append({"id": case.id, "version": case.version, "updated_at": now, **changed})
        if exception is not None and _new_exception(case, exception):
            exception_rows.append(_exception_row(case.id, exception, recorded_by))
        result.updated += 1
    for chunk in chunks(updates):
        update_versioned(Case.__table__, chunk)
    if result.updated:
        saving.chunk_saved(result.updated)
    ids: dict[tuple[Any, ...], int] = {}
    for chunk in chunks(new):
        ids.update(insert_returning(Case.__table__, chunk, ("case_ref",)))
        saving.chunk_saved(len(chunk))
    result.created = len(new)
    exception_rows += [
        _exception_row(ids[(ref,)], reason, recorded_by) for ref, reason in exceptions
    ]
    for chunk in chunks(exception_rows):
        insert_rows(CaseException.__table__, chunk)


def _changes(case: Case, values: dict[str, Any], actor: User | None) -> dict[str, Any]:
    """The columns the row changes on a case already recorded, with the outcomes' recorders:
    what the ORM would write after setting every value (nothing for a value already held)."""
    names = set(values) | set(_OUTCOME_NAMES)
    record = SimpleNamespace(**{name: getattr(case, name) for name in names})
    before = outcome_rules.outcome_state(case)
    for name, value in values.items():
        setattr(record, name, value)
    outcome_rules.stamp_recorders(record, before, actor)  # type: ignore[arg-type]
    return {name: value for name, value in vars(record).items() if getattr(case, name) != value}


def _new_exception(case: Case, reason: str) -> bool:
    """Whether a 20-week exception is new to the case's ledger.

    The ledger only grows: a blank cell, or a later import without the exception, never
    removes one; that is done on the case page, where it is audited.
    """
    return not any(e.applies_to == "final_plan" and e.reason == reason for e in case.exceptions)


def _exception_row(case_id: int, reason: str, recorded_by: int | None) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "applies_to": "final_plan",
        "reason": reason,
        "note": "Recorded by import",
        "recorded_by_id": recorded_by,
    }
