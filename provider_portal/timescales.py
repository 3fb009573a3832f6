"""The statutory clock: pure functions of dates, no database and no Flask.

Dates follow the SEND Regulations 2014 as domain.md sets them out: calendar days, weekends and
bank holidays included, no moving of a due date that falls on a weekend, and "today" is the date
in Europe/London.

The day convention, once for everything here: the day a request is received is day 0, so a
period of N weeks ends on the date received + 7N days, and something done on that day is within
the period. A final plan issued on or before request date + 140 days is within 20 weeks (day
141 is one day late); the decision whether to assess is due by request + 42 days (reg 5), the
decision not to issue by request + 112 days (reg 10(1)), and advice by the date the body was
asked + 42 days (reg 8), moved by the days its advice exceptions cover (advice_statutory_due).
The one period counted the other way is the family's 15 days on a draft plan (reg 13(1)(a)):
the day the draft is served is day 1 of the 15, so the final plan may follow on day 16, draft
date + 15 days (earliest_final_plan).

Which case to work on next (the backlog board orders by the same rules in SQL):

1. Looked-after children first.
2. Then children with a phase transfer (reg 18) whose deadline is within the window
   (PHASE_TRANSFER_WINDOW_WEEKS, 12 weeks unless asked otherwise), earliest deadline first. A
   deadline that has already passed still counts until the transfer September arrives: those
   children are the most urgent of all.
3. Then everyone else.

Within each group (and among transfers with the same deadline): most days overdue against 20
weeks first, then the oldest request. "Within N weeks" always means on or before as_of + N weeks,
as "within 20 weeks" means on or before request date + 140 days.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from provider_portal.formatting import LONDON, day_and_month, plural

FINAL_PLAN_DAYS = 140  # 20 weeks: on time when issued on or before request date + 140 days
ADVICE_DAYS = 42  # 6 weeks from the body receiving the request (reg 8)
DECISION_DAYS = 42  # 6 weeks to decide whether to assess (reg 5)
ISSUE_DECISION_DAYS = 112  # 16 weeks to tell the family the council will not issue (reg 10(1))
COMMENT_PERIOD_DAYS = 15  # at least 15 days for the family to comment on the draft (reg 13(1)(a))
DUE_SOON_WEEKS = 4  # a case is "due soon" when its final plan is due within this many weeks
PHASE_TRANSFER_WINDOW_WEEKS = 12  # a transfer deadline this close puts a case near the top

# Exceptions to the 20-week limit (reg 10(4), applied to the final plan by reg 13(3)).
FINAL_PLAN_EXCEPTIONS: dict[str, str] = {
    "school_holiday": "School or college closed (reg 10(4)(a))",
    "early_years_closure": "Early years provider closed (reg 10(4)(b))",
    "exceptional_personal_circumstances": "Exceptional personal circumstances (reg 10(4)(c))",
    "absent_from_area": "Absent from the area for 4 weeks or more (reg 10(4)(d))",
}

# Exceptions no longer in force, accepted where history is imported but never offered for a new
# recording. Reg 10(4)(e), added by SI 2020/471 from 1 May to 25 September 2020: meeting the
# time limit was impractical for a reason relating to the incidence or transmission of
# coronavirus.
CORONAVIRUS_2020 = "coronavirus_2020"
CORONAVIRUS_2020_FROM = date(2020, 5, 1)
CORONAVIRUS_2020_TO = date(2020, 9, 25)
HISTORICAL_EXCEPTIONS: dict[str, str] = {
    CORONAVIRUS_2020: "Coronavirus, 1 May to 25 September 2020 (reg 10(4)(e), SI 2020/471)",
}
# What an import of past cases may record as a 20-week exception.
IMPORTABLE_FINAL_PLAN_EXCEPTIONS: dict[str, str] = {
    **FINAL_PLAN_EXCEPTIONS,
    **HISTORICAL_EXCEPTIONS,
}

# Exceptions to the 6 weeks for advice (reg 8(2)).
ADVICE_EXCEPTIONS: dict[str, str] = {
    "advice_exceptional_circumstances": "Exceptional circumstances (reg 8(2)(a))",
    "advice_absent_from_area": "Absent from the area for 4 weeks or more (reg 8(2)(b))",
    "missed_appointment": "Failed to keep an appointment (reg 8(2)(c))",
}


MAX_AGE_YEARS = (
    25  # a plan is for a child or young person under 25 (s.83 Children and Families Act)
)
TOO_OLD = "The young person must be under 25 on the date the request was received"


def today() -> date:
    """Today's date in Europe/London, which is what the regulations mean by a day."""
    return datetime.now(LONDON).date()


