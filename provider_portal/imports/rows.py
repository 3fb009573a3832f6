"""What every import shares: reading cells, collecting row problems, committing all or nothing.

Every row is checked and every problem collected before anything is written; the changes are
then made in one transaction that commits only if no row failed. Audit details carry counts,
never children's names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from provider_portal.errors import CellError
from provider_portal.extensions import db
from provider_portal.imports.columns import COLUMNS, ColumnMatch, match_columns
from provider_portal.models import (
    Case,
    CaseException,
    Contract,
    Provider,
)
from provider_portal.tabular import Row, Table, cell_text, parse_date

log = logging.getLogger(__name__)

# Values in one IN list: well inside every database's limit on parameters (SQLite's 32,766
# since 3.32, PostgreSQL's 65,535), and large enough that an import of a few thousand rows
# reads what it needs in one query each.
BATCH_SIZE = 5_000


# How each column is named in messages ("Enter the request date"), from the one table.
LABELS = {column.name: column.label for columns in COLUMNS.values() for column in columns}
REASON_LIMIT = 2_000  # as on the withdraw and decline forms


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
    "withdrawal_reason": REASON_LIMIT,
    "decline_reason": REASON_LIMIT,
}


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet line (None for the whole file), the column and why."""

    line: int | None
    column: str
    message: str


# What an import reports as it goes, for the progress page: the stage ("checking" then
# "saving"), how many rows are done at that stage, and how many there are. An import calls it
# at each stage's start and end and every PROGRESS_EVERY rows or so between; the callback must
# not touch the import's own session (it records progress on its own connection).
CHECKING = "checking"
SAVING = "saving"
PROGRESS_EVERY = 1_000


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None: ...


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback of an import nobody is watching (the command line)."""


@dataclass
class ImportResult:
    """What an import did, or every reason it did nothing."""

    noun: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    providers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    # The file's columns the import did not use, and those matched as the person said
    # ({the file's header: portal column}).
    ignored: list[str] = field(default_factory=list)
    chosen: dict[str, str] = field(default_factory=dict)
    # Required columns the file has no header for.
    missing: list[str] = field(default_factory=list)

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


MAX_IGNORED_NAMED = 10  # a file with 80 extra columns gets a sentence, not a list of 80
MAX_NAME_SHOWN = 60  # and the sentence fits in a flashed message's cookie


def _short(header: str) -> str:
    return header if len(header) <= MAX_NAME_SHOWN else header[: MAX_NAME_SHOWN - 1] + "…"


def chosen_sentence(result: ImportResult) -> str | None:
    """Says the columns were matched as the person chose before (or just now)."""
    if not result.chosen:
        return None
    pairs = ", ".join(
        f'"{header}" as the {LABELS[name].lower()}' for header, name in result.chosen.items()
    )
    return f"Your columns were matched as you chose: {pairs}"


def ignored_sentence(ignored: list[str]) -> str | None:
    """The sentence naming the file's columns an import did not use, if there were any."""
    if not ignored:
        return None
    named = ", ".join(f'"{_short(header)}"' for header in ignored[:MAX_IGNORED_NAMED])
    more = len(ignored) - MAX_IGNORED_NAMED
    if more > 0:
        named += f" and {more} more"
    if len(ignored) == 1:
        return f"This column was ignored: {named}"
    return f"These columns were ignored: {named}"


CONCURRENT_CHANGE = (
    "Someone else changed the same records while the file was being imported. "
    "Nothing was imported. Import the file again"
)


class Problems:
    """Collects row errors; reported in line order."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, line: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(line, column, message))

    def sorted(self) -> list[RowError]:
        return sorted(self.errors, key=lambda error: error.line or 0)


def matched_table(
    kind: str,
    table: Table,
    mapping: Mapping[str, str] | None,
    result: ImportResult,
    problems: Problems,
) -> Table | None:
    """The rows under the portal's column names; None after recording why the header row
    cannot be used (a required column missing, or two of the file's columns for one)."""
    match: ColumnMatch = match_columns(kind, table.headers, mapping)
    result.ignored = match.ignored
    result.chosen = match.chosen
    result.missing = match.missing
    for problem in match.problems:
        problems.add(1, problem.column, problem.message)
    for column in match.missing:
        hint = ""
        if len(table.headers) == 1:
            hint = ". Check the columns are separated by commas, semicolons or tabs"
        problems.add(1, column, f"The file has no {column} column{hint}")
    return match.table(table) if match.complete else None


def read_text(row: Row, column: str, problems: Problems, *, required: bool = False) -> str | None:
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


def read_date(row: Row, column: str, problems: Problems, *, required: bool = False) -> date | None:
    label = LABELS[column]
    try:
        value = parse_date(row.get(column), label)
    except CellError as error:
        problems.add(row.line, column, str(error))
        return None
    if value is None and required:
        problems.add(row.line, column, f"Enter the {label.lower()}")
    return value


def batches(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), BATCH_SIZE):
        yield ordered[start : start + BATCH_SIZE]


def cases_by_ref(refs: Iterable[str]) -> dict[str, Case]:
    """Existing cases for these references, with their exceptions: two queries a batch of
    references however many rows there are."""
    found: dict[str, Case] = {}
    for batch in batches(refs):
        cases = list(db.session.scalars(select(Case).where(Case.case_ref.in_(batch))))
        found.update((case.case_ref, case) for case in cases)
        if cases:
            _load_exceptions(cases)
    return found


def _load_exceptions(cases: list[Case]) -> None:
    """Fill each case's exceptions in one query (selectinload would send one per 500 cases)."""
    by_case: dict[int, list[CaseException]] = {case.id: [] for case in cases}
    query = (
        select(CaseException)
        .where(CaseException.case_id.in_(by_case))
        .order_by(CaseException.case_id, CaseException.id)
    )
    for exception in db.session.scalars(query):
        by_case[exception.case_id].append(exception)
    for case in cases:
        set_committed_value(case, "exceptions", by_case[case.id])


def commit_or_report(result: ImportResult, problems: Problems) -> ImportResult:
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
        return ImportResult(
            noun=result.noun,
            errors=problems.sorted(),
            ignored=result.ignored,
            chosen=result.chosen,
            missing=result.missing,
        )
    log.info(
        "%s import: rows=%d created=%d updated=%d",
        result.noun,
        result.rows,
        result.created,
        result.updated,
    )
    return result
