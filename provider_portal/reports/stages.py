"""Where the time goes: for the final plans issued each month, how long each stage took.

A board asking "is the lateness ours or the agency's?" reads it from one table: the median
and 90th percentile days of each stage, and the stage whose median is longest. One SQL
query (a window function picks each case's plan writing allocation, the same on SQLite and
PostgreSQL) gives each plan's stage days, counted into histograms here; the percentiles are
the pack's nearest-rank ones (reports.sql.nearest_rank) over those histograms.

Which allocation counts (PLAN_WRITING_ALLOCATION says so on the page): of the case's work that
is not advice (a draft plan), neither withdrawn nor declined, the piece returned and accepted
on or before the day the final plan was issued; of several, the one accepted last (the
highest id when two were accepted the same day). A plan issued with no such work is not
counted, since it has no provider stage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Case, WorkType
from provider_portal.reports.exports import Export, month_range_csv
from provider_portal.reports.scope import Scope
from provider_portal.reports.sql import (
    MEDIAN,
    P90,
    DaysBetween,
    month_key,
    month_of_key,
    nearest_rank,
)
from provider_portal.timescales import add_months, months_between

# (key, name, who holds the work then)
STAGES: list[tuple[str, str, str]] = [
    ("request_to_allocation", "Request to allocation", "council"),
    ("allocation_to_return", "Allocation to return", "provider"),
    ("return_to_acceptance", "Return to acceptance", "council review"),
    ("acceptance_to_final_plan", "Acceptance to final plan", "council"),
]

PLAN_WRITING_ALLOCATION = (
    "Each plan is counted once, by the month its final plan was issued, on or before the "
    "as-of date. Its plan writing allocation is the piece of work on the case that is not "
    "advice (a draft plan), was neither withdrawn nor declined, and was returned and accepted "
    "on or before the day the final plan was issued; where there were several, the one "
    "accepted last. Plans issued with no such work are not counted. Request to allocation "
    "runs from the day the request for an assessment was received to the day that work was "
    "allocated; allocation to return to its first return; return to acceptance to the day "
    "the council accepted it; acceptance to final plan to the day the final plan was issued. "
    "The longest stage is the one with the largest median."
)

CSV_HEADER = (
    "month",
    "plans",
    *(f"{key}_{measure}_days" for key, _name, _who in STAGES for measure in ("median", "p90")),
    "longest_stage",
)


@dataclass(frozen=True)
class StageDays:
    median: int | None
    p90: int | None


@dataclass(frozen=True)
class StageRow:
    month: date | None  # None for the whole range
    plans: int
    stages: list[StageDays]  # in the order of STAGES

    @property
    def longest(self) -> str | None:
        """The name of the stage with the largest median (the first of equals)."""
        best: tuple[int, str] | None = None
        for (_key, name, who), days in zip(STAGES, self.stages, strict=True):
            if days.median is not None and (best is None or days.median > best[0]):
                best = (days.median, f"{name} ({who})")
        return best[1] if best else None

    @property
    def label(self) -> str:
        return "Total" if self.month is None else self.month.strftime("%Y-%m")

    @property
    def days(self) -> list[int | None]:
        """Each stage's median and 90th percentile, in the order of STAGES."""
        return [value for days in self.stages for value in (days.median, days.p90)]

    def as_csv(self) -> tuple[object, ...]:
        values = ["" if value is None else value for value in self.days]
        return (self.label, self.plans, *values, self.longest or "")


@dataclass(frozen=True)
class Stages:
    first_month: date
    last_month: date
    as_of: date
    rows: list[StageRow]
    total: StageRow


def _scope_filters(chosen: Any, scope: Scope) -> list[ColumnElement[bool]]:
    if scope.contract is not None:
        return [chosen.c.contract_id == scope.contract.id]
    if scope.provider is not None:
        return [chosen.c.provider_id == scope.provider.id]
    return []


