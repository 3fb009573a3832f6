"""Work open on each of a list of days, counted or priced, from one grouped pass.

Work is open on a day d when it was allocated by d and had not yet ended by d (ended: the
earliest of some of its dates, such as returned, withdrawn or declined). Asking that of every
allocation for each of n days is n conditions per row; instead the query counts (or prices)
the work by the day it was allocated and by the day it stopped being open, and the running
totals are added up here: open on d = allocated by d less allocated and ended by d.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, select, union_all

from provider_portal.extensions import db
from provider_portal.models import Allocation


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


def open_on_days(
    ended: ColumnElement[date],
    days: Sequence[date],
    filters: Sequence[ColumnElement[bool]] = (),
    amount: Any = None,
) -> list[Any]:
    """For each day, the allocations meeting the filters that were open at its end: how many,
    or with `amount` (a column), the sum of it (a Decimal, 0 when none)."""
    if not days:
        return []
    last = max(days)
    # Allocated and ended: gone on the later of the two days (work that ended before it was
    # allocated stops counting on the day of allocation).
    gone = case((ended < Allocation.allocated_on, Allocation.allocated_on), else_=ended)
    carried = [] if amount is None else [amount.label("amount")]
    work = (
        select(Allocation.allocated_on.label("came"), gone.label("went"), *carried)
        .where(Allocation.allocated_on <= last, *filters)
        .subquery("work")
    )
    total = func.count() if amount is None else func.coalesce(func.sum(work.c.amount), 0)
    came = select(literal_column("1").label("kind"), work.c.came.label("day"), total)
    went = select(literal_column("-1").label("kind"), work.c.went.label("day"), total)
    query = union_all(
        came.group_by(work.c.came),
        went.where(work.c.went <= last).group_by(work.c.went),
    )
    changes: dict[date, Any] = {}
    for kind, day, value in db.session.execute(query):
        change = int(kind) * (int(value) if amount is None else Decimal(value))
        changes[day] = changes.get(day, 0) + change
    return running_totals(changes, days, 0 if amount is None else Decimal(0))


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
