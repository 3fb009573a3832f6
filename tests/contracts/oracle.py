"""The price of each allocation by definition, straight from the price rows: what the stored
Allocation.unit_price is checked against."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Subquery, and_

from provider_portal.contracts.pricing import period_covers
from provider_portal.models import Allocation


def defined_price_join(periods: Subquery) -> ColumnElement[bool]:
    """Join price_periods() to each allocation: its contract and work type's price on the
    day it was allocated."""
    return and_(
        periods.c.contract_id == Allocation.contract_id,
        periods.c.work_type_id == Allocation.work_type_id,
        period_covers(periods, Allocation.allocated_on),
    )
