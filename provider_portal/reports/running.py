"""Work open on each of a list of days, from counts of the days it came and went.

Work is open on a day d when it was allocated by d and had not yet ended by d (ended: the
earliest of some of its dates, such as returned, withdrawn or declined: earliest()). Asking
that of every allocation for each of n days is n conditions per row; instead the work is
counted (or priced) by the day it was allocated and by the day it stopped being open (the
work counted by day, reports.day_counts), and the running totals are added up here: open on
d = allocated by d less ended by d.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case


def earliest(*columns: Any) -> ColumnElement[date]:
    """The earliest of nullable date columns (NULL when all are), in SQL both databases read."""
    first, *rest = columns
    if not rest:
        return first  # type: ignore[no-any-return]
    later = earliest(*rest)
    return case(
        (first.is_(None), later),
        (later.is_(None), first),
        (first <= later, first),
        else_=later,
    )


def running_totals(changes: Mapping[date, Any], days: Sequence[date], zero: Any) -> list[Any]:
    """For each day, the sum of the changes on or before it (zero when none)."""
    ordered = sorted(changes.items())
    values: dict[date, Any] = {}
    running: Any = zero
    position = 0
    for day in sorted(days):
        while position < len(ordered) and ordered[position][0] <= day:
            running += ordered[position][1]
            position += 1
        values[day] = running
    return [values[day] for day in days]
