"""The SEN2 extract: the person-level items the portal holds, for one calendar year.

Every January a council makes the DfE's person-level SEN2 return for the calendar year before.
This extract gives the items the portal holds under SEN2's own item names, one row per case,
with the case reference (`case_ref`) to join it to the council's own return. It leaves out the
child's name and date of birth: the council joins on the case reference to its case
management system, which holds the person details (module 1), and the extract need not carry
them out of the portal a second time.

Which cases fall in a year ("requests and assessments decided in that calendar year"): a
case is in the extract for a year when, in that year, (a) the decision whether to assess was
made (RequestOutcomeDate), (b) the decision whether to issue a plan was made, or the final
plan was issued (AssessmentOutcomeDate), or (c) the case closed without a plan (withdrawn by
the family, moved out of the area, ceased), which SEN2 records as "W" at the stage the case
had reached; a plan-holder who moves away later is not a request or assessment of that year.
Requests received but not decided by the end of the year are not listed (SEN2's "A" at the
request stage): the council's case management system holds them.

Every item is worked out as the records stood at the end of the year (31 December): an
outcome dated after it is treated as not yet made, as SEN2 does for ongoing work.

- ReceivedDate: the date the request was received.
- RequestOutcome (module 2): Y when the council agreed to assess (assessment_decision
  "agreed", or a decision date recorded before outcomes had a decision of their own, or the
  case went on to a decision whether to issue or a plan); N when it refused (assessment_decision
  "refused" or closed_reason refused_to_assess); W when the case closed before a decision
  (withdrawn by the family, moved away, ceased); A when no decision had been made; H when the
  decision to assess was made before the year (an assessment finished in the year).
- RequestOutcomeDate: decision_to_assess_on, for Y and N (SEN2 asks for no date with A, W, H).
- Exported ("child or young person moves out of the local authority before the assessment is
  completed"): 1 when the case closed because the child moved out of the area (closed_reason
  moved_away) before a final plan was issued, otherwise 0, written 1/0 like SEN2's other
  yes/no items. The portal does not record which authority the child moved to.
- AssessmentOutcome (module 3, only after Y or H): N when the council decided not to issue a
  plan (issue_decision "not_issue" or closed_reason not_issuing); Y when a final plan was issued
  or the decision to issue was made; W when the case closed before a decision whether to issue;
  A when no decision had been made; H when the outcome is dated before the year.
- AssessmentOutcomeDate: for Y the date the final plan was issued (blank while a decision to
  issue has no plan yet, as SEN2 asks); for N issue_decision_on, the date the family was told.
- Week20 ("20-week time limit exceptions apply"): 1 when the case has a recorded exception to
  the 16/20-week limits (reg 10(4)) whose period overlaps its 20 weeks (the compliance
  report's rule), 0 when it has none; given for Y with a plan and for N, blank
  otherwise (SEN2's timeliness measure does not apply until a plan is issued). Whether the plan
  was issued within 20 weeks (on or before ReceivedDate + 140 days) is not an SEN2 item: the DfE
  works it out from the dates, and the page shows the count to check against.
- StartDate (module 4, named plan): the date the final plan was issued.

The validation lists the rows a SEN2 validator would reject, each with the fix; see
`validate`. One SELECT finds the year's cases whatever the number of cases; each row's items
are then derived by one pure function, so the page, the CSV and `flask report sen2` agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, or_, select

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Case
from provider_portal.outcomes import (
    AGREED,
    CEASED,
    ISSUE,
    MOVED_AWAY,
    NOT_ISSUE,
    NOT_ISSUING,
    REFUSED,
    REFUSED_TO_ASSESS,
    WITHDRAWN_BY_FAMILY,
)
from provider_portal.reports.compliance.queries import counted_exception
from provider_portal.reports.exports import Export, csv_export
from provider_portal.timescales import FINAL_PLAN_DAYS, today, under_25_on

# The SEND Regulations 2014 (and EHC plans) began in September 2014.
FIRST_YEAR = 2014
_YEAR = re.compile(r"[0-9]{4}")

# Each SEN2 item of the extract, in its column order, and how the portal works it out.
ITEMS: tuple[tuple[str, str], ...] = (
    (
        "ReceivedDate",
        "The date the request for an EHC needs assessment was received.",
    ),
    (
        "RequestOutcomeDate",
        "The date of the decision whether to assess, for Y and N. SEN2 asks for no date with W "
        "or H.",
    ),
    (
        "RequestOutcome",
        "Y when the council agreed to assess (or went on to a decision whether to issue a plan, "
        "or issued one); N when it refused; W when the case closed before a decision "
        "(withdrawn, moved away, ceased); H when the decision to assess was made before the "
        "year.",
    ),
    (
        "Exported",
        "1 when the child moved out of the area before a final plan was issued, otherwise 0.",
    ),
    (
        "AssessmentOutcomeDate",
        "For Y, the date the final plan was issued (blank while the plan is still to come, as "
        "SEN2 asks); for N, the date the family was told a plan would not be issued.",
    ),
    (
        "AssessmentOutcome",
        "Only after Y or H. Y when the final plan was issued or the decision to issue was made; "
        "N when the council decided not to issue a plan; W when the case closed before that "
        "decision; A when it had not been made by the end of the year; H when it was made "
        "before the year.",
    ),
    (
        "Week20",
        "Whether the 20-week time limit exceptions apply: 1 when the case has a recorded "
        "exception to the 16 and 20-week limits (regulation 10(4)) whose period overlaps its "
        "20 weeks, 0 when it has none. Given "
        "for Y with a plan and for N; blank otherwise.",
    ),
    (
        "StartDate",
        "The date the final plan was issued.",
    ),
)
CSV_HEADER = ("case_ref", *(name for name, _how in ITEMS))
VALIDATION_HEADER = ("case_ref", "item", "problem", "fix")

# SEN2's codes for RequestOutcome (module 2) and AssessmentOutcome (module 3).
YES, NO, PENDING, WITHDRAWN, HISTORICAL = "Y", "N", "A", "W", "H"
REQUEST_OUTCOMES: dict[str, str] = {
    YES: "Decided to assess",
    NO: "Decided not to assess",
    PENDING: "Decision whether to assess not made by the end of the year",
    WITHDRAWN: "Withdrawn or ceased before the decision whether to assess",
    HISTORICAL: "Decided to assess before the year",
}
ASSESSMENT_OUTCOMES: dict[str, str] = {
    YES: "Decided to issue a plan",
    NO: "Decided not to issue a plan",
    PENDING: "Decision whether to issue not made by the end of the year",
    WITHDRAWN: "Withdrawn or ceased before the decision whether to issue",
    HISTORICAL: "Decided before the year",
}
# Closing without any decision: SEN2's "W" at whichever stage the case had reached.
_ENDED_WITHOUT_DECISION = (WITHDRAWN_BY_FAMILY, MOVED_AWAY, CEASED)

# The items the SEN2 return needs that the portal does not hold, named on the page.
NOT_HELD = (
    "Surname, Forename and PersonBirthDate (module 1)",
    "Sex, Ethnicity and PostCode",
    "UPN, UniqueLearnerNumber and UPNunknown",
    "RequestSource and RYA",
    "RequestMediation, RequestTribunal, AssessmentMediation, AssessmentTribunal, "
    "OtherMediation and OtherTribunal",
    "The named placement (URN, UKPRN, SENSetting) and personal budgets",
    "SENtype (primary and secondary need) and the annual reviews",
    "The local authority a child moved to, for the rows with Exported 1",
)


def last_year() -> int:
    """The latest year the extract can be asked for: next year (a return being prepared)."""
    return today().year + 1


def parse_year(text: str | None) -> int:
    """The calendar year written as four digits, from 2014 to next year; a ReportError on
    the year box otherwise."""
    if not text:
        raise ReportError("Enter a year", field="year")
    if not _YEAR.fullmatch(text):
        raise ReportError("Enter the year as 4 digits, like 2024", field="year")
    year = int(text)
    if not FIRST_YEAR <= year <= last_year():
        raise ReportError(f"Enter a year from {FIRST_YEAR} to {last_year()}", field="year")
    return year


@dataclass(frozen=True)
class Sen2Source:
    """A case's outcome columns as the portal records them."""

    case_ref: str
    date_of_birth: date
    anonymised: bool
    request_received_on: date
    assessment_decision: str | None
    decision_to_assess_on: date | None
    issue_decision: str | None
    issue_decision_on: date | None
    final_plan_issued_on: date | None
    closed_on: date | None
    closed_reason: str | None
    excepted: bool  # a recorded exception to the 16/20-week limits


