"""The monthly cohort table: of the work allocated each month, how much had come back by a date.

One function computes the rows with a single SQL aggregate over the cohort's counts kept with
the work (counted_cohort, from CohortDay); the page, the CSV download, `flask report monthly`
and the pack all render those rows. cohort_counts_by reads the same figures from the
allocations themselves, split by any columns (the league table's practitioners). Every count
is as the records stood on the as-of date: work allocated after it is not yet counted, and
work withdrawn or declined after it still counts as allocated, so a published table reads the
same whatever happens later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    CohortDay,
    Contract,
    Provider,
    WorkType,
)
from provider_portal.models.work import CAME_BACK, CAME_BACK_LEFT, JOINED, LEFT
from provider_portal.reports.exports import Export, month_range_csv
from provider_portal.reports.sql import month_key, month_of_key
from provider_portal.timescales import add_months, months_between

CSV_HEADER = ("month", "allocated", "returned", "outstanding")


@dataclass(frozen=True)
class MonthlyRow:
    month: date | None  # None for the total row
    allocated: int
    returned: int

    @property
    def outstanding(self) -> int:
        return self.allocated - self.returned

    @property
    def label(self) -> str:
        return "Total" if self.month is None else self.month.strftime("%Y-%m")

    def as_csv(self) -> tuple[str, int, int, int]:
        return (self.label, self.allocated, self.returned, self.outstanding)


@dataclass(frozen=True)
class MonthlyReport:
    first_month: date
    last_month: date
    as_of: date
    provider: Provider | None
    work_type: WorkType | None
    rows: list[MonthlyRow]
    total: MonthlyRow


# The years a report's months and dates may fall in. Anything else is a slip of the keyboard,
# and a report works a month or more either side of its range: 9999-12 had no month after it.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def parse_month(value: str, what: str = "month") -> date:
    """'2024-08' to the first day of that month, from 1900-01 to 2100-12."""
    try:
        year_text, month_text = value.strip().split("-")
        digits = year_text + month_text
        if (
            len(year_text) != 4
            or len(month_text) != 2
            or not (digits.isascii() and digits.isdigit())
        ):
            raise ValueError
        month = date(int(year_text), int(month_text), 1)
    except ValueError as error:
        raise ReportError(f"Enter the {what} as a year and month, like 2024-08") from error
    if not FIRST_YEAR <= month.year <= LAST_YEAR:
        raise ReportError(f"The {what} must be between {FIRST_YEAR}-01 and {LAST_YEAR}-12")
    return month


def allocated_as_of(as_of: date) -> ColumnElement[bool]:
    """Work that, on as_of, had been allocated and not withdrawn or declined.

    Work withdrawn or declined after as_of still counts. Work whose status says withdrawn or
    declined with no date for it (older records) is left out, as it always was.
    """
    return and_(
        Allocation.allocated_on <= as_of,
        or_(
            Allocation.status.not_in((AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)),
            and_(
                Allocation.status == AllocationStatus.WITHDRAWN,
                Allocation.withdrawn_on > as_of,
            ),
            and_(
                Allocation.status == AllocationStatus.DECLINED,
                Allocation.declined_on > as_of,
            ),
        ),
    )


def _cohort_query(
    first_month: date,
    last_month: date,
    as_of: date,
    provider: Provider | None,
    work_type: WorkType | None,
    contract: Contract | None,
    keys: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]] = (),
) -> Select[Any]:
    """(month_key, *keys, allocated, returned by as_of) for the work allocated in the range."""
    month = month_key(Allocation.allocated_on, first_month, last_month).label("month")
    returned = (Allocation.returned_on.is_not(None)) & (Allocation.returned_on <= as_of)
    query = (
        select(month, *keys, func.count(Allocation.id), func.sum(case((returned, 1), else_=0)))
        .where(
            Allocation.allocated_on >= first_month,
            Allocation.allocated_on < add_months(last_month, 1),
            allocated_as_of(as_of),
        )
        .group_by(month, *keys)
    )
    if provider is not None:
        query = query.where(Allocation.provider_id == provider.id)
    if work_type is not None:
        query = query.where(Allocation.work_type_id == work_type.id)
    if contract is not None:
        query = query.where(Allocation.contract_id == contract.id)
    return query


def _check_range(first_month: date, last_month: date) -> list[date]:
    if last_month < first_month:
        raise ReportError("The end month must be the same as or after the start month")
    months = months_between(first_month, last_month)
    if len(months) > 120:
        raise ReportError("Choose a range of 10 years or less")
    return months


def monthly_report(
    first_month: date,
    last_month: date,
    as_of: date,
    provider: Provider | None = None,
    work_type: WorkType | None = None,
    contract: Contract | None = None,
) -> MonthlyReport:
    """Allocated by as_of (and not withdrawn or declined by then) per month, and how many of
    those had come back by as_of."""
    months = _check_range(first_month, last_month)
    counts = counted_cohort(
        first_month, last_month, as_of, provider=provider, contract=contract, work_type=work_type
    )
    rows = [counts.get((m, None), MonthlyRow(m, 0, 0)) for m in months]
    total = MonthlyRow(None, sum(r.allocated for r in rows), sum(r.returned for r in rows))
    return MonthlyReport(first_month, last_month, as_of, provider, work_type, rows, total)


def counted_cohort(
    first_month: date,
    last_month: date,
    as_of: date,
    *,
    work_type: WorkType | None = None,
    provider: Provider | None = None,
    contract: Contract | None = None,
    by_work_type: bool = False,
) -> dict[tuple[date, Any], MonthlyRow]:
    """The cohort counts ({(month, work type id, or None unless by_work_type): row}, only where
    work was allocated) added up from the cohort's counts by day (CohortDay), kept with the
    work: the same figures as cohort_counts_by reads from every allocation in the months
    (tests/reports/test_day_counts.py), from a few thousand counts. One query."""
    _check_range(first_month, last_month)
    kinds = CohortDay.kind
    allocated = func.sum(
        case((kinds == JOINED, CohortDay.count), (kinds == LEFT, -CohortDay.count), else_=0)
    )
    returned = func.sum(
        case(
            (kinds == CAME_BACK, CohortDay.count),
            (kinds == CAME_BACK_LEFT, -CohortDay.count),
            else_=0,
        )
    )
    keys: list[Any] = [CohortDay.allocated_month]
    if by_work_type:
        keys.append(CohortDay.work_type_id)
    query = (
        select(*keys, allocated, returned)
        .where(
            CohortDay.allocated_month >= first_month.year * 100 + first_month.month,
            CohortDay.allocated_month <= last_month.year * 100 + last_month.month,
            CohortDay.day <= as_of,
        )
        .group_by(*keys)
    )
    for column, chosen in (
        (CohortDay.provider_id, provider),
        (CohortDay.contract_id, contract),
        (CohortDay.work_type_id, work_type),
    ):
        if chosen is not None:
            query = query.where(column == chosen.id)
    found = {}
    for key, *work_type_id, allocated_count, returned_count in db.session.execute(query):
        if allocated_count:
            month = month_of_key(key)
            found[(month, work_type_id[0] if work_type_id else None)] = MonthlyRow(
                month, int(allocated_count), int(returned_count)
            )
    return found


def cohort_counts_by(
    keys: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    first_month: date,
    last_month: date,
    as_of: date,
    provider: Provider | None = None,
    contract: Contract | None = None,
    work_type: WorkType | None = None,
) -> dict[tuple[Any, ...], MonthlyRow]:
    """The cohort counts split by any columns (a provider and its practitioner, say), in one
    query: {(month, *values): row}, only where work was allocated."""
    _check_range(first_month, last_month)
    query = _cohort_query(first_month, last_month, as_of, provider, work_type, contract, keys)
    found = {}
    for key, *values, allocated, returned in db.session.execute(query):
        month = month_of_key(key)
        found[(month, *values)] = MonthlyRow(month, int(allocated), int(returned or 0))
    return found


def csv_rows(report: MonthlyReport) -> list[tuple[str, int, int, int]]:
    """The rows as the CSV carries them, total last."""
    return [row.as_csv() for row in report.rows] + [report.total.as_csv()]


def monthly_export(report: MonthlyReport) -> Export:
    """The table as a CSV download."""
    return month_range_csv(
        "monthly", report.first_month, report.last_month, CSV_HEADER, csv_rows(report)
    )


def work_types() -> list[WorkType]:
    """Every type of work by name, for the report's list."""
    return list(db.session.scalars(select(WorkType).order_by(WorkType.name)))


def work_type_by_code(code: str) -> WorkType | None:
    """The type of work with this code (ep_advice, plan_writing…), if there is one."""
    return db.session.scalar(select(WorkType).where(WorkType.code == code))
