"""The monthly contract monitoring pack: one contract, one provider or everything, over a range
of months, as of a date.

build_pack() runs a fixed number of SQL aggregates and returns plain rows; the page, the CSV
and XLSX downloads, the charts and `flask report pack` all render those rows.

Definitions (the page states them too):
- Cohort: of the work allocated in a month (withdrawn and declined work left out), how much had
  come back by the as-of date. The same code as `flask report monthly`.
- Flow: what happened in a month, whenever the work was allocated: first returns, acceptances,
  declines by the provider, withdrawals. Only events on or before the as-of date count.
- On time: returned_on - allocated_on is at most the contract's turnaround for the work type,
  or the work type's own turnaround when the contract sets none (or there is no contract).
- Median and 90th percentile of turnaround days use the nearest-rank method (see nearest_rank).
- Rework: of the work first returned in the month, how much was sent back for amendment at
  least once by the as-of date (amendment_count > 0 and the latest request on or before it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    extract,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from provider_portal.contracts.pricing import count_if
from provider_portal.extensions import db
from provider_portal.models import Allocation, Contract, ContractTurnaround, WorkType
from provider_portal.reports.compliance import percent
from provider_portal.reports.forecast import FUNDING, RATE_WEEKS, Forecast, forecast, outstanding_on
from provider_portal.reports.monthly import (
    MonthlyRow,
    ReportError,
    monthly_counts_by,
    monthly_report,
)
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend import SpendMonth, spend_by_month
from provider_portal.reports.xlsx import Column, Sheet, write_workbook
from provider_portal.timescales import add_months, months_between

MAX_MONTHS = 36
PERCENTILE_METHOD = (
    "Median and 90th percentile turnaround use the nearest-rank method: the days from "
    "allocation to first return of the work returned in the month, sorted from shortest to "
    "longest; the median is the value at position ⌈0.5 × n⌉ and the 90th percentile the value "
    "at position ⌈0.9 × n⌉, where n is the number returned. With an even number returned, the "
    "median is the lower of the two middle values. No value is averaged, so both are whole days "
    "that some piece of work actually took."
)


class DaysBetween(ColumnElement[int]):
    """Whole calendar days from one date column to another (end - start), in SQL."""

    inherit_cache = True
    type = Integer()
    _traverse_internals = [
        ("start", InternalTraversal.dp_clauseelement),
        ("end", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, start: Any, end: Any) -> None:
        self.start = coercions.expect(roles.ExpressionElementRole, start)
        self.end = coercions.expect(roles.ExpressionElementRole, end)


@compiles(DaysBetween, "sqlite")
def _days_between_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # Dates are ISO text in SQLite; julianday() of a plain date is a whole number plus .5,
    # so the difference is exact and the cast only changes its type.
    end = compiler.process(element.end, **kw)
    start = compiler.process(element.start, **kw)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


@compiles(DaysBetween, "postgresql")
@compiles(DaysBetween)
def _days_between_postgresql(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # date - date is an integer number of days in PostgreSQL.
    return f"({compiler.process(element.end, **kw)} - {compiler.process(element.start, **kw)})"


def nearest_rank(histogram: Mapping[int, int], share: Decimal) -> int | None:
    """The nearest-rank percentile of the values a {value: count} histogram holds.

    The value at position ceil(share × n) of the n values sorted ascending (position 1 at
    least); None when there are no values. share is a Decimal (0.5, 0.9) so that the
    position is exact: 0.9 × 10 is 9, not 9.000000000000002.
    """
    n = sum(histogram.values())
    if n == 0:
        return None
    position = max(1, math.ceil(share * n))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= position:
            return value
    raise AssertionError("unreachable: position is at most n")


MEDIAN = Decimal("0.5")
P90 = Decimal("0.9")


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkTypeCohortRow:
    month: date | None  # None for a work type's total over the range
    work_type: str
    allocated: int
    returned: int

    @property
    def outstanding(self) -> int:
        return self.allocated - self.returned


@dataclass(frozen=True)
class FlowRow:
    """What happened in one month (or, with month None, over the whole range)."""

    month: date | None
    returned: int  # first returned in the month
    on_time: int  # of those, within the turnaround
    sent_back: int  # of those, sent back for amendment at least once
    median_days: int | None
    p90_days: int | None
    accepted: int
    declined: int
    withdrawn: int

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.returned)

    @property
    def rework_percent(self) -> Decimal | None:
        return percent(self.sent_back, self.returned)


CHECK_LABELS = {
    "met": ("Met", "govuk-tag--green"),
    "not_met": ("Not met", "govuk-tag--red"),
    "no_target": ("No target", "govuk-tag--grey"),
    "month_not_over": ("Month not over", "govuk-tag--grey"),
    "nothing_returned": ("Nothing returned", "govuk-tag--grey"),
}


@dataclass(frozen=True)
class Check:
    """One figure against its target: the numbers behind it and whether it was met."""

    actual: Decimal | int | None  # a count, or a percentage to one decimal place
    target: int | None
    status: str  # a key of CHECK_LABELS

    @property
    def label(self) -> str:
        return CHECK_LABELS[self.status][0]

    @property
    def tag_class(self) -> str:
        return CHECK_LABELS[self.status][1]


@dataclass(frozen=True)
class TargetRow:
    month: date
    volume: Check  # work allocated in the month against the monthly volume
    on_time: Check  # % of the work returned in the month that was on time
    rework: Check  # % of the work returned in the month sent back for amendment
    returned: int
    on_time_count: int
    sent_back: int


@dataclass(frozen=True)
class BacklogPoint:
    """Outstanding work on a day: actual (recorded) up to the as-of date, forecast after it."""

    day: date
    actual: int | None
    forecast: int | None


@dataclass(frozen=True)
class Pack:
    scope: Scope
    first_month: date
    last_month: date
    as_of: date
    cohort: list[MonthlyRow]
    cohort_total: MonthlyRow
    cohort_by_work_type: list[WorkTypeCohortRow]
    flow: list[FlowRow]
    flow_total: FlowRow
    targets: list[TargetRow] | None  # None unless the scope is one contract
    backlog: list[BacklogPoint]
    forecast: Forecast
    spend: list[SpendMonth]
    value: Decimal  # current value of the contracts in scope

    @property
    def contract(self) -> Contract | None:
        return self.scope.contract

    @property
    def months(self) -> list[date]:
        return [row.month for row in self.cohort if row.month is not None]


# --- the figures ----------------------------------------------------------------------------


def check_range(first_month: date, last_month: date) -> list[date]:
    """The months of the range; ReportError when reversed or longer than 36 months."""
    if last_month < first_month:
        raise ReportError("The end month must be the same as or after the start month")
    months = months_between(first_month, last_month)
    if len(months) > MAX_MONTHS:
        raise ReportError(f"Choose a range of {MAX_MONTHS} months or less")
    return months


def _scope_args(scope: Scope) -> dict[str, Any]:
    return {"provider": scope.provider, "contract": scope.contract}


def cohort_by_work_type(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> list[WorkTypeCohortRow]:
    """The cohort counts per work type: every month for each work type with work in the range,
    then that work type's total. One GROUP BY, plus the work type names."""
    months = check_range(first_month, last_month)
    found = monthly_counts_by(
        Allocation.work_type_id, first_month, last_month, as_of, **_scope_args(scope)
    )
    present = {work_type_id for _, work_type_id in found}
    if not present:
        return []
    names: dict[int, str] = {
        work_type_id: name
        for work_type_id, name in db.session.execute(
            select(WorkType.id, WorkType.name).where(WorkType.id.in_(present))
        )
    }
    rows: list[WorkTypeCohortRow] = []
    for work_type_id in sorted(present, key=lambda i: names[i]):
        name = names[work_type_id]
        block = []
        for month in months:
            row = found.get((month, work_type_id))
            allocated, returned = (row.allocated, row.returned) if row else (0, 0)
            block.append(WorkTypeCohortRow(month, name, allocated, returned))
        rows.extend(block)
        rows.append(
            WorkTypeCohortRow(
                None,
                name,
                sum(r.allocated for r in block),
                sum(r.returned for r in block),
            )
        )
    return rows