def due_date(start: date, turnaround_days: int) -> date:
    """The date work is due: calendar days after it started, weekends and holidays included."""
    return start + timedelta(days=turnaround_days)


def decision_due(request_received_on: date) -> date:
    """The last day for the decision whether to assess (6 weeks, reg 5)."""
    return request_received_on + timedelta(days=DECISION_DAYS)


def issue_decision_due(request_received_on: date) -> date:
    """The last day to tell the family a plan will not be issued (16 weeks, reg 10(1))."""
    return request_received_on + timedelta(days=ISSUE_DECISION_DAYS)


def earliest_final_plan(draft_plan_issued_on: date) -> date:
    """The first day a final plan may be issued without the family's agreement (reg 13(1)(a)).

    The family has at least 15 days "beginning with the day on which the draft plan was served":
    the day the draft is sent is the first of the 15, so the final plan may follow on day 16.
    """
    return draft_plan_issued_on + timedelta(days=COMMENT_PERIOD_DAYS)


def under_25_on(date_of_birth: date, request_received_on: date) -> bool:
    """Whether the young person was under 25 on the day the request was received.

    Someone whose 25th birthday is that day is 25 and no longer a young person; someone born
    on 29 February turns 25 on 1 March in a year without one (age_on).
    """
    return age_on(date_of_birth, request_received_on) < MAX_AGE_YEARS


def final_plan_due(request_received_on: date) -> date:
    """The last day a final plan counts as issued within 20 weeks."""
    return request_received_on + timedelta(days=FINAL_PLAN_DAYS)


def days_late(due_on: date, done_on: date | None, as_of: date) -> int:
    """How many days past due the work is (or was when done); 0 when not late."""
    end = done_on if done_on is not None else as_of
    return max(0, (end - due_on).days)


def days_since(start: date, as_of: date) -> int:
    """Calendar days from start to as_of; 0 on the same day."""
    return (as_of - start).days


def weeks_and_days(days: int) -> tuple[int, int]:
    """Split a count of days into whole weeks and the days left over, as in "20 weeks 3 days"."""
    weeks, rest = divmod(days, 7)
    return weeks, rest


def month_start(value: date) -> date:
    """The first day of value's month."""
    return value.replace(day=1)


