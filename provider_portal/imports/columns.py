"""The columns of both imports and every header we know them by, in one table.

Councils' files name their columns their own way: case systems' exports, hand-kept logs and
the DfE's SEN2 return ("Case Reference", "DOB", "Date Request Received", "ReceivedDate"). A
file's header matches a portal column when, ignoring case, spaces, underscores and
punctuation, it is the column's name or one of its synonyms below. Columns the portal does not
use are ignored (and listed); two of the file's columns matching one portal column is an
error, since guessing would import the wrong dates. A person can also say which of their
columns is which (the mapping step on the upload page, or `--map` on the command line); what
they say wins over the synonyms.

The README's table of synonyms is this table: `python -m provider_portal.imports.columns`
prints it, and a test checks the README holds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provider_portal.tabular import Row, Table

CASES = "cases"
ALLOCATIONS = "allocations"


@dataclass(frozen=True)
class Column:
    """A portal column: its name in files, how people read it, and what else it is called."""

    name: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    # The question the mapping step asks when a required column cannot be matched.
    question: str = ""


_CASE_REF = Column(
    "case_ref",
    "Case reference",
    required=True,
    synonyms=(
        "Case Reference",
        "Case Ref",
        "Case ID",
        "Case Number",
        "Case No",
        "Reference",
        "Ref",
        "Child ID",
        "Person ID",
        "LA Reference",
    ),
    question="Which of your columns is the case reference?",
)

CASE_COLUMNS: tuple[Column, ...] = (
    _CASE_REF,
    Column(
        "first_name",
        "First name",
        required=True,
        synonyms=("First Name", "Forename", "Forenames", "Given Name", "Child First Name"),
        question="Which of your columns is the child's first name?",
    ),
    Column(
        "last_name",
        "Last name",
        required=True,
        synonyms=("Last Name", "Surname", "Family Name", "Child Surname", "Legal Surname"),
        question="Which of your columns is the child's last name?",
    ),
    Column(
        "date_of_birth",
        "Date of birth",
        required=True,
        synonyms=("Date of Birth", "DOB", "D.O.B.", "Birth Date", "PersonBirthDate"),
        question="Which of your columns is the date of birth?",
    ),
    Column(
        "request_received_on",
        "Request date",
        required=True,
        synonyms=(
            "Date Request Received",
            "Request Received",
            "Request Received Date",
            "Request Date",
            "Date of Request",
            "Date Received",
            "ReceivedDate",
            "EHC Request Date",
            "EHCNA Request Date",
        ),
        question="Which of your columns is the date the request was received?",
    ),
    Column(
        "year_group",
        "Year group",
        synonyms=("Year Group", "NC Year", "National Curriculum Year", "School Year"),
    ),
    Column(
        "year_group_as_of",
        "Year group date",
        synonyms=("Year Group As Of", "Year Group Date", "Year Group Recorded On"),
    ),
    Column(
        "setting",
        "Setting",
        synonyms=("School", "Setting Name", "School Name", "Current Setting", "Education Setting"),
    ),
    Column(
        "setting_type",
        "Setting type",
        synonyms=("Setting Type", "Type of Setting", "School Type", "Establishment Type"),
    ),
    Column(
        "looked_after",
        "Looked after",
        synonyms=("Looked After", "Looked After Child", "LAC", "CLA", "Child in Care", "CiC"),
    ),
    Column(
        "decision_to_assess",
        "Decision to assess",
        synonyms=(
            "Decision to Assess",
            "Decision Whether to Assess",
            "Agreed to Assess",
            "RequestOutcome",
        ),
    ),
    Column(
        "decision_on",
        "Decision date",
        synonyms=(
            "Decision Date",
            "Date of Decision",
            "Decision to Assess Date",
            "Decision to Assess On",
            "RequestOutcomeDate",
        ),
    ),
    Column(
        "issue_decision",
        "Issue decision",
        synonyms=("Issue Decision", "Decision to Issue", "AssessmentOutcome"),
    ),
    Column(
        "issue_decision_on",
        "Issue decision date",
        synonyms=(
            "Issue Decision Date",
            "Decision to Issue Date",
            "Date of Decision to Issue",
            "AssessmentOutcomeDate",
        ),
    ),
    Column(
        "draft_plan_sent_on",
        "Draft plan date",
        synonyms=(
            "Draft Plan Sent",
            "Draft Plan Date",
            "Draft Plan Issued",
            "Draft Plan Issued On",
            "Date Draft Plan Sent",
            "Draft Issued",
        ),
    ),
    Column(
        "final_plan_issued_on",
        "Final plan date",
        synonyms=(
            "Final Plan Issued",
            "Final Plan Date",
            "Date Final Plan Issued",
            "Final EHCP Issued",
            "EHCP Issued Date",
            "Plan Issued Date",
            "StartDate",
        ),
    ),
    Column(
        "timescale_exception",
        "Timescale exception",
        synonyms=("Timescale Exception", "20 Week Exception", "Exception Reason"),
    ),
    Column(
        "closed_reason",
        "Closed reason",
        synonyms=("Closed Reason", "Closure Reason", "Reason Closed", "Reason for Closure"),
    ),
    Column(
        "closed_on",
        "Closed date",
        synonyms=("Closed On", "Closed Date", "Date Closed", "Closure Date"),
    ),
    Column(
        "ceased_reason",
        "Ceased reason",
        synonyms=("Ceased Reason", "Cease Reason", "Reason Ceased", "CeaseReason"),
    ),
)

ALLOCATION_COLUMNS: tuple[Column, ...] = (
    _CASE_REF,
    Column(
        "provider",
        "Provider",
        required=True,
        synonyms=("Provider Name", "Agency", "Supplier", "Organisation"),
        question="Which of your columns is the provider?",
    ),
    Column(
        "work_type",
        "Work type",
        required=True,
        synonyms=("Work Type", "Type of Work", "Advice Type", "Service"),
        question="Which of your columns is the type of work?",
    ),
    Column(
        "allocated_on",
        "Allocation date",
        required=True,
        synonyms=(
            "Allocated On",
            "Allocation Date",
            "Date Allocated",
            "Allocated",
            "Date Commissioned",
            "Date Sent to Provider",
        ),
        question="Which of your columns is the date the work was allocated?",
    ),
    Column("due_on", "Due date", synonyms=("Due On", "Due Date", "Date Due", "Deadline")),
    Column(
        "returned_on",
        "Return date",
        synonyms=("Returned On", "Return Date", "Date Returned", "Returned", "Date Received Back"),
    ),
    Column(
        "accepted_on",
        "Acceptance date",
        synonyms=("Accepted On", "Acceptance Date", "Date Accepted", "Accepted", "Signed Off"),
    ),
    Column(
        "contract",
        "Contract",
        synonyms=("Contract Reference", "Contract Ref", "Contract Number", "Contract ID"),
    ),
    Column(
        "withdrawn_on",
        "Withdrawal date",
        synonyms=("Withdrawn On", "Withdrawal Date", "Date Withdrawn", "Withdrawn"),
    ),
    Column(
        "withdrawal_reason",
        "Withdrawal reason",
        synonyms=("Withdrawal Reason", "Withdrawn Reason", "Reason Withdrawn"),
    ),
    Column(
        "declined_on",
        "Date declined",
        synonyms=("Declined On", "Declined Date", "Date Declined", "Declined"),
    ),
    Column(
        "decline_reason",
        "Decline reason",
        synonyms=("Decline Reason", "Declined Reason", "Reason Declined", "Reason for Declining"),
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {CASES: CASE_COLUMNS, ALLOCATIONS: ALLOCATION_COLUMNS}


def normalise(header: str) -> str:
    """A header as it is matched: letters and digits only, case folded."""
    return "".join(character for character in header.casefold() if character.isalnum())


def spellings(column: Column) -> list[str]:
    """The other headers a column is matched from: its label and its synonyms, once each."""
    seen = {normalise(column.name)}
    found = []
    for spelling in (column.label, *column.synonyms):
        if normalise(spelling) not in seen:
            seen.add(normalise(spelling))
            found.append(spelling)
    return found


def _index(columns: Sequence[Column]) -> dict[str, str]:
    """Normalised name or synonym -> portal column (a test keeps each to one column)."""
    index: dict[str, str] = {}
    for column in columns:
        for spelling in (column.name, *spellings(column)):
            index.setdefault(normalise(spelling), column.name)
    return index


_INDEXES = {kind: _index(columns) for kind, columns in COLUMNS.items()}


def column_names(kind: str) -> list[str]:
    return [column.name for column in COLUMNS[kind]]


def required_names(kind: str) -> list[str]:
    return [column.name for column in COLUMNS[kind] if column.required]


def column_named(kind: str, name: str) -> Column | None:
    """The portal column called name (any case, spaces or underscores), or None."""
    wanted = normalise(name)
    return next((c for c in COLUMNS[kind] if normalise(c.name) == wanted), None)


def headers_key(headers: Sequence[str]) -> str:
    """SHA-256 of the file's normalised headers, in order: what a saved mapping is kept for."""
    text = json.dumps([normalise(header) for header in headers])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HeaderProblem:
    """Something wrong with the header row, about one portal column."""

    column: str
    message: str