@dataclass(frozen=True)
class Sen2Row:
    """One case in SEN2's items; None is a blank cell."""

    case_ref: str
    received: date
    request_outcome_date: date | None
    request_outcome: str
    exported: bool
    assessment_outcome_date: date | None
    assessment_outcome: str | None
    week20: bool | None
    start_date: date | None

    @property
    def within_20_weeks(self) -> bool | None:
        """Issued on or before ReceivedDate + 140 days (not an SEN2 item: a check)."""
        if self.start_date is None:
            return None
        return self.start_date <= self.received + timedelta(days=FINAL_PLAN_DAYS)

    def as_csv(self) -> tuple[str, ...]:
        return (
            self.case_ref,
            _iso(self.received),
            _iso(self.request_outcome_date),
            self.request_outcome,
            "1" if self.exported else "0",
            _iso(self.assessment_outcome_date),
            self.assessment_outcome or "",
            "" if self.week20 is None else ("1" if self.week20 else "0"),
            _iso(self.start_date),
        )


@dataclass(frozen=True)
class Sen2Problem:
    """A row a SEN2 validator would reject: which item, what is wrong, how to put it right."""

    case_ref: str
    item: str
    problem: str
    fix: str

    def as_csv(self) -> tuple[str, str, str, str]:
        return (self.case_ref, self.item, self.problem, self.fix)