def add_months(value: date, months: int) -> date:
    """The first day of the month `months` after value's month."""
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(value: date) -> date:
    """The last day of value's month."""
    return add_months(value, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from first's month to last's month inclusive."""
    months = []
    current = month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


# Bank holidays in England and Wales moved or added by proclamation, beyond the usual rules.
_BANK_HOLIDAYS_MOVED = {
    2020: ({date(2020, 5, 4)}, {date(2020, 5, 8)}),  # VE Day: the early May holiday moved
    2022: (
        {date(2022, 5, 30)},
        # The Platinum Jubilee (the spring holiday moved, one added) and the Queen's funeral.
        {date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)},
    ),
    2023: (set(), {date(2023, 5, 8)}),  # the King's coronation
}


def _easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    correction = (century - (century + 8) // 25 + 1) // 3
    epact = (19 * golden + century - leap_centuries - correction + 15) % 30
    quarter, quarter_rest = divmod(year_of_century, 4)
    weekday = (32 + 2 * century_rest + 2 * quarter - epact - quarter_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def _last_monday(year: int, month: int) -> date:
    last = month_end(date(year, month, 1))
    return last - timedelta(days=last.weekday())


@functools.cache
def bank_holidays(year: int) -> frozenset[date]:
    """The bank holidays in England and Wales in a year, substitute days included."""
    easter = _easter_sunday(year)
    days = {
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _monday_on_or_after(date(year, 5, 1)),  # early May
        _last_monday(year, 5),  # spring
        _last_monday(year, 8),  # summer
    }
    # New Year's Day, Christmas Day and Boxing Day: one on a weekend moves to the next
    # weekday that is not already a holiday.
    for fixed in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)):
        while fixed.weekday() >= 5 or fixed in days:
            fixed += timedelta(days=1)
        days.add(fixed)
    removed, added = _BANK_HOLIDAYS_MOVED.get(year, (set(), set()))
    return frozenset((days - removed) | added)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The day that is `days` working days after start (start itself not counted):
    returned on a Friday, 5 working days later is the next Friday."""
    day = start
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def financial_year(on: date) -> int:
    """The UK financial year (1 April to 31 March) a date falls in, by the year it starts."""
    return on.year if on.month >= 4 else on.year - 1


def financial_year_start(year: int) -> date:
    return date(year, 4, 1)


def financial_year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def financial_year_label(year: int) -> str:
    """2025 -> '2025-26', as council finance writes it."""
    return f"{year}-{(year + 1) % 100:02d}"


# --- Where a case stands against 20 weeks -------------------------------------------------------


class CaseStatus(enum.StrEnum):
    """Where a case stands against the 20-week limit."""

    WITHIN = "within_timescale"
    DUE_SOON = "due_soon"
    OUT = "out_of_timescale"
    CLOSED_ON_TIME = "closed_on_time"
    CLOSED_LATE = "closed_late"

    @property
    def label(self) -> str:
        """The words shown in the status tag."""
        return _STATUS_LABELS[self]

    @property
    def tag_class(self) -> str:
        """The GOV.UK tag modifier class for the status."""
        return _STATUS_TAG_CLASSES[self]


# Kept outside the class: a dict assigned in an Enum body would become a member.
_STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.WITHIN: "Within timescale",
    CaseStatus.DUE_SOON: "Due soon",
    CaseStatus.OUT: "Out of timescale",
    CaseStatus.CLOSED_ON_TIME: "Closed on time",
    CaseStatus.CLOSED_LATE: "Closed late",
}
_STATUS_TAG_CLASSES: dict[CaseStatus, str] = {
    CaseStatus.WITHIN: "govuk-tag--green",
    CaseStatus.DUE_SOON: "govuk-tag--yellow",
    CaseStatus.OUT: "govuk-tag--red",
    CaseStatus.CLOSED_ON_TIME: "govuk-tag--grey",
    CaseStatus.CLOSED_LATE: "govuk-tag--orange",
}


@dataclass(frozen=True)
class CaseClock:
    """A case's statutory dates and where it stands on a given day."""

    request_received_on: date
    decision_due: date
    final_plan_due: date
    days_since_request: int
    weeks_since_request: int
    days_overdue: int
    status: CaseStatus
    issued_on: date | None


def case_clock(
    request_received_on: date,
    final_plan_issued_on: date | None,
    as_of: date,
    due_soon_weeks: int = DUE_SOON_WEEKS,
) -> CaseClock:
    """Work out a case's clock on as_of from its request date and final plan issue date."""
    plan_due = final_plan_due(request_received_on)
    # An issued plan stops the clock: its figures are fixed at the issue date.
    end = final_plan_issued_on if final_plan_issued_on is not None else as_of
    since = days_since(request_received_on, end)
    overdue = days_late(plan_due, final_plan_issued_on, as_of)
    if final_plan_issued_on is not None:
        status = CaseStatus.CLOSED_ON_TIME if overdue == 0 else CaseStatus.CLOSED_LATE
    elif overdue > 0:
        status = CaseStatus.OUT
    elif (plan_due - as_of).days <= due_soon_weeks * 7:
        # "Within N weeks" counts like "within 20 weeks": up to and including as_of + N weeks.
        status = CaseStatus.DUE_SOON
    else:
        status = CaseStatus.WITHIN
    return CaseClock(
        request_received_on=request_received_on,
        decision_due=decision_due(request_received_on),
        final_plan_due=plan_due,
        days_since_request=since,
        weeks_since_request=since // 7,
        days_overdue=overdue,
        status=status,
        issued_on=final_plan_issued_on,
    )