def _in_range(
    column: Any, first_month: date, last_month: date, as_of: date
) -> list[ColumnElement[bool]]:
    return [
        column >= first_month,
        column < add_months(last_month, 1),
        column <= as_of,
    ]


def _returns_histogram(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> dict[date, dict[tuple[int, bool, bool], int]]:
    """{month: {(days, on_time, sent_back): count}} for the work first returned each month."""
    target = func.coalesce(ContractTurnaround.days, WorkType.turnaround_days)
    days = DaysBetween(Allocation.allocated_on, Allocation.returned_on)
    sent_back = and_(
        Allocation.amendment_count > 0,
        Allocation.amendment_requested_on.is_not(None),
        Allocation.amendment_requested_on <= as_of,
    )
    # Per-allocation values in a subquery, grouped outside it: PostgreSQL would not match a
    # GROUP BY expression carrying bound parameters with the same expression in SELECT.
    each = (
        select(
            extract("year", Allocation.returned_on).label("year"),
            extract("month", Allocation.returned_on).label("month"),
            days.label("days"),
            (days <= target).label("on_time"),
            sent_back.label("sent_back"),
            Allocation.id.label("id"),
        )
        .select_from(Allocation)
        .join(WorkType, WorkType.id == Allocation.work_type_id)
        .outerjoin(
            ContractTurnaround,
            and_(
                ContractTurnaround.contract_id == Allocation.contract_id,
                ContractTurnaround.work_type_id == Allocation.work_type_id,
            ),
        )
        .where(
            Allocation.returned_on.is_not(None),
            *_in_range(Allocation.returned_on, first_month, last_month, as_of),
            *scope.allocation_filters(),
        )
        .subquery("returned_work")
    )
    query = select(
        each.c.year, each.c.month, each.c.days, each.c.on_time, each.c.sent_back, func.count()
    ).group_by(each.c.year, each.c.month, each.c.days, each.c.on_time, each.c.sent_back)
    found: dict[date, dict[tuple[int, bool, bool], int]] = {}
    for year, month, day_count, on_time, reworked, count in db.session.execute(query):
        key = (int(day_count), bool(on_time), bool(reworked))
        bucket = found.setdefault(date(int(year), int(month), 1), {})
        bucket[key] = bucket.get(key, 0) + int(count)
    return found


def _events(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> dict[tuple[str, date], int]:
    """{(kind, month): count} of acceptances, declines and withdrawals in one query."""
    parts: list[Any] = []
    for kind, column in (
        ("accepted", Allocation.accepted_on),
        ("declined", Allocation.declined_on),
        ("withdrawn", Allocation.withdrawn_on),
    ):
        parts.append(
            select(literal_column(f"'{kind}'").label("kind"), column.label("day")).where(
                column.is_not(None),
                *_in_range(column, first_month, last_month, as_of),
                *scope.allocation_filters(),
            )
        )
    events = union_all(*parts).subquery("event")
    year = extract("year", events.c.day)
    month = extract("month", events.c.day)
    query = select(events.c.kind, year, month, func.count()).group_by(events.c.kind, year, month)
    return {
        (kind, date(int(y), int(m), 1)): int(count)
        for kind, y, m, count in db.session.execute(query)
    }


def _flow_row(
    month: date | None,
    histogram: Mapping[tuple[int, bool, bool], int],
    accepted: int,
    declined: int,
    withdrawn: int,
) -> FlowRow:
    by_days: dict[int, int] = {}
    for (days, _, _), count in histogram.items():
        by_days[days] = by_days.get(days, 0) + count
    return FlowRow(
        month=month,
        returned=sum(histogram.values()),
        on_time=sum(c for (_, on_time, _), c in histogram.items() if on_time),
        sent_back=sum(c for (_, _, reworked), c in histogram.items() if reworked),
        median_days=nearest_rank(by_days, MEDIAN),
        p90_days=nearest_rank(by_days, P90),
        accepted=accepted,
        declined=declined,
        withdrawn=withdrawn,
    )


def flow(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> tuple[list[FlowRow], FlowRow]:
    """Returns, acceptances, declines and withdrawals per month, and over the range."""
    months = check_range(first_month, last_month)
    histograms = _returns_histogram(scope, first_month, last_month, as_of)
    events = _events(scope, first_month, last_month, as_of)
    rows = [
        _flow_row(
            month,
            histograms.get(month, {}),
            events.get(("accepted", month), 0),
            events.get(("declined", month), 0),
            events.get(("withdrawn", month), 0),
        )
        for month in months
    ]
    merged: dict[tuple[int, bool, bool], int] = {}
    for histogram in histograms.values():
        for key, count in histogram.items():
            merged[key] = merged.get(key, 0) + count
    total = _flow_row(
        None,
        merged,
        sum(r.accepted for r in rows),
        sum(r.declined for r in rows),
        sum(r.withdrawn for r in rows),
    )
    return rows, total


def _covers(contract: Contract, month: date) -> bool:
    return contract.start_on <= month_end(month) and contract.end_on >= month


def _at_least(part: int, whole: int, target: int) -> bool:
    """part / whole >= target %, compared exactly (no rounding lets 89.96% pass 90%)."""
    return part * 100 >= target * whole


def targets(
    contract: Contract, cohort: Iterable[MonthlyRow], flow_rows: Iterable[FlowRow], as_of: date
) -> list[TargetRow]:
    """Each month against the contract's monthly volume, on-time target and rework maximum.

    - Volume: met when the work allocated in the month reached the monthly volume; judged
      only once the month is over on the as-of date.
    - On time: met when on-time returns / returns in the month >= the on-time target.
    - Rework: met when sent back / returns in the month <= the maximum rework rate.
    A month wholly outside the contract's dates has no target.
    """
    flows = {row.month: row for row in flow_rows}
    rows = []
    for cohort_row in cohort:
        month = cohort_row.month
        if month is None:
            continue
        flow_row = flows[month]
        covered = _covers(contract, month)
        returned = flow_row.returned

        volume_target = contract.monthly_volume if covered else None
        if volume_target is None:
            volume_status = "no_target"
        elif month_end(month) > as_of:
            volume_status = "month_not_over"
        else:
            volume_status = "met" if cohort_row.allocated >= volume_target else "not_met"

        on_time_target = contract.on_time_target_percent if covered else None
        if on_time_target is None:
            on_time_status = "no_target"
        elif returned == 0:
            on_time_status = "nothing_returned"
        else:
            met = _at_least(flow_row.on_time, returned, on_time_target)
            on_time_status = "met" if met else "not_met"

        rework_max = contract.max_rework_percent if covered else None
        if rework_max is None:
            rework_status = "no_target"
        elif returned == 0:
            rework_status = "nothing_returned"
        else:
            met = flow_row.sent_back * 100 <= rework_max * returned
            rework_status = "met" if met else "not_met"

        rows.append(
            TargetRow(
                month=month,
                volume=Check(cohort_row.allocated, volume_target, volume_status),
                on_time=Check(flow_row.on_time_percent, on_time_target, on_time_status),
                rework=Check(flow_row.rework_percent, rework_max, rework_status),
                returned=returned,
                on_time_count=flow_row.on_time,
                sent_back=flow_row.sent_back,
            )
        )
    return rows


def outstanding_on_days(scope: Scope, days: list[date]) -> list[int]:
    """Outstanding work at the end of each day, one column per day in one aggregate.

    Outstanding as the forecast counts it: allocated by then and not yet returned, withdrawn
    or declined, so the burn-down's last actual point meets the forecast's starting point.
    """
    if not days:
        return []
    columns = [count_if(outstanding_on(day)) for day in days]
    values = db.session.execute(
        select(*columns)
        .select_from(Allocation)
        .where(Allocation.allocated_on <= max(days), *scope.allocation_filters())
    ).one()
    return [int(v or 0) for v in values]


# How far past the as-of date the burn-down draws a forecast that does not clear sooner.
FORECAST_MONTHS = 24


def backlog(
    scope: Scope, first_month: date, last_month: date, as_of: date, projection: Forecast
) -> list[BacklogPoint]:
    """The burn-down: outstanding allocated work at each month end up to the as-of date
    (and on the as-of date itself), then the forecast backlog (outstanding plus unallocated)
    at each later month end and on the day it clears."""
    months = check_range(first_month, last_month)
    range_end = month_end(months[-1])
    actual_days = [month_end(m) for m in months if month_end(m) <= as_of]
    if months[0] <= as_of <= range_end and as_of not in actual_days:
        actual_days.append(as_of)
    actuals = dict(zip(actual_days, outstanding_on_days(scope, actual_days), strict=True))
    points: dict[date, BacklogPoint] = {
        day: BacklogPoint(day, count, None) for day, count in actuals.items()
    }
    if months[0] <= as_of <= range_end:
        points[as_of] = BacklogPoint(as_of, actuals[as_of], projection.backlog)
    if not months[0] <= as_of <= range_end:
        return [points[day] for day in sorted(points)]
    # The forecast runs on past the chosen months to the day the backlog clears (or, when it
    # does not clear, FORECAST_MONTHS on), so the burn-down shows where it ends.
    clears_on = projection.clears_on
    horizon = month_end(add_months(as_of, FORECAST_MONTHS))
    stop = min(clears_on, horizon) if clears_on is not None else horizon
    for month in months_between(as_of, stop):
        day = month_end(month)
        if as_of < day <= horizon and (clears_on is None or day < clears_on):
            points[day] = BacklogPoint(day, None, projection.backlog_on(day))
    if clears_on is not None and as_of < clears_on <= horizon:
        points[clears_on] = BacklogPoint(clears_on, None, 0)
    return [points[day] for day in sorted(points)]


def build_pack(scope: Scope, first_month: date, last_month: date, as_of: date) -> Pack:
    """Every table of the monitoring pack for the scope, months and as-of date."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    check_range(first_month, last_month)
    monthly = monthly_report(first_month, last_month, as_of, **_scope_args(scope))
    flow_rows, flow_total = flow(scope, first_month, last_month, as_of)
    projection = forecast(scope, as_of)
    return Pack(
        scope=scope,
        first_month=first_month,
        last_month=last_month,
        as_of=as_of,
        cohort=monthly.rows,
        cohort_total=monthly.total,
        cohort_by_work_type=cohort_by_work_type(scope, first_month, last_month, as_of),
        flow=flow_rows,
        flow_total=flow_total,
        targets=(
            targets(scope.contract, monthly.rows, flow_rows, as_of)
            if scope.contract is not None
            else None
        ),
        backlog=backlog(scope, first_month, last_month, as_of, projection),
        forecast=projection,
        spend=spend_by_month(scope, first_month, last_month, as_of),
        # The forecast sets the same value (scope_value) against the cost as funding agreed.
        value=projection.cost.row(FUNDING).total,
    )


# --- the tables as the downloads carry them -------------------------------------------------

CSV_TABLES = (
    "cohort",
    "cohort_by_work_type",
    "flow",
    "targets",
    "forecast",
    "cost",
    "backlog",
    "spend",
)


def _month_or_total(month: date | None) -> date | str:
    return "Total" if month is None else month


def pack_sheets(pack: Pack) -> dict[str, Sheet]:
    """Every table of the pack, by its CSV name, in page order."""
    cohort = Sheet(
        "cohort",
        "Cohort",
        [
            Column("month", "month", 12),
            Column("allocated", "count", 12),
            Column("returned", "count", 12),
            Column("outstanding", "count", 13),
        ],
        [
            (_month_or_total(r.month), r.allocated, r.returned, r.outstanding)
            for r in [*pack.cohort, pack.cohort_total]
        ],
    )
    by_type = Sheet(
        "cohort_by_work_type",
        "Cohort by work type",
        [
            Column("month", "month", 12),
            Column("work_type", "text", 36),
            Column("allocated", "count", 12),
            Column("returned", "count", 12),
            Column("outstanding", "count", 13),
        ],
        [
            (_month_or_total(r.month), r.work_type, r.allocated, r.returned, r.outstanding)
            for r in pack.cohort_by_work_type
        ],
    )
    flow_sheet = Sheet(
        "flow",
        "Flow",
        [
            Column("month", "month", 12),
            Column("returned", "count", 11),
            Column("returned_on_time", "count", 17),
            Column("on_time_percent", "percent", 16),
            Column("median_days", "count", 13),
            Column("p90_days", "count", 11),
            Column("sent_back_for_amendment", "count", 24),
            Column("rework_percent", "percent", 15),
            Column("accepted", "count", 11),
            Column("declined", "count", 11),
            Column("withdrawn", "count", 11),
        ],
        [
            (
                _month_or_total(r.month),
                r.returned,
                r.on_time,
                r.on_time_percent,
                r.median_days,
                r.p90_days,
                r.sent_back,
                r.rework_percent,
                r.accepted,
                r.declined,
                r.withdrawn,
            )
            for r in [*pack.flow, pack.flow_total]
        ],
    )
    capacity = pack.contract.stated_monthly_capacity if pack.contract is not None else None
    targets_sheet = Sheet(
        "targets",
        "Targets",
        [
            Column("month", "month", 12),
            Column("allocated", "count", 11),
            Column("monthly_volume", "count", 16),
            Column("volume", "text", 17),
            Column("stated_monthly_capacity", "count", 24),
            Column("returned", "count", 11),
            Column("returned_on_time", "count", 17),
            Column("on_time_percent", "percent", 16),
            Column("on_time_target_percent", "count", 23),
            Column("on_time", "text", 17),
            Column("sent_back_for_amendment", "count", 24),
            Column("rework_percent", "percent", 15),
            Column("max_rework_percent", "count", 19),
            Column("rework", "text", 17),
        ],
        [
            (
                t.month,
                t.volume.actual,
                t.volume.target,
                t.volume.label,
                capacity,
                t.returned,
                t.on_time_count,
                t.on_time.actual,
                t.on_time.target,
                t.on_time.label,
                t.sent_back,
                t.rework.actual,
                t.rework.target,
                t.rework.label,
            )
            for t in pack.targets or []
        ],
    )
    projection = pack.forecast
    forecast_sheet = Sheet(
        "forecast",
        "Forecast",
        [Column("measure", "text", 44), Column("value", "auto", 16)],
        [
            ("as_of", projection.as_of),
            ("outstanding_allocated_work", projection.outstanding),
            ("unallocated_out_of_timescale_cases", projection.unallocated),
            ("backlog", projection.backlog),
            (f"returned_in_last_{RATE_WEEKS}_weeks", projection.returned_in_window),
            ("weekly_rate", projection.weekly_rate),
            ("clears_on", projection.clears_on),
            ("clears_this_financial_year", projection.clears_this_financial_year),
            ("uncosted_pieces_of_work", projection.cost.uncosted),
        ],
    )
    cost = projection.cost
    cost_sheet = Sheet(
        "cost",
        "Cost to clear",
        [
            Column("row", "text", 22),
            *(Column(label, "money", 18) for label in cost.column_labels),
            Column("total", "money", 18),
        ],
        [(row.label, *row.by_year, row.total) for row in cost.rows],
    )
    backlog_sheet = Sheet(
        "backlog",
        "Backlog",
        [
            Column("day", "date", 13),
            Column("outstanding_actual", "count", 19),
            Column("backlog_forecast", "count", 17),
        ],
        [(p.day, p.actual, p.forecast) for p in pack.backlog],
    )
    spend_sheet = Sheet(
        "spend",
        "Spend",
        [
            Column("month", "month", 12),
            Column("actual", "money", 16),
            Column("committed", "money", 16),
            Column("cumulative_actual", "money", 18),
            Column("cumulative_actual_and_committed", "money", 30),
            Column("contract_value", "money", 18),
        ],
        [
            (
                s.month,
                s.actual,
                s.committed,
                s.cumulative_actual,
                s.cumulative_actual + s.committed,
                pack.value,
            )
            for s in pack.spend
        ],
    )
    sheets = [
        cohort,
        by_type,
        flow_sheet,
        targets_sheet,
        forecast_sheet,
        cost_sheet,
        backlog_sheet,
        spend_sheet,
    ]
    return {sheet.name: sheet for sheet in sheets}


def about_sheet(pack: Pack) -> Sheet:
    """What the workbook covers and how its figures were worked out."""
    rows: list[tuple[str, object]] = [
        ("Scope", pack.scope.label),
        ("From month", pack.first_month),
        ("To month", pack.last_month),
        ("As of", pack.as_of),
        ("Turnaround percentiles", PERCENTILE_METHOD),
    ]
    if pack.contract is not None:
        rows.insert(1, ("Contract title", pack.contract.title))
    rows.extend(("Forecast method", p) for p in pack.forecast.method_paragraphs)
    return Sheet(
        "about", "About", [Column("item", "text", 24), Column("detail", "auto", 100)], rows
    )


def pack_workbook(pack: Pack) -> bytes:
    """The whole pack as an .xlsx: what it covers, then one worksheet per table."""
    return write_workbook([about_sheet(pack), *pack_sheets(pack).values()])
