"""The figures that count work by the day something happened to it, read from the work
counted by day (AllocationDay, kept by allocations.summary) instead of from every allocation.

Each gives exactly what its definition over the allocations gives (tests/reports/
test_day_counts.py works those out in Python from random writes): flow_events, the flow
table's acceptances, declines and withdrawals (figures.events for a whole scope);
outstanding_on_days, the burn-down's outstanding work (allocated, not yet returned, withdrawn
or declined); committed_on_days and accepted_by_month, the pack's committed and actual spend;
accepted_by_financial_year, the forecast's actual spend by year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, case, func, literal, select, type_coerce

from provider_portal.contracts.money import ZERO
from provider_portal.extensions import db
from provider_portal.models import AllocationDay
from provider_portal.models.work import ACCEPTED, ALLOCATED, DECLINED, ENDED, SETTLED, WITHDRAWN
from provider_portal.reports.running import running_totals
from provider_portal.reports.scope import Scope
from provider_portal.reports.sql import financial_year_to, month_key, month_of_key
from provider_portal.timescales import add_months

DAY = AllocationDay


def _in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    return scope.filters_on(DAY.contract_id, DAY.provider_id)


def flow_events(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> dict[tuple[str, date], int]:
    """{(kind, month): count} of acceptances, declines and withdrawals in the months, on or
    before the as-of date, in the scope (figures.events without keys)."""
    each = (
        select(
            DAY.kind.label("kind"),
            month_key(DAY.day, first_month, last_month).label("month"),
            DAY.count.label("count"),
        )
        .where(
            DAY.kind.in_((ACCEPTED, DECLINED, WITHDRAWN)),
            DAY.day >= first_month,
            DAY.day < add_months(last_month, 1),
            DAY.day <= as_of,
            *_in_scope(scope),
        )
        .subquery("counted")
    )
    query = select(each.c.kind, each.c.month, func.sum(each.c.count)).group_by(
        each.c.kind, each.c.month
    )
    return {
        (kind, month_of_key(key)): int(count)
        for kind, key, count in db.session.execute(query)
        if count
    }


def _signed_sum(sign: ColumnElement[int], measure: Any) -> ColumnElement[Any]:
    """SUM(sign * measure) of a count or of Money (summed as the whole pence it is stored as),
    read back as the measure's own type: a Money sum comes back as pounds."""
    return type_coerce(func.sum(sign * type_coerce(measure, BigInteger)), measure.type)


def _open_on_days(
    scope: Scope, came: str, went: str, days: Sequence[date], measure: Any, zero: Any
) -> list[Any]:
    """For each day, the work in the scope that `came` by its end and had not `went`."""
    if not days:
        return []
    sign = case((DAY.kind == came, 1), else_=-1)
    query = (
        select(DAY.day, _signed_sum(sign, measure))
        .where(DAY.kind.in_((came, went)), DAY.day <= max(days), *_in_scope(scope))
        .group_by(DAY.day)
    )
    changes = {day: value for day, value in db.session.execute(query) if value}
    return running_totals(changes, days, zero)


def outstanding_on_days(scope: Scope, days: Sequence[date]) -> list[int]:
    """Work allocated by each day's end and not yet returned, withdrawn or declined (the
    burn-down's actual points, and backlog.outstanding_on for each day)."""
    return [int(n) for n in _open_on_days(scope, ALLOCATED, ENDED, days, DAY.count, 0)]


def committed_on_days(scope: Scope, days: Sequence[date]) -> list[Decimal]:
    """The price of the work allocated by each day's end and not yet accepted, withdrawn or
    declined (spend_by_month's committed spend). Unpriced work adds nothing."""
    return _open_on_days(scope, ALLOCATED, SETTLED, days, DAY.amount, ZERO)


def _accepted_by_year(as_of: date, scope: Scope, *keys: Any) -> list[Any]:
    """(financial year, *keys, pieces, their price, how many had a price) of the work accepted
    on or before as_of, by financial year of acceptance and the `keys` columns."""
    each = (
        select(
            financial_year_to(DAY.day, as_of).label("year"),
            *(key.label(key.key) for key in keys),
            DAY.count.label("count"),
            DAY.amount.label("amount"),
            DAY.priced.label("priced"),
        )
        .where(DAY.kind == ACCEPTED, DAY.day <= as_of, *_in_scope(scope))
        .subquery("accepted")
    )
    grouping = (each.c.year, *(each.c[key.key] for key in keys))
    sums = (func.sum(each.c.count), func.sum(each.c.amount), func.sum(each.c.priced))
    return [
        (int(year), *rest)
        for year, *rest in db.session.execute(select(*grouping, *sums).group_by(*grouping))
    ]