@dataclass(frozen=True)
class Sen2Report:
    year: int
    rows: list[Sen2Row]
    problems: list[Sen2Problem]

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    @property
    def request_counts(self) -> list[tuple[str, str, int]]:
        """(code, meaning, rows) for each RequestOutcome the year has."""
        found = Counter(row.request_outcome for row in self.rows)
        return [(code, REQUEST_OUTCOMES[code], found[code]) for code in REQUEST_OUTCOMES]

    @property
    def assessment_counts(self) -> list[tuple[str, str, int]]:
        """(code, meaning, rows) for each AssessmentOutcome."""
        found = Counter(row.assessment_outcome for row in self.rows)
        return [(code, ASSESSMENT_OUTCOMES[code], found[code]) for code in ASSESSMENT_OUTCOMES]

    def _issued_in_year(self) -> list[Sen2Row]:
        return [row for row in self.rows if _in(row.start_date, self.first_day, self.last_day)]

    @property
    def plans(self) -> int:
        """Final plans issued in the year."""
        return len(self._issued_in_year())

    @property
    def plans_within_20_weeks(self) -> int:
        return sum(1 for row in self._issued_in_year() if row.within_20_weeks)

    @property
    def with_exceptions(self) -> int:
        return sum(1 for row in self.rows if row.week20)

    @property
    def exported(self) -> int:
        return sum(1 for row in self.rows if row.exported)

    @property
    def rows_with_problems(self) -> int:
        return len({problem.case_ref for problem in self.problems})


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _in(day: date | None, first: date, last: date) -> bool:
    return day is not None and first <= day <= last


def as_at(source: Sen2Source, last_day: date) -> Sen2Source:
    """The case as it stood at the end of last_day: anything dated after it not yet done."""

    def kept(day: date | None) -> bool:
        return day is None or day <= last_day

    decision_kept = kept(source.decision_to_assess_on)
    issue_kept = kept(source.issue_decision_on)
    closed_kept = kept(source.closed_on)
    return replace(
        source,
        assessment_decision=source.assessment_decision if decision_kept else None,
        decision_to_assess_on=source.decision_to_assess_on if decision_kept else None,
        issue_decision=source.issue_decision if issue_kept else None,
        issue_decision_on=source.issue_decision_on if issue_kept else None,
        final_plan_issued_on=(
            source.final_plan_issued_on if kept(source.final_plan_issued_on) else None
        ),
        closed_on=source.closed_on if closed_kept else None,
        closed_reason=source.closed_reason if closed_kept else None,
    )


def _refused(source: Sen2Source) -> bool:
    return source.assessment_decision == REFUSED or source.closed_reason == REFUSED_TO_ASSESS


def _not_issuing(source: Sen2Source) -> bool:
    return source.issue_decision == NOT_ISSUE or source.closed_reason == NOT_ISSUING


def _went_on_to_assessment(source: Sen2Source) -> bool:
    """A decision whether to issue, or a plan: the request must have been agreed."""
    return (
        source.issue_decision is not None
        or source.final_plan_issued_on is not None
        or source.closed_reason == NOT_ISSUING
    )