@dataclass(frozen=True)
class AdviceClock:
    """A piece of advice's due date and whether it came back in time."""

    due_on: date
    returned_on: date | None
    on_time: bool | None
    days_late: int


def advice_clock(
    allocated_on: date,
    returned_on: date | None,
    as_of: date,
    turnaround_days: int = ADVICE_DAYS,
) -> AdviceClock:
    """Work out whether advice asked for on allocated_on was (or still can be) on time."""
    due_on = due_date(allocated_on, turnaround_days)
    on_time: bool | None
    if returned_on is not None:
        on_time = returned_on <= due_on
    elif as_of > due_on:
        on_time = False
    else:
        # Not back yet but not late either: the answer is not known.
        on_time = None
    return AdviceClock(
        due_on=due_on,
        returned_on=returned_on,
        on_time=on_time,
        days_late=days_late(due_on, returned_on, as_of),
    )


def advice_statutory_due(
    requested_on: date,
    periods: Sequence[tuple[date, date | None]],
    until: date,
) -> date:
    """The statutory due date of advice asked for on requested_on (reg 8), after its exceptions.

    Six weeks (42 days) from the request for advice, moved one day for every day an advice
    exception (reg 8(2)(a)-(c)) covers: each period counts from its start to its end, both
    days included, and a day inside two periods is counted once. Days before the request do
    not count, and a period that starts after the (already moved) due date moves nothing: the
    advice was late before it began, and an exception only excuses the delay it caused.

    A period with no end date counts up to `until`: the day the advice came back, or, while it
    is still out, the day the date is worked out (allocations.services keeps the stored date,
    working it out again when an exception is recorded and when the advice comes back).
    """
    due = due_date(requested_on, ADVICE_DAYS)
    covered_to = requested_on - timedelta(days=1)  # the last day already counted
    for start, end in sorted((max(s, requested_on), e) for s, e in periods):
        if start > due:
            break  # later periods start later still
        last = end if end is not None else until
        fresh_from = max(start, covered_to + timedelta(days=1))
        if fresh_from <= last:
            due += timedelta(days=(last - fresh_from).days + 1)
            covered_to = last
    return due


# --- School years -------------------------------------------------------------------------------


def academic_year(on: date) -> int:
    """The calendar year in which the school year (1 September to 31 August) containing on began."""
    return on.year if on.month >= 9 else on.year - 1


YEAR_GROUP_ERROR = (
    "Year group must be Nursery, Reception or Year 1 to Year 14 (or N1, N2, R, 1 to 14)"
)

_NAMED_YEAR_GROUPS: dict[str, int] = {
    "n1": -2,
    "nursery (n1)": -2,  # our own label, so an export can be imported again
    "n2": -1,
    "nursery": -1,
    "r": 0,
    "rec": 0,
    "reception": 0,
}
# "Year 7", "Year7", "yr 7", "Y7" or just "7"; the number is checked against 1 to 14 below.
_NUMBERED_YEAR_GROUP = re.compile(r"(?:year|yr|y)?\s*([0-9]{1,2})")


