"""SQL building blocks the reports share: day arithmetic each database understands, months
and financial years of dates found by comparison, and percentiles and percentages worked out
exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    case,
    cast,
    extract,
    literal,
    null,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from provider_portal.contracts.pricing import financial_year_of
from provider_portal.timescales import add_months, financial_year, months_between


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


class Unindexed(ColumnElement[Any]):
    """A column that SQLite is not to look up by its index: `+column` there (SQLite's own way
    of saying so), the column itself elsewhere. For a condition whose index would find most
    of the table, beside one whose index finds a few rows."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        self.type = self.column.type


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


@compiles(Unindexed)
def _unindexed(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


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


def mean(histogram: Mapping[int, int]) -> Decimal | None:
    """The mean of the values a {value: count} histogram holds, to one decimal place (halves
    rounded up); None when there are none."""
    n = sum(histogram.values())
    if n == 0:
        return None
    total = sum(value * count for value, count in histogram.items())
    return (Decimal(total) / Decimal(n)).quantize(_TENTH, rounding=ROUND_HALF_UP)


MEDIAN = Decimal("0.5")


P90 = Decimal("0.9")


_TENTH = Decimal("0.1")


class DaysAfter(ColumnElement[date]):
    """A date column plus a fixed number of calendar days, as SQL each database understands."""

    inherit_cache = True
    type = Date()
    # The day count changes the SQL text, so it must be part of the statement's cache key.
    _traverse_internals = [
        ("start", InternalTraversal.dp_clauseelement),
        ("days", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, start: Any, days: int) -> None:
        self.start = coercions.expect(roles.ExpressionElementRole, start)
        self.days = int(days)


@compiles(DaysAfter, "sqlite")
def _days_after_sqlite(element: DaysAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores dates as ISO text; date() does the calendar arithmetic and returns ISO
    # text again, which compares correctly with the other ISO date column.
    return f"date({compiler.process(element.start, **kw)}, '{element.days:+d} days')"


@compiles(DaysAfter, "postgresql")
@compiles(DaysAfter)
def _days_after_postgresql(element: DaysAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # date + integer is a date in PostgreSQL. The day count is an int we own, so it goes in
    # the SQL text rather than a parameter (psycopg would send it as smallint/bigint).
    return f"({compiler.process(element.start, **kw)} + {element.days})"


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to one decimal place, halves rounded up; None for 0 / 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)


# --- Months and financial years of a date column ------------------------------------------------
#
# EXTRACT is costly per row on both databases (PostgreSQL's returns numeric; SQLite's is
# strftime and a cast), and a report groups up to every allocation by it. Within the range a
# report asks for, a balanced CASE of plain date comparisons against the period starts finds
# the same period in a handful of comparisons: at 100,000 rows about a third of EXTRACT's
# cost on PostgreSQL and on SQLite. Dates outside the range (rare, since the reports filter to
# it) still get the exact answer from EXTRACT, and NULL stays NULL.


def _by_comparison(
    column: Any, starts: Sequence[date], values: Sequence[int], exact: ColumnElement[int]
) -> ColumnElement[int]:
    """values[i] for starts[i] <= column < starts[i + 1]; `exact` before starts[0] or from
    starts[-1] on (starts has one more entry than values); NULL for NULL."""

    def within(lo: int, hi: int) -> ColumnElement[int]:
        # Here starts[lo] <= column < starts[hi].
        if hi - lo == 1:
            return literal(values[lo], Integer)
        mid = (lo + hi) // 2
        return case((column < starts[mid], within(lo, mid)), else_=within(mid, hi))

    return case(
        (column.is_(None), null()),
        (column < starts[0], exact),
        (column >= starts[-1], exact),
        else_=within(0, len(values)),
    )


def month_key(column: Any, first_month: date, last_month: date) -> ColumnElement[int]:
    """The year and month of a date column as one integer, year × 100 + month (202503 for
    March 2025), for grouping by month; read back with month_of_key. Exact for any date,
    quickest for those from first_month to the end of last_month."""
    months = months_between(first_month, last_month)
    exact = cast(extract("year", column) * 100 + extract("month", column), Integer)
    return _by_comparison(
        column,
        [*months, add_months(months[-1], 1)],
        [m.year * 100 + m.month for m in months],
        exact,
    )


def month_of_key(key: int) -> date:
    """The first day of the month a month_key names."""
    return date(int(key) // 100, int(key) % 100, 1)


def financial_year_key(column: Any, first_year: int, last_year: int) -> ColumnElement[int]:
    """The UK financial year (1 April to 31 March) of a date column, as the year it starts.
    Exact for any date, quickest for those in the financial years first_year to last_year."""
    years = list(range(first_year, last_year + 1))
    exact = cast(financial_year_of(column), Integer)
    return _by_comparison(column, [date(y, 4, 1) for y in [*years, last_year + 1]], years, exact)


# Financial years found by comparison back from the as-of date's; earlier ones by EXTRACT.
QUICK_FINANCIAL_YEARS = 6


def financial_year_to(column: Any, as_of: date) -> ColumnElement[int]:
    """financial_year_key for dates up to as_of: quickest in its financial year and the
    QUICK_FINANCIAL_YEARS - 1 before it, exact for every date."""
    last = financial_year(as_of)
    return financial_year_key(column, last - QUICK_FINANCIAL_YEARS + 1, last)