@dataclass
class ColumnMatch:
    """Which of the file's columns is each portal column, and what is left over."""

    kind: str
    # portal column -> the file's header
    columns: dict[str, str] = field(default_factory=dict)
    # the file's headers the import does not use, in file order
    ignored: list[str] = field(default_factory=list)
    # required portal columns with no header
    missing: list[str] = field(default_factory=list)
    # the file's header -> portal column, for the columns matched as a person said
    chosen: dict[str, str] = field(default_factory=dict)
    problems: list[HeaderProblem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.problems

    def table(self, table: Table) -> Table:
        """The file's rows under portal column names, without the ignored columns."""
        renamed = [
            Row(
                line=row.line,
                values={name: row.get(header) for name, header in self.columns.items()},
            )
            for row in table.rows
        ]
        return Table(headers=list(self.columns), rows=renamed)


def match_columns(
    kind: str, headers: Sequence[str], mapping: Mapping[str, str] | None = None
) -> ColumnMatch:
    """Match the file's headers to the portal's columns, what the person said first.

    mapping is {the file's header: portal column}, from `--map` or the mapping step; its
    headers are matched to the file's ignoring case, spaces and punctuation too.
    """
    match = ColumnMatch(kind=kind)
    labels = {column.name: column.label for column in COLUMNS[kind]}
    by_normal = {normalise(header): header for header in headers}
    taken: set[str] = set()
    for said, name in (mapping or {}).items():
        header = by_normal.get(normalise(said))
        if name not in labels:
            match.problems.append(HeaderProblem(name, f"There is no column called {name}"))
        elif header is None:
            match.problems.append(
                HeaderProblem(name, f'The file has no column "{said}" to use as {name}')
            )
        elif name in match.columns:
            match.problems.append(
                HeaderProblem(
                    name,
                    f'Both "{match.columns[name]}" and "{header}" were chosen as {name}. '
                    "Choose one",
                )
            )
        else:
            match.columns[name] = header
            match.chosen[header] = name
            taken.add(header)
    candidates: dict[str, list[str]] = {}
    for header in headers:
        if header in taken:
            continue
        known = _INDEXES[kind].get(normalise(header))
        if known is None or known in match.columns:
            # Unknown, or a column the person already matched to another of the file's.
            match.ignored.append(header)
        else:
            candidates.setdefault(known, []).append(header)
    for name, found in candidates.items():
        if len(found) == 1:
            match.columns[name] = found[0]
            continue
        quoted = " and ".join(f'"{header}"' for header in found)
        match.problems.append(
            HeaderProblem(
                name,
                f"The columns {quoted} could each be the {labels[name].lower()} ({name}). "
                "Remove or rename all but one of them, or say which one to use",
            )
        )
    # Keep the file's order, so results read like the file.
    order = {header: index for index, header in enumerate(headers)}
    match.columns = dict(sorted(match.columns.items(), key=lambda item: order[item[1]]))
    named = {problem.column for problem in match.problems}
    match.missing = [
        name for name in required_names(kind) if name not in match.columns and name not in named
    ]
    return match


def readme_table() -> str:
    """The README's table of the headers each column is known by, as Markdown."""
    lines = [
        "| Import | Column | Required | Also matched from |",
        "|---|---|---|---|",
    ]
    for kind, columns in COLUMNS.items():
        for column in columns:
            synonyms = ", ".join(f"`{spelling}`" for spelling in spellings(column))
            required = "yes" if column.required else ""
            lines.append(f"| {kind} | `{column.name}` | {required} | {synonyms} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