def parse_year_group(text: str | None) -> int | None:
    """The national curriculum year number for a year group as schools write it; None if blank."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().lower()
    if cleaned in _NAMED_YEAR_GROUPS:
        return _NAMED_YEAR_GROUPS[cleaned]
    match = _NUMBERED_YEAR_GROUP.fullmatch(cleaned)
    if match is not None:
        number = int(match.group(1))
        if 1 <= number <= 14:
            return number
    raise ValueError(YEAR_GROUP_ERROR)


def year_group_label(nc_year: int) -> str:
    """The year group's name as the council writes it, e.g. "Reception" or "Year 7"."""
    if nc_year == -2:
        return "Nursery (N1)"
    if nc_year == -1:
        return "Nursery"
    if nc_year == 0:
        return "Reception"
    # Plans run from birth to 25, so a derived year can fall outside N1 to Year 14.
    if nc_year < -2:
        return "Not yet in nursery"
    if nc_year > 14:
        return "Post-19"
    return f"Year {nc_year}"


def reception_year(nc_year: int | None, date_of_birth: date, recorded_on: date) -> int:
    """The academic year in which the child is, was or will be in Reception."""
    # A recorded year group wins: children held back or moved up a year do not follow their age.
    if nc_year is not None:
        return academic_year(recorded_on) - nc_year
    # Born 1 September Y-5 to 31 August Y-4: Reception starts in September of year Y.
    return date_of_birth.year + 5 if date_of_birth.month >= 9 else date_of_birth.year + 4


def current_nc_year(reception_year: int, as_of: date) -> int:
    """The national curriculum year the child is in on as_of."""
    return academic_year(as_of) - reception_year


def age_on(date_of_birth: date, as_of: date) -> int:
    """Age in whole years on as_of."""
    # Comparing (month, day) puts a 29 February birthday on 1 March in other years, which is the
    # England and Wales rule: (2, 28) is still before (2, 29).
    before_birthday = (as_of.month, as_of.day) < (date_of_birth.month, date_of_birth.day)
    return as_of.year - date_of_birth.year - int(before_birthday)


# --- Phase transfers (reg 18) -------------------------------------------------------------------

# The national curriculum year a child is in now -> what they move into next September, for a
# case whose setting type is not recorded (the year group alone decides).
TRANSFER_FROM_NC_YEARS: dict[int, str] = {
    -1: "Reception",
    2: "Year 3",
    6: "Year 7",
    11: "Year 12",
}
POST_16_FROM = 11  # secondary to post-16 has until 31 March rather than 15 February
MIDDLE_SCHOOL_LAST_YEAR = 8  # middle schools here are 9-13 (Years 5 to 8): out into Year 9

# The same, by the type of the child's setting (provider_portal.outcomes.SETTING_TYPES). A child
# moves phase only when their setting ends: an infant school at Year 2, a junior or primary
# school at Year 6, a middle school at Year 8 (the 9-13 middle schools of a three-tier system;
# a first school is recorded as an infant or primary school), a secondary school at Year 11.
# Primary, all-through and special schools take a child from Reception on, so there is no
# infant-to-junior move; all-through and special schools have no primary-to-secondary move
# either. Nursery (Year N2) into Reception counts wherever the child is, except post-16.
TRANSFERS_BY_SETTING_TYPE: dict[str, dict[int, str]] = {
    "early_years": {-1: "Reception"},
    "infant": {-1: "Reception", 2: "Year 3"},
    "junior": {6: "Year 7"},
    "primary": {-1: "Reception", 6: "Year 7"},
    "middle": {MIDDLE_SCHOOL_LAST_YEAR: f"Year {MIDDLE_SCHOOL_LAST_YEAR + 1}"},
    "secondary": {11: "Year 12"},
    "all_through": {-1: "Reception", 11: "Year 12"},
    "special": {-1: "Reception", 11: "Year 12"},
    "post_16": {},
}


def transfers_for(setting_type: str | None) -> dict[int, str]:
    """{year group: year moved into} for a setting type; the year-group rule when unknown."""
    if setting_type is None:
        return TRANSFER_FROM_NC_YEARS
    return TRANSFERS_BY_SETTING_TYPE.get(setting_type, TRANSFER_FROM_NC_YEARS)


@dataclass(frozen=True)
class PhaseTransfer:
    """A phase transfer next September and how long is left to finalise the plan for it."""

    moving_into: str
    deadline: date
    days_left: int