def _ended_without_decision(source: Sen2Source) -> bool:
    return source.closed_reason in _ENDED_WITHOUT_DECISION


def request_outcome(source: Sen2Source) -> str:
    """RequestOutcome before the historical rule: Y, N, W or A."""
    if _refused(source):
        return NO
    if (
        source.assessment_decision == AGREED
        or source.decision_to_assess_on is not None
        or _went_on_to_assessment(source)
    ):
        return YES
    if _ended_without_decision(source):
        return WITHDRAWN
    return PENDING


def assessment_outcome(source: Sen2Source) -> tuple[str, date | None]:
    """AssessmentOutcome and its date, for a request the council agreed to assess."""
    if _not_issuing(source):
        return NO, source.issue_decision_on
    if source.final_plan_issued_on is not None:
        return YES, source.final_plan_issued_on
    if source.issue_decision == ISSUE:
        return YES, None  # SEN2: blank until the plan is issued
    if _ended_without_decision(source):
        return WITHDRAWN, None
    return PENDING, None


def derive(source: Sen2Source, year: int) -> Sen2Row:
    """The case's SEN2 items for the year, as the case stood at the year's end."""
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    case = as_at(source, last_day)
    request = request_outcome(case)
    request_date = case.decision_to_assess_on if request in (YES, NO) else None
    if request == YES and request_date is not None and request_date < first_day:
        request, request_date = HISTORICAL, None
    outcome: str | None = None
    outcome_date: date | None = None
    week20: bool | None = None
    if request in (YES, HISTORICAL):
        outcome, outcome_date = assessment_outcome(case)
        if outcome_date is not None and outcome_date < first_day:
            outcome, outcome_date = HISTORICAL, None
        if outcome == NO or (outcome == YES and outcome_date is not None):
            week20 = case.excepted
    return Sen2Row(
        case_ref=case.case_ref,
        received=case.request_received_on,
        request_outcome_date=request_date,
        request_outcome=request,
        exported=case.closed_reason == MOVED_AWAY and case.final_plan_issued_on is None,
        assessment_outcome_date=outcome_date,
        assessment_outcome=outcome,
        week20=week20,
        start_date=case.final_plan_issued_on,
    )


def validate(source: Sen2Source, row: Sen2Row, year: int, on: date) -> Iterator[Sen2Problem]:
    """The reasons a SEN2 validator would reject the row, each with its fix.

    Checked: an outcome without its date (Y or N for the request, N for the assessment); an
    assessment outcome with no decision to assess recorded; an outcome dated before the
    request, or an assessment outcome before the decision to assess; a plan issued without an
    assessment outcome (the request refused, or a decision not to issue recorded); any date
    after `on` (today); and, from the case record, a request dated before the child's birth or
    when the young person was already 25 (SEN2 covers 0 to 25).
    """
    case = as_at(source, date(year, 12, 31))

    def problem(item: str, what: str, fix: str) -> Sen2Problem:
        return Sen2Problem(row.case_ref, item, what, fix)

    if row.request_outcome in (YES, NO) and row.request_outcome_date is None:
        if case.assessment_decision is None and row.request_outcome == YES:
            yield problem(
                "RequestOutcome",
                "No decision whether to assess is recorded, but the case has a decision "
                "whether to issue a plan or a final plan",
                "Record the decision to assess and the date the family was told",
            )
        else:
            yield problem(
                "RequestOutcomeDate",
                "The decision whether to assess has no date",
                "Record the date the family was told of the decision whether to assess",
            )
    if row.request_outcome == NO and _went_on_to_assessment(case):
        yield problem(
            "AssessmentOutcome",
            "The request was refused, but the case has a decision whether to issue a plan "
            "or a final plan, so the plan has no assessment outcome",
            "If the refusal was overturned, record the decision to assess; otherwise correct "
            "the decision whether to issue or the final plan date",
        )
    if row.assessment_outcome == NO and case.final_plan_issued_on is not None:
        yield problem(
            "StartDate",
            "A final plan is recorded after a decision not to issue a plan, so the plan has "
            "no assessment outcome",
            "Correct the decision whether to issue, or the final plan date",
        )
    if row.assessment_outcome == NO and row.assessment_outcome_date is None:
        yield problem(
            "AssessmentOutcomeDate",
            "The decision not to issue a plan has no date",
            "Record the date the family was told a plan would not be issued",
        )
    for item, day in (
        ("RequestOutcomeDate", row.request_outcome_date),
        ("AssessmentOutcomeDate", row.assessment_outcome_date),
    ):
        if day is not None and day < row.received:
            yield problem(
                item,
                f"{item} {day.isoformat()} is before ReceivedDate {row.received.isoformat()}",
                "Correct the date the request was received or the date of the outcome",
            )
    decided = case.decision_to_assess_on
    if row.assessment_outcome_date is not None and decided is not None:
        if row.assessment_outcome_date < decided:
            yield problem(
                "AssessmentOutcomeDate",
                "The assessment outcome is dated before the decision to assess "
                f"({decided.isoformat()})",
                "Correct the date of the decision to assess or of the assessment outcome",
            )
    for item, day in (
        ("ReceivedDate", row.received),
        ("RequestOutcomeDate", row.request_outcome_date),
        ("AssessmentOutcomeDate", row.assessment_outcome_date),
        ("StartDate", row.start_date),
    ):
        if day is not None and day > on:
            yield problem(item, f"{item} {day.isoformat()} is in the future", "Correct the date")
    if not source.anonymised:
        yield from _age_problems(source, row)


