"""The monthly contract monitoring pack: one contract, one provider or everything, over a range
of months, as of a date.

build_pack() runs a fixed number of SQL aggregates and returns plain rows; the page, the CSV
and XLSX downloads, the charts and `flask report pack` all render those rows.

Definitions (the page states them too):
- Cohort: of the work allocated in a month (work withdrawn or declined by the as-of date left
  out; withdrawn or declined later, still counted), how much had come back by the as-of date.
  The same code as `flask report monthly`.
- Flow: what happened in a month, whenever the work was allocated: first returns, acceptances,
  declines by the provider, withdrawals. Only events on or before the as-of date count.
- On time, two measures, each named where it is shown (ON_TIME_STATUTORY, ON_TIME_CONTRACT):
  statutory (the flow table): advice first returned on or before its statutory due date
  (allocation.statutory_due_on: 6 weeks from the request, moved by its advice exceptions), and
  work with no statutory limit of its own against the contract's turnaround; contract (the
  targets table, against the contract's on-time target): returned_on - allocated_on is at most
  the contract's turnaround for the work type, or the work type's own turnaround when the
  contract sets none (or there is no contract).
- Median and 90th percentile of turnaround days use the nearest-rank method (see nearest_rank).
- Rework: of the work first returned in the month, how much was sent back for amendment at
  least once by the as-of date (a send-back on or before it: sent_back_by).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Allocation, Contract, ContractTurnaround, SendBack, WorkType
from provider_portal.reports.day_counts import flow_events, outstanding_on_days
from provider_portal.reports.forecast import FUNDING, Forecast, forecast
from provider_portal.reports.monthly.queries import MonthlyRow, counted_cohort
from provider_portal.reports.pack.quality import (
    RubricSummary,
    SendBackReasons,
    rubric_summary,
    sendback_reasons,
)
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import SpendMonth, names_by_id, spend_by_month
from provider_portal.reports.sql import (
    MEDIAN,
    P90,
    DaysBetween,
    mean,
    month_key,
    month_of_key,
    nearest_rank,
    percent,
)
from provider_portal.reports.stages import Stages, stages
from provider_portal.reports.together import together
from provider_portal.timescales import add_months, month_end, months_between

MAX_MONTHS = 36


PERCENTILE_METHOD = (
    "Median and 90th percentile turnaround use the nearest-rank method: the days from "
    "allocation to first return of the work returned in the month, sorted from shortest to "
    "longest; the median is the value at position ⌈0.5 × n⌉ and the 90th percentile the value "
    "at position ⌈0.9 × n⌉, where n is the number returned. With an even number returned, the "
    "median is the lower of the two middle values. No value is averaged, so both are whole days "
    "that some piece of work actually took."
)


ON_TIME_STATUTORY = (
    "On time (statutory) measures each piece of work against its statutory due date: advice "
    "returned for the first time on or before 6 weeks from the request for it (reg 8), moved "
    "by the days any advice exception on it covers; work with no statutory limit of its own "
    "(a draft plan) against the contract's turnaround."
)
ON_TIME_CONTRACT = (
    "On time (contract) measures work against the contract's turnaround for the type of work "
    "(the days from allocation to first return no more than the target; the type of work's "
    "own turnaround where the contract sets none), which is what the contract's on-time "
    "target is about."
)


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
    on_time: int  # of those, within the contract's turnaround (ON_TIME_CONTRACT)
    on_time_statutory: int  # of those, by the statutory due date (ON_TIME_STATUTORY)
    sent_back: int  # of those, sent back for amendment at least once
    median_days: int | None
    p90_days: int | None
    mean_days: Decimal | None
    accepted: int
    declined: int
    withdrawn: int

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.returned)

    @property
    def on_time_statutory_percent(self) -> Decimal | None:
        return percent(self.on_time_statutory, self.returned)

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
    sendback_reasons: SendBackReasons  # why work was sent back (pack.quality)
    rubric: RubricSummary  # the quality rubric's scores (pack.quality)
    stages: Stages  # where the time goes, for the plans issued in the months

    @property
    def contract(self) -> Contract | None:
        return self.scope.contract

    @property
    def months(self) -> list[date]:
        return [row.month for row in self.cohort if row.month is not None]


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
    scope: Scope,
    first_month: date,
    last_month: date,
    as_of: date,
    found: Mapping[tuple[date, Any], MonthlyRow] | None = None,
) -> list[WorkTypeCohortRow]:
    """The cohort counts per work type: every month for each work type with work in the range,
    then that work type's total. One GROUP BY (unless `found` already holds its rows), plus
    the work type names."""
    months = check_range(first_month, last_month)
    if found is None:
        found = counted_cohort(
            first_month, last_month, as_of, **_scope_args(scope), by_work_type=True
        )
    present = {work_type_id for _, work_type_id in found}
    if not present:
        return []
    names = names_by_id(WorkType.id, WorkType.name, present)
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


def cohort(
    months: list[date], by_work_type: Mapping[tuple[date, Any], MonthlyRow]
) -> tuple[list[MonthlyRow], MonthlyRow]:
    """The cohort table (monthly_report's rows and total) added up from its work type rows,
    so the pack reads the work allocated in its months once, not twice."""
    counts: dict[date, tuple[int, int]] = {}
    for (month, _work_type_id), row in by_work_type.items():
        allocated, returned = counts.get(month, (0, 0))
        counts[month] = (allocated + row.allocated, returned + row.returned)
    rows = [MonthlyRow(month, *counts.get(month, (0, 0))) for month in months]
    total = MonthlyRow(None, sum(r.allocated for r in rows), sum(r.returned for r in rows))
    return rows, total


def in_range(
    column: Any, first_month: date, last_month: date, as_of: date
) -> list[ColumnElement[bool]]:
    """The dates in the months, on or before the as-of date."""
    return [
        column >= first_month,
        column < add_months(last_month, 1),
        column <= as_of,
    ]


@dataclass(frozen=True)
class Returned:
    """The work first returned in a month after the same number of days: how many, and of
    those how many were on time each way and how many were sent back."""

    count: int
    on_time: int
    on_time_statutory: int
    sent_back: int


Key = tuple[Any, ...]


def sent_back_by(as_of: date) -> ColumnElement[bool]:
    """Work sent back for amendment at least once on or before as_of: a send-back recorded by
    then, or an amendment counted on the allocation by then (records older than send-backs).

    Each request for amendment is a send-back with its own date, so work sent back before the
    date and again after it still counts; the allocation itself keeps only the latest request.
    The send-backs are read once (an IN list the database hashes), not probed per row.
    """
    return or_(
        Allocation.id.in_(select(SendBack.allocation_id).where(SendBack.requested_on <= as_of)),
        and_(
            Allocation.amendment_count > 0,
            Allocation.amendment_requested_on.is_not(None),
            Allocation.amendment_requested_on <= as_of,
        ),
    )


def returns_by_days(
    filters: Sequence[ColumnElement[bool]],
    first_month: date,
    last_month: date,
    as_of: date,
    keys: Sequence[Any] = (),
) -> dict[Key, dict[int, Returned]]:
    """{(month, *keys): {days to first return: Returned}} for the work first returned each
    month, limited by `filters` and split by the `keys` columns (a provider, say).

    One pass: grouped by month, keys and days only, each measure a conditional count, so the
    groups are few enough for PostgreSQL to hash rather than sort them on disk.
    """
    target = func.coalesce(ContractTurnaround.days, WorkType.turnaround_days)
    days = DaysBetween(Allocation.allocated_on, Allocation.returned_on)
    on_time = days <= target
    on_time_statutory = case(
        (
            Allocation.statutory_due_on.is_not(None),
            Allocation.returned_on <= Allocation.statutory_due_on,
        ),
        else_=on_time,
    )
    sent_back = sent_back_by(as_of)
    # Per-allocation values in a subquery, grouped outside it: PostgreSQL would not match a
    # GROUP BY expression carrying bound parameters with the same expression in SELECT.
    each = (
        select(
            month_key(Allocation.returned_on, first_month, last_month).label("month"),
            *(key.label(f"key_{i}") for i, key in enumerate(keys)),
            days.label("days"),
            case((on_time, 1), else_=0).label("on_time"),
            case((on_time_statutory, 1), else_=0).label("on_time_statutory"),
            case((sent_back, 1), else_=0).label("sent_back"),
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
            *in_range(Allocation.returned_on, first_month, last_month, as_of),
            *filters,
        )
        .subquery("returned_work")
    )
    key_columns = [each.c[f"key_{i}"] for i in range(len(keys))]
    grouping = (each.c.month, *key_columns, each.c.days)
    query = select(
        *grouping,
        func.count(),
        func.sum(each.c.on_time),
        func.sum(each.c.on_time_statutory),
        func.sum(each.c.sent_back),
    ).group_by(*grouping)
    found: dict[Key, dict[int, Returned]] = {}
    for (
        month,
        *values,
        day_count,
        count,
        in_turnaround,
        by_due,
        reworked,
    ) in db.session.execute(query):
        key = (month_of_key(month), *values)
        found.setdefault(key, {})[int(day_count)] = Returned(
            int(count), int(in_turnaround), int(by_due), int(reworked)
        )
    return found


def events(
    filters: Sequence[ColumnElement[bool]],
    first_month: date,
    last_month: date,
    as_of: date,
    keys: Sequence[Any] = (),
) -> dict[Key, int]:
    """{(kind, month, *keys): count} of acceptances, declines and withdrawals, limited by
    `filters` and split by the `keys` columns, in one query."""
    parts: list[Any] = []
    for kind, column in (
        ("accepted", Allocation.accepted_on),
        ("declined", Allocation.declined_on),
        ("withdrawn", Allocation.withdrawn_on),
    ):
        parts.append(
            select(
                literal_column(f"'{kind}'").label("kind"),
                column.label("day"),
                *(key.label(f"key_{i}") for i, key in enumerate(keys)),
            ).where(
                column.is_not(None),
                *in_range(column, first_month, last_month, as_of),
                *filters,
            )
        )
    found = union_all(*parts).subquery("event")
    month = month_key(found.c.day, first_month, last_month)
    key_columns = [found.c[f"key_{i}"] for i in range(len(keys))]
    query = select(found.c.kind, month, *key_columns, func.count()).group_by(
        found.c.kind, month, *key_columns
    )
    return {
        (kind, month_of_key(key), *values): int(count)
        for kind, key, *values, count in db.session.execute(query)
    }


def flow_row(
    month: date | None,
    by_days: Mapping[int, Returned],
    accepted: int,
    declined: int,
    withdrawn: int,
) -> FlowRow:
    """One row of the flow table from its returns by days and its counts of events."""
    return FlowRow(
        month=month,
        returned=sum(r.count for r in by_days.values()),
        on_time=sum(r.on_time for r in by_days.values()),
        on_time_statutory=sum(r.on_time_statutory for r in by_days.values()),
        sent_back=sum(r.sent_back for r in by_days.values()),
        median_days=nearest_rank({d: r.count for d, r in by_days.items()}, MEDIAN),
        p90_days=nearest_rank({d: r.count for d, r in by_days.items()}, P90),
        mean_days=mean({d: r.count for d, r in by_days.items()}),
        accepted=accepted,
        declined=declined,
        withdrawn=withdrawn,
    )


def merge_returns(histograms: Iterable[Mapping[int, Returned]]) -> dict[int, Returned]:
    """Returns by days added up over several months (or providers)."""
    merged: dict[int, Returned] = {}
    for by_days in histograms:
        for day_count, r in by_days.items():
            m = merged.get(day_count, Returned(0, 0, 0, 0))
            merged[day_count] = Returned(
                m.count + r.count,
                m.on_time + r.on_time,
                m.on_time_statutory + r.on_time_statutory,
                m.sent_back + r.sent_back,
            )
    return merged


def flow(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> tuple[list[FlowRow], FlowRow]:
    """Returns, acceptances, declines and withdrawals per month, and over the range."""
    months = check_range(first_month, last_month)
    filters = scope.allocation_filters()
    returns = {
        key[0]: by_days
        for key, by_days in returns_by_days(filters, first_month, last_month, as_of).items()
    }
    counts = flow_events(scope, first_month, last_month, as_of)
    rows = [
        flow_row(
            month,
            returns.get(month, {}),
            counts.get(("accepted", month), 0),
            counts.get(("declined", month), 0),
            counts.get(("withdrawn", month), 0),
        )
        for month in months
    ]
    total = flow_row(
        None,
        merge_returns(returns.values()),
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
    - On time: met when returns within the contract's turnaround (ON_TIME_CONTRACT) / returns
      in the month >= the on-time target.
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


# How far past the as-of date the burn-down draws a forecast that does not clear sooner.
FORECAST_MONTHS = 24


def burn_down_days(first_month: date, last_month: date, as_of: date) -> list[date]:
    """The days the burn-down counts outstanding work on: each month end of the range up to
    the as-of date, and the as-of date itself when it falls in the range."""
    months = check_range(first_month, last_month)
    actual_days = [month_end(m) for m in months if month_end(m) <= as_of]
    if months[0] <= as_of <= month_end(months[-1]) and as_of not in actual_days:
        actual_days.append(as_of)
    return actual_days


def backlog(
    scope: Scope, first_month: date, last_month: date, as_of: date, projection: Forecast
) -> list[BacklogPoint]:
    """The burn-down: outstanding allocated work at each month end up to the as-of date
    (and on the as-of date itself), then the forecast backlog (outstanding plus unallocated)
    at each later month end and on the day it clears."""
    months = check_range(first_month, last_month)
    range_end = month_end(months[-1])
    days = burn_down_days(first_month, last_month, as_of)
    actuals = dict(zip(days, outstanding_on_days(scope, days), strict=True))
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
    return _build(scope, first_month, last_month, as_of, None)[0]


def build_marked_pack(
    scope: Scope, first_month: date, last_month: date, as_of: date, marker: Callable[[], str]
) -> tuple[Pack, str]:
    """build_pack's pack and marker()'s value (pack.cache.data_marker), read in the same
    snapshot of the data as the pack when its parts are read in lanes, and before any of them
    when they are read one after the other: never of newer data than the pack."""
    pack, found = _build(scope, first_month, last_month, as_of, marker)
    assert found is not None
    return pack, found


def _build(
    scope: Scope,
    first_month: date,
    last_month: date,
    as_of: date,
    marker: Callable[[], str] | None,
) -> tuple[Pack, str | None]:
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    months = check_range(first_month, last_month)
    scope_here = scope.portable()

    def forecast_and_money() -> dict[str, Any]:
        # First in the first lane (or first of all, one after the other): see build_marked_pack.
        found = marker() if marker is not None else None
        in_lane = scope_here()
        projection = forecast(in_lane, as_of)
        return {
            "forecast": projection,
            "backlog": backlog(in_lane, first_month, last_month, as_of, projection),
            "spend": spend_by_month(in_lane, first_month, last_month, as_of),
            "sendback_reasons": sendback_reasons(in_lane, first_month, last_month, as_of),
            "marker": found,
        }

    def work_and_quality() -> dict[str, Any]:
        in_lane = scope_here()
        by_work_type = counted_cohort(
            first_month, last_month, as_of, **_scope_args(in_lane), by_work_type=True
        )
        cohort_rows, cohort_total = cohort(months, by_work_type)
        flow_rows, flow_total = flow(in_lane, first_month, last_month, as_of)
        return {
            "cohort": cohort_rows,
            "cohort_total": cohort_total,
            "cohort_by_work_type": cohort_by_work_type(
                in_lane, first_month, last_month, as_of, by_work_type
            ),
            "flow": flow_rows,
            "flow_total": flow_total,
            "rubric": rubric_summary(in_lane, first_month, last_month, as_of),
            "stages": stages(in_lane, first_month, last_month, as_of),
        }

    # Two lanes of about equal length (reports.together), the same rows in each. At 100,000
    # cases, measured one part at a time (PostgreSQL without parallel plans, as in a lane;
    # then SQLite): the marker of a pack not yet kept 2 and 1 ms, the forecast 108 and 205,
    # spend 13 and 14, send-back reasons 16 and 21 and the burn-down about 8 in the first
    # (about 147 and 250); the flow 72 and 216, stages 49 and 82 (with a row fetched per
    # plan), cohort 10 and 11 and rubric 10 and 21 in the second (about 141 and 330).
    money, work = together(forecast_and_money, work_and_quality)
    found = money.pop("marker")
    pack = Pack(
        scope=scope,
        first_month=first_month,
        last_month=last_month,
        as_of=as_of,
        targets=(
            targets(scope.contract, work["cohort"], work["flow"], as_of)
            if scope.contract is not None
            else None
        ),
        # The forecast sets the same value (scope_value) against the cost as funding agreed.
        value=money["forecast"].cost.row(FUNDING).total,
        **money,
        **work,
    )
    return pack, found
