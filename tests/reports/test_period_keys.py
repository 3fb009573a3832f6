"""Months and financial years found by comparison (reports.sql) against the calendar, in the
database itself: inside the range they are quick for, at its edges, outside it (where EXTRACT
answers), on a leap day and for NULL."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import Date, literal, select, union_all

from provider_portal.extensions import db
from provider_portal.reports.sql import (
    QUICK_FINANCIAL_YEARS,
    financial_year_key,
    financial_year_to,
    month_key,
    month_of_key,
)
from provider_portal.timescales import add_months, financial_year

pytestmark = pytest.mark.usefixtures("app")


def _evaluate(days: list[date | None], expression_for) -> list[int | None]:  # type: ignore[no-untyped-def]
    """The expression for each day, worked out by the database over a column of them (SQLite
    has no named VALUES columns, so a UNION ALL of one-row selects)."""
    rows = union_all(
        *(select(literal(n).label("n"), literal(d, Date).label("day")) for n, d in enumerate(days))
    ).subquery("days")
    query = select(rows.c.n, expression_for(rows.c.day)).order_by(rows.c.n)
    return [None if value is None else int(value) for _n, value in db.session.execute(query)]


def _edges(first: date, last: date) -> list[date | None]:
    """Each month's first and last day from the month before the range to the one after."""
    days: list[date | None] = [None, date(2024, 2, 29), date(2023, 3, 31), date(2023, 4, 1)]
    month = add_months(first, -1)
    while month <= add_months(last, 1):
        days += [month, add_months(month, 1) - timedelta(days=1)]
        month = add_months(month, 1)
    return days


@pytest.mark.parametrize("seed", range(4))
def test_month_key_is_the_calendar_month_inside_and_outside_the_range(seed: int) -> None:
    rng = random.Random(seed)
    first = date(rng.randrange(2019, 2028), rng.randrange(1, 13), 1)
    last = add_months(first, rng.randrange(0, 36))
    days = _edges(first, last)
    days += [date(2018, 1, 1) + timedelta(days=rng.randrange(365 * 14)) for _ in range(150)]

    found = _evaluate(days, lambda day: month_key(day, first, last))

    expected = [None if d is None else d.year * 100 + d.month for d in days]
    assert found == expected
    for key, day in zip(found, days, strict=True):
        if day is not None:
            assert key is not None and month_of_key(key) == day.replace(day=1)


@pytest.mark.parametrize("seed", range(4))
def test_financial_year_key_is_the_year_from_1_april(seed: int) -> None:
    rng = random.Random(seed)
    first_year = rng.randrange(2018, 2028)
    last_year = first_year + rng.randrange(0, 8)
    days = _edges(date(first_year, 4, 1), date(last_year + 1, 3, 1))
    days += [date(2012, 1, 1) + timedelta(days=rng.randrange(365 * 25)) for _ in range(150)]

    found = _evaluate(days, lambda day: financial_year_key(day, first_year, last_year))

    assert found == [None if d is None else financial_year(d) for d in days]


def test_financial_year_to_covers_the_years_before_the_as_of_date() -> None:
    as_of = date(2026, 3, 31)  # the last day of financial year 2025
    days: list[date | None] = [as_of, date(2026, 4, 1), date(2020, 4, 1), date(2020, 3, 31)]
    days += [date(2025 - QUICK_FINANCIAL_YEARS - 3, 6, 1), None]

    found = _evaluate(days, lambda day: financial_year_to(day, as_of))

    assert found == [None if d is None else financial_year(d) for d in days]