def transfer_deadline(from_nc_year: int, as_of: date) -> date:
    """The reg 18 deadline for a child in from_nc_year on as_of: 15 February or 31 March."""
    transfer_year = academic_year(as_of) + 1
    # The deadline stays put when it falls on a weekend: reg 18 names the date.
    if from_nc_year == POST_16_FROM:
        return date(transfer_year, 3, 31)
    return date(transfer_year, 2, 15)


def phase_transfer(
    reception_year: int | None, as_of: date, setting_type: str | None = None
) -> PhaseTransfer | None:
    """The child's phase transfer next September, or None if they are not in a transfer year.

    reception_year carries the year group anchored to the day it was recorded (see
    reception_year); setting_type decides which years end a phase (TRANSFERS_BY_SETTING_TYPE).
    """
    if reception_year is None:
        return None
    nc_year = current_nc_year(reception_year, as_of)
    transfers = transfers_for(setting_type)
    if nc_year not in transfers:
        return None
    deadline = transfer_deadline(nc_year, as_of)
    return PhaseTransfer(
        moving_into=transfers[nc_year],
        deadline=deadline,
        days_left=(deadline - as_of).days,
    )


def phase_transfer_deadline_sql_years(as_of: date) -> dict[int, date]:
    """Reception years in a transfer year on as_of, each with its deadline, for a SQL CASE.

    For cases with no setting type recorded; phase_transfer_sql_rules covers every type.
    """
    return {
        academic_year(as_of) - nc_year: transfer_deadline(nc_year, as_of)
        for nc_year in TRANSFER_FROM_NC_YEARS
    }


@dataclass(frozen=True)
class TransferRule:
    """One arm of the board's SQL CASE: cases with this reception year and one of these setting
    types (or, with untyped, none recorded or one not known) have this deadline on as_of."""

    reception_year: int
    deadline: date
    setting_types: tuple[str, ...]
    untyped: bool


def phase_transfer_sql_rules(as_of: date) -> list[TransferRule]:
    """phase_transfer for every setting type on as_of, as rules a SQL CASE can test."""
    rules = []
    for nc_year in sorted(
        {year for t in TRANSFERS_BY_SETTING_TYPE.values() for year in t}
        | set(TRANSFER_FROM_NC_YEARS)
    ):
        types = tuple(
            name for name, transfers in TRANSFERS_BY_SETTING_TYPE.items() if nc_year in transfers
        )
        rules.append(
            TransferRule(
                reception_year=academic_year(as_of) - nc_year,
                deadline=transfer_deadline(nc_year, as_of),
                setting_types=types,
                untyped=nc_year in TRANSFER_FROM_NC_YEARS,
            )
        )
    return rules


def transfer_in_window(days_left: int, window_weeks: int = PHASE_TRANSFER_WINDOW_WEEKS) -> bool:
    """Whether a transfer deadline is near enough (or already passed) to put a case near the top."""
    # Same sense of "within N weeks" as DUE_SOON and the board's SQL: on or before as_of + N weeks.
    return days_left <= window_weeks * 7


def phase_transfer_priority_years(
    as_of: date, window_weeks: int = PHASE_TRANSFER_WINDOW_WEEKS
) -> dict[int, date]:
    """The reception years whose transfer deadline is within the window on as_of (priority 2)."""
    return {
        year: deadline
        for year, deadline in phase_transfer_deadline_sql_years(as_of).items()
        if transfer_in_window((deadline - as_of).days, window_weeks)
    }


# --- Priority -----------------------------------------------------------------------------------


def priority_rank(
    looked_after: bool,
    transfer: PhaseTransfer | None,
    window_weeks: int = PHASE_TRANSFER_WINDOW_WEEKS,
) -> int:
    """0 for looked-after children, 1 for a transfer deadline within the window, 2 otherwise."""
    if looked_after:
        return 0
    if transfer is not None and transfer_in_window(transfer.days_left, window_weeks):
        return 1
    return 2