def accepted_by_financial_year(scope: Scope, as_of: date) -> dict[int, Decimal]:
    """{financial year: the price of the work accepted in it}, up to the as-of date, for the
    years with priced work accepted (the forecast's actual spend by year)."""
    return {
        year: Decimal(amount)
        for year, _n, amount, priced in _accepted_by_year(as_of, scope)
        if priced
    }


# (financial year, contract id, provider id, work type id)
SpendKey = tuple[int, int, int, int]


def spend_by_year_and_contract(
    as_of: date, scope: Scope
) -> tuple[dict[SpendKey, Decimal], dict[SpendKey, Decimal]]:
    """Committed spend on as_of by financial year of allocation, and actual spend by financial
    year of acceptance, each by contract, provider and work type: the groups with priced work
    in them (spend_by_financial_year's two sums). Work under no contract has contract id
    NO_CONTRACT."""
    who = (DAY.contract_id, DAY.provider_id, DAY.work_type_id)
    sign = case((DAY.kind == ALLOCATED, 1), else_=-1)
    committed = (
        select(
            DAY.allocated_year,
            *who,
            _signed_sum(sign, DAY.amount),
            _signed_sum(sign, DAY.priced),
        )
        .where(DAY.kind.in_((ALLOCATED, SETTLED)), DAY.day <= as_of, *_in_scope(scope))
        .group_by(DAY.allocated_year, *who)
    )
    return (
        {
            (int(year), *ids): amount
            for year, *ids, amount, priced in db.session.execute(committed)
            if priced
        },
        {
            (year, *ids): Decimal(amount)
            for year, *ids, _n, amount, priced in _accepted_by_year(as_of, scope, *who)
            if priced
        },
    )


# (financial year, provider id, work type id): (costed pieces, their price, uncosted pieces)
Accepted = dict[tuple[int, int, int], tuple[int, Decimal, int]]


def accepted_by_year(as_of: date, scope: Scope) -> Accepted:
    """The work accepted on or before as_of by financial year of acceptance, provider and work
    type: how many had a price, the sum of those prices, and how many had none
    (cost_per_output's counts)."""
    found = _accepted_by_year(as_of, scope, DAY.provider_id, DAY.work_type_id)
    return {
        (year, provider_id, work_type_id): (int(priced), Decimal(amount), int(n - priced))
        for year, provider_id, work_type_id, n, amount, priced in found
        if n
    }


def allocated_by_provider(as_of: date) -> dict[int, tuple[int, date]]:
    """{provider id: (pieces of work allocated on or before as_of, the first day)}."""
    query = (
        select(DAY.provider_id, func.sum(DAY.count), func.min(case((DAY.count > 0, DAY.day))))
        .where(DAY.kind == ALLOCATED, DAY.day <= as_of)
        .group_by(DAY.provider_id)
    )
    return {
        provider_id: (int(n), first) for provider_id, n, first in db.session.execute(query) if n
    }


def accepted_by_month(
    scope: Scope, months: Sequence[date], accepted_by: date
) -> dict[date | None, Decimal]:
    """{month: the price of the work accepted in it}, for the months, up to accepted_by;
    under None, everything accepted before the first month (spend_by_month's actual)."""
    month = case(
        (DAY.day < months[0], literal(0, Integer)),
        else_=month_key(DAY.day, months[0], months[-1]),
    ).label("month")
    each = (
        select(month, DAY.amount.label("amount"))
        .where(DAY.kind == ACCEPTED, DAY.day <= accepted_by, *_in_scope(scope))
        .subquery("accepted")
    )
    query = select(each.c.month, func.sum(each.c.amount)).group_by(each.c.month)
    return {
        (month_of_key(key) if key else None): Decimal(amount)
        for key, amount in db.session.execute(query)
        if amount is not None
    }