def _age_problems(source: Sen2Source, row: Sen2Row) -> Iterator[Sen2Problem]:
    born = source.date_of_birth
    if row.received < born:
        yield Sen2Problem(
            row.case_ref,
            "ReceivedDate",
            "The request is dated before the child's date of birth",
            "Correct the date of birth or the date the request was received",
        )
    elif not under_25_on(born, row.received):
        yield Sen2Problem(
            row.case_ref,
            "ReceivedDate",
            "The young person was 25 or over when the request was received (SEN2 covers "
            "children and young people under 25)",
            "Check the date of birth and the date the request was received",
        )


def _sources(year: int) -> list[Sen2Source]:
    """The cases with a request or assessment outcome, or a closing, in the year: one SELECT."""
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    # The same rule as "excluding exceptions" in the compliance figures: an exception counts
    # only when its period overlaps the case's 20 weeks.
    excepted = counted_exception()
    query = (
        select(
            Case.case_ref,
            Case.date_of_birth,
            Case.anonymised_at.is_not(None).label("anonymised"),
            Case.request_received_on,
            Case.assessment_decision,
            Case.decision_to_assess_on,
            Case.issue_decision,
            Case.issue_decision_on,
            Case.final_plan_issued_on,
            Case.closed_on,
            Case.closed_reason,
            excepted.label("excepted"),
        )
        .where(
            or_(
                *(
                    column.between(first_day, last_day)
                    for column in (
                        Case.decision_to_assess_on,
                        Case.issue_decision_on,
                        Case.final_plan_issued_on,
                    )
                ),
                # Closed without a plan: a plan-holder who later moves away is not a request
                # or an assessment of that year.
                and_(
                    Case.closed_on.between(first_day, last_day),
                    or_(
                        Case.final_plan_issued_on.is_(None),
                        Case.final_plan_issued_on > Case.closed_on,
                    ),
                ),
            )
        )
        .order_by(Case.request_received_on, Case.case_ref)
    )
    return [
        Sen2Source(
            **{**row._asdict(), "anonymised": bool(row.anonymised), "excepted": bool(row.excepted)}
        )
        for row in db.session.execute(query)
    ]


def sen2_report(year: int) -> Sen2Report:
    """The year's extract and its validation."""
    on = today()
    rows: list[Sen2Row] = []
    problems: list[Sen2Problem] = []
    for source in _sources(year):
        row = derive(source, year)
        rows.append(row)
        problems.extend(validate(source, row, year, on))
    return Sen2Report(year, rows, problems)


def csv_rows(report: Sen2Report) -> list[tuple[str, ...]]:
    return [row.as_csv() for row in report.rows]


def validation_rows(report: Sen2Report) -> list[tuple[str, str, str, str]]:
    return [problem.as_csv() for problem in report.problems]


def sen2_export(report: Sen2Report) -> Export:
    """The extract as a CSV download."""
    return csv_export(
        CSV_HEADER, csv_rows(report), f"sen2-{report.year}.csv", f"sen2 year={report.year}"
    )


def validation_export(report: Sen2Report) -> Export:
    """The rows a SEN2 validator would reject, as a CSV download."""
    return csv_export(
        VALIDATION_HEADER,
        validation_rows(report),
        f"sen2-{report.year}-validation.csv",
        f"sen2 validation year={report.year}",
    )
