"""The SQL building blocks every money figure is made of: the price that applies to each
allocation, and whether it counts as committed or actual on a date.

- Committed: work allocated on or before the date and, on that date, not yet accepted,
  withdrawn or declined; at its price.
- Actual: work accepted on or before the date, at its price, dated by acceptance.
- The price of an allocation is its contract's unit price for its work type that applied on
  the day it was allocated (the latest price row whose date is on or before that day). Work
  with no contract, or allocated before its contract had a price for the work, is counted
  but not costed: the reports say how many such pieces there are.

That price is kept on the allocation (Allocation.unit_price, the PRICE below): allocate()
sets it, and reprice() brings it back in line when a price row is added, so the reports sum
one column instead of joining every allocation to the price rows (a range join that SQLite
runs slowly at 100,000 allocations). price_in_force() is the one definition of "the price on
a day": allocate() (through price_on), reprice() and the allocation pages all use it.

Dates are compared as columns, so these run in one SQL aggregate on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    extract,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from provider_portal.extensions import db
from provider_portal.models import Allocation, ContractPrice

# The price each piece of work was bought at (NULL: not costed).
PRICE = Allocation.unit_price


def price_periods() -> Subquery:
    """Each price row with the day its successor starts (NULL for the price in force)."""
    successor = func.lead(ContractPrice.effective_from).over(
        partition_by=(ContractPrice.contract_id, ContractPrice.work_type_id),
        order_by=ContractPrice.effective_from,
    )
    return select(
        ContractPrice.contract_id,
        ContractPrice.work_type_id,
        ContractPrice.effective_from.label("starts"),
        successor.label("ends"),
        ContractPrice.unit_price,
    ).subquery("price_period")


def period_covers(
    periods: Subquery, on: ColumnElement[date] | InstrumentedAttribute[date] | date
) -> ColumnElement[bool]:
    """Condition on price_periods(): the period is the one in force on a day."""
    return and_(periods.c.starts <= on, or_(periods.c.ends.is_(None), periods.c.ends > on))


def price_in_force(contract_id: Any, work_type_id: Any, on: Any) -> Select[Decimal]:
    """The unit price of a contract's work type on a day: the latest price row dated on or
    before it. Each argument is a value, or a column to correlate the subquery with."""
    return (
        select(ContractPrice.unit_price)
        .where(
            ContractPrice.contract_id == contract_id,
            ContractPrice.work_type_id == work_type_id,
            ContractPrice.effective_from <= on,
        )
        .order_by(ContractPrice.effective_from.desc())
        .limit(1)
    )


def _not_by(column: InstrumentedAttribute[date | None], as_of: date) -> ColumnElement[bool]:
    return or_(column.is_(None), column > as_of)


def committed_on(as_of: date) -> ColumnElement[bool]:
    """Allocated by as_of and, on as_of, still neither accepted, withdrawn nor declined."""
    return and_(
        Allocation.allocated_on <= as_of,
        _not_by(Allocation.accepted_on, as_of),
        _not_by(Allocation.withdrawn_on, as_of),
        _not_by(Allocation.declined_on, as_of),
    )


def actual_on(as_of: date) -> ColumnElement[bool]:
    """Accepted on or before as_of."""
    return and_(Allocation.accepted_on.is_not(None), Allocation.accepted_on <= as_of)


def sum_if(
    condition: ColumnElement[bool], amount: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> ColumnElement[Any]:
    """SUM(amount) over the rows meeting condition, 0 when none do."""
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def financial_year_of(
    column: ColumnElement[date] | InstrumentedAttribute[date | None],
) -> ColumnElement[int]:
    """The UK financial year of a date column, as the year it starts (1 April)."""
    year = extract("year", column)
    return case((extract("month", column) >= 4, year), else_=year - 1)


def reprice(contract_id: int, work_type_id: int) -> None:
    """Set the price of every allocation of this contract and work type from the price rows.

    One UPDATE with a correlated subquery (the price in force on each allocation date),
    run in the caller's transaction after a price row is added.
    """
    in_force = price_in_force(
        Allocation.contract_id, Allocation.work_type_id, Allocation.allocated_on
    ).scalar_subquery()
    db.session.execute(
        update(Allocation)
        .where(Allocation.contract_id == contract_id, Allocation.work_type_id == work_type_id)
        .values(unit_price=in_force)
        .execution_options(synchronize_session=False)
    )
    # The work counted by day carries the prices: this contract's and work type's again.
    # (Imported here: the counts' module reads the reports' SQL helpers, which read pricing.)
    from provider_portal.allocations import summary as work_counts

    work_counts.rebuild_for(contract_id, work_type_id)
    # Allocations already loaded in the session must not keep the old price.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Allocation) and obj.contract_id == contract_id:
            db.session.expire(obj, ["unit_price"])