def stage_days(scope: Scope, first_month: date, last_month: date, as_of: date) -> Select[Any]:
    """(month of issue key, the days of each stage) for each plan counted: one row a plan.

    The cases are read from ix_case_final_plan alone (their issue and request dates and ids).
    """
    issued = Case.final_plan_issued_on
    plan_types = list(db.session.scalars(select(WorkType.id).where(WorkType.is_advice.is_(False))))
    chosen = (
        select(
            issued.label("issued_on"),
            Allocation.provider_id.label("provider_id"),
            Allocation.contract_id.label("contract_id"),
            DaysBetween(Case.request_received_on, Allocation.allocated_on).label("stage_0"),
            DaysBetween(Allocation.allocated_on, Allocation.returned_on).label("stage_1"),
            DaysBetween(Allocation.returned_on, Allocation.accepted_on).label("stage_2"),
            DaysBetween(Allocation.accepted_on, issued).label("stage_3"),
            func.row_number()
            .over(
                partition_by=Case.id,
                order_by=(Allocation.accepted_on.desc(), Allocation.id.desc()),
            )
            .label("pick"),
        )
        .join(Allocation, Allocation.case_id == Case.id)
        .where(
            issued >= first_month,
            issued < add_months(last_month, 1),
            issued <= as_of,
            # The work types as a list read first (a handful), so the work is cut to plan
            # writing as it is read: joined to a join of its case and its type, PostgreSQL
            # joined all the work (46,855 rows at 100,000 cases) and cut it afterwards.
            Allocation.work_type_id.in_(plan_types),
            Allocation.status.not_in((AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)),
            Allocation.returned_on.is_not(None),
            Allocation.accepted_on.is_not(None),
            Allocation.accepted_on <= issued,
        )
        .subquery("chosen")
    )
    month = month_key(chosen.c.issued_on, first_month, last_month)
    return select(month, *(chosen.c[f"stage_{i}"] for i in range(len(STAGES)))).where(
        chosen.c.pick == 1, *_scope_filters(chosen, scope)
    )


def _histograms(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> dict[tuple[date, int], dict[int, int]]:
    """{(month of issue, stage index): {days: plans}} from one query."""
    picked = stage_days(scope, first_month, last_month, as_of)
    # Counted here rather than grouped in SQL: one row per plan, read once, where a GROUP BY
    # per stage read them four times and sorted four times as many rows.
    rows = db.session.execute(picked).all()
    months = [row[0] for row in rows]
    found: dict[tuple[date, int], dict[int, int]] = {}
    for index in range(len(STAGES)):
        counted = Counter(zip(months, (row[index + 1] for row in rows), strict=True))
        for (key, days), plans in counted.items():
            found.setdefault((month_of_key(key), index), {})[days] = plans
    return found


def _row(month: date | None, histograms: Sequence[Mapping[int, int]]) -> StageRow:
    return StageRow(
        month,
        sum(histograms[0].values()),
        [StageDays(nearest_rank(h, MEDIAN), nearest_rank(h, P90)) for h in histograms],
    )


def stages(scope: Scope, first_month: date, last_month: date, as_of: date) -> Stages:
    """Each month's plans issued with the median and 90th percentile days of each stage, and
    the same over the whole range."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    months = months_between(first_month, last_month)  # the caller checked the range
    found = _histograms(scope, first_month, last_month, as_of)
    rows = [
        _row(month, [found.get((month, i), {}) for i in range(len(STAGES))]) for month in months
    ]
    merged: list[dict[int, int]] = [{} for _ in STAGES]
    for (_month, index), histogram in found.items():
        for days, count in histogram.items():
            merged[index][days] = merged[index].get(days, 0) + count
    return Stages(first_month, last_month, as_of, rows, _row(None, merged))


def csv_rows(report: Stages) -> list[tuple[object, ...]]:
    return [row.as_csv() for row in report.rows] + [report.total.as_csv()]


def stages_export(report: Stages) -> Export:
    """The table as a CSV download."""
    return month_range_csv(
        "stages", report.first_month, report.last_month, CSV_HEADER, csv_rows(report)
    )