def _transfer_reason(transfer: PhaseTransfer) -> str:
    when = day_and_month(transfer.deadline)
    if transfer.days_left == 0:
        return f"Phase transfer: {when}, today"
    if transfer.days_left < 0:
        return f"Phase transfer: {when}, passed {plural(-transfer.days_left, 'day')} ago"
    return f"Phase transfer: {when}, {plural(transfer.days_left, 'day')}"


def _overdue_reason(days_overdue: int) -> str:
    weeks = days_overdue // 7
    if weeks:
        return f"{plural(weeks, 'week')} overdue"
    return f"{plural(days_overdue, 'day')} overdue"


def priority_reasons(
    looked_after: bool,
    transfer: PhaseTransfer | None,
    days_overdue: int,
    window_weeks: int = PHASE_TRANSFER_WINDOW_WEEKS,
) -> list[str]:
    """Why a case sits where it does in the priority order, most important reason first."""
    reasons = []
    if looked_after:
        reasons.append("Looked after")
    if transfer is not None and transfer_in_window(transfer.days_left, window_weeks):
        reasons.append(_transfer_reason(transfer))
    if days_overdue > 0:
        reasons.append(_overdue_reason(days_overdue))
    return reasons


def priority_key(
    looked_after: bool,
    transfer: PhaseTransfer | None,
    days_overdue: int,
    request_received_on: date,
    window_weeks: int = PHASE_TRANSFER_WINDOW_WEEKS,
) -> tuple[int, date, int, date]:
    """A sort key putting cases in priority order (see the module docstring)."""
    rank = priority_rank(looked_after, transfer, window_weeks)
    deadline = transfer.deadline if rank == 1 and transfer is not None else date.max
    return (rank, deadline, -days_overdue, request_received_on)


# --- Exceptions ---------------------------------------------------------------------------------


def excusable_days(
    due_on: date,
    done_on: date | None,
    as_of: date,
    periods: Sequence[tuple[date, date | None]],
) -> int:
    """How many of the days late fall inside recorded exception periods (each day counted once)."""
    # An exception only excuses the delay it caused, so only late days inside a period count.
    first_late = due_on + timedelta(days=1)
    last_late = done_on if done_on is not None else as_of
    spans = sorted(
        (max(start, first_late), min(end if end is not None else as_of, last_late))
        for start, end in periods
    )
    total = 0
    covered_to = first_late - timedelta(days=1)  # the last day already counted
    for start, end in spans:
        # Periods can overlap: count only the part beyond what earlier periods covered.
        fresh_from = max(start, covered_to + timedelta(days=1))
        if fresh_from <= end:
            total += (end - fresh_from).days + 1
            covered_to = end
    return total


def exception_label(code: str) -> str:
    """The regulation-referenced wording of an exception reason code."""
    return (
        FINAL_PLAN_EXCEPTIONS.get(code)
        or HISTORICAL_EXCEPTIONS.get(code)
        or ADVICE_EXCEPTIONS.get(code)
        or code
    )


def exception_period(
    reason: str, starts_on: date | None, ends_on: date | None
) -> tuple[date | None, date | None]:
    """The days a 20-week exception covers, None at an end that is open.

    A coronavirus exception of 2020 recorded without dates covers the months the regulation was
    in force; any other date left blank is open (the exception is taken at its word).
    """
    if reason == CORONAVIRUS_2020:
        return starts_on or CORONAVIRUS_2020_FROM, ends_on or CORONAVIRUS_2020_TO
    return starts_on, ends_on


def exception_counts_for(
    request_received_on: date, reason: str, starts_on: date | None, ends_on: date | None
) -> bool:
    """Whether a 20-week exception counts for "excluding exceptions" on this case.

    It does when its period overlaps the case's 20 weeks, request date to request + 140 days
    (both included). An open start or end reaches as far as it needs: an exception recorded
    without dates (an import from a case system that holds none) counts.
    """
    start, end = exception_period(reason, starts_on, ends_on)
    return (start is None or start <= final_plan_due(request_received_on)) and (
        end is None or end >= request_received_on
    )
