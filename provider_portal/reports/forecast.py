"""When the backlog clears, and what clearing it costs by financial year.

The backlog is reports.backlog's: the open cases past 20 weeks. The forecast goes week by
week: the open cases already on the system that reach 20 weeks in a week join the backlog
that week, and the rate comes off it. The rate is the work that came back over the last
RATE_WEEKS weeks, capped by the monthly capacity the providers' contracts state. The cost to
clear is the board's table: money already bought (spent, or committed to work not yet
accepted) and the extra money the cases with no work would need at current prices, each in
the financial year the forecast says it comes back, set against the value of the contracts.

`method` on the result says all this in plain English with the figures, for every page that
shows it. Every count and sum is an SQL aggregate; a forecast runs six queries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, case, func, literal, select

from provider_portal.contracts.pricing import (
    PRICE,
    actual_on,
    committed_on,
    count_if,
    period_covers,
    price_periods,
    sum_if,
)
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date, plural
from provider_portal.models import Allocation, Contract, ContractStatus
from provider_portal.reports.backlog import (
    INFLOW_WEEKS,
    Backlog,
    backlog_on,
    outstanding_on,
)
from provider_portal.reports.day_counts import accepted_by_financial_year
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import ZERO, money_sum, round_pence, scope_value
from provider_portal.timescales import (
    financial_year,
    financial_year_end,
    financial_year_label,
)

RATE_WEEKS = 8
# Columns of the cost table run from the as-of date's financial year for at most this many
# years; the last column then also holds whatever the forecast puts later.
MAX_YEARS = 5
ORIGINAL = "Original estimate"
ADDITIONAL = "Additional estimate"
TOTAL = "Total"
FUNDING = "Funding agreed"
REMAINING = "Remaining to fund"


@dataclass(frozen=True)
class CostRow:
    label: str  # ORIGINAL, ADDITIONAL, TOTAL, FUNDING or REMAINING
    by_year: list[Decimal]  # one per financial year column
    total: Decimal


@dataclass(frozen=True)
class CostToClear:
    financial_years: list[int]
    rows: list[CostRow]
    uncosted: int  # pieces of work bought with no contract or price for their date
    # The last column also holds cost the forecast puts after it, or cannot place at all
    # (no returns in the rate window).
    later: bool = False
    unit_cost: Decimal | None = None  # one unallocated case at current prices
    uncosted_cases: int = 0  # unallocated cases left out because nothing has a current price
    # Cases with no work taken on: past 20 weeks now, or reaching it in the coming weeks.
    cases_to_buy: int = 0

    @property
    def column_labels(self) -> list[str]:
        labels = [financial_year_label(year) for year in self.financial_years]
        if self.later and labels:
            labels[-1] += " and later"
        return labels

    def row(self, label: str) -> CostRow:
        return next(r for r in self.rows if r.label == label)


@dataclass(frozen=True)
class Forecast:
    as_of: date
    parts: Backlog  # the backlog on as_of in its parts, and the cases reaching 20 weeks after it
    outstanding: int  # pieces of work in scope with providers on as_of (costed at their price)
    returned_in_window: int  # first returns in scope in the RATE_WEEKS weeks ending on as_of
    # The providers' stated monthly capacity: the sum over the current contracts in scope,
    # None unless every one of them states one.
    capacity: int | None
    rate: Fraction  # cases a week the forecast takes off: the recent rate, capped by capacity
    clears_on: date | None  # None when the rate is 0 and there is a backlog or an inflow
    clears_this_financial_year: bool | None  # clears_on <= 31 March of as_of's financial year
    cost: CostToClear
    method: str  # how this was computed, in plain English, paragraphs split by blank lines

    @property
    def backlog(self) -> int:
        return self.parts.total

    @property
    def unallocated(self) -> int:
        return self.parts.not_allocated

    @property
    def inflow(self) -> tuple[int, ...]:
        return self.parts.inflow

    @property
    def recent_rate(self) -> Fraction:
        return Fraction(self.returned_in_window, RATE_WEEKS)

    @property
    def weekly_capacity(self) -> Fraction | None:
        return None if self.capacity is None else weekly_capacity(self.capacity)

    @property
    def capped(self) -> bool:
        """The stated capacity, not the recent rate, sets the pace."""
        return self.rate < self.recent_rate

    @property
    def weekly_rate(self) -> Decimal:
        """The rate as a decimal: exact for the recent rate (eighths), else to 4 places."""
        return _decimal(self.rate)

    @property
    def weeks_to_clear(self) -> int | None:
        if self.clears_on is None:
            return None
        return (self.clears_on - self.as_of).days // 7

    @property
    def rate_text(self) -> str:
        """The weekly rate for reading: at most two decimal places (16.13, 0.25, 13)."""
        return _two_places(self.rate)

    @property
    def method_paragraphs(self) -> list[str]:
        return [p for p in self.method.split("\n\n") if p.strip()]

    def backlog_on(self, day: date) -> int:
        """The projected backlog at the end of the whole weeks from as_of to a day: each
        week's inflow added and the rate taken off, never below 0; part of a case counts as one."""
        weeks = max(0, (day - self.as_of).days) // 7
        return math.ceil(left_after(self.backlog, self.inflow, self.rate, weeks))


def _decimal(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if exact * value.denominator == value.numerator:
        return exact
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _two_places(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    shown = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{shown.normalize():f}"


def weekly_capacity(monthly: int) -> Fraction:
    """A monthly capacity as a weekly one: 12 months in 52 weeks."""
    return Fraction(monthly * 12, 52)


def working_rate(returned_in_window: int, capacity: int | None) -> Fraction:
    """Cases a week: the recent return rate, or the stated capacity when that is lower."""
    recent = Fraction(returned_in_window, RATE_WEEKS)
    if capacity is None:
        return recent
    return min(recent, weekly_capacity(capacity))


def left_after(backlog: int, inflow: Sequence[int], rate: Fraction, weeks: int) -> Fraction:
    """The backlog after a number of whole weeks: each week, that week's inflow joins it and
    the rate comes off it, never below 0."""
    left = Fraction(backlog)
    for arriving in inflow[:weeks]:
        left = max(Fraction(0), left + arriving - rate)
    rest = weeks - min(weeks, len(inflow))
    return max(Fraction(0), left - rate * rest)


def weeks_to_clear(backlog: int, inflow: Sequence[int], rate: Fraction) -> int | None:
    """Whole weeks until the backlog is 0 and stays 0 (every inflow week over); None when the
    rate is 0 and something is left."""
    lefts = [Fraction(backlog)]
    for arriving in inflow:
        lefts.append(max(Fraction(0), lefts[-1] + arriving - rate))
    if lefts[-1] > 0:
        if rate == 0:
            return None
        return len(inflow) + math.ceil(lefts[-1] / rate)
    busy = [week for week, left in enumerate(lefts) if left > 0]
    return busy[-1] + 1 if busy else 0


def quarter_ends(after: date, count: int) -> list[date]:
    """The next `count` quarter ends (30 June, 30 September, 31 December, 31 March) after a day."""
    ends: list[date] = []
    year = after.year
    while len(ends) < count:
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            candidate = date(year, month, day)
            if candidate > after and len(ends) < count:
                ends.append(candidate)
        year += 1
    return ends


def returned_in_window(as_of: date) -> ColumnElement[bool]:
    """First returned within the RATE_WEEKS weeks ending on as_of (as_of included)."""
    return and_(
        Allocation.returned_on > as_of - timedelta(weeks=RATE_WEEKS),
        Allocation.returned_on <= as_of,
    )


def case_unit_cost(scope: Scope, as_of: date) -> Decimal | None:
    """What one unallocated case would cost at the prices in force on as_of.

    The sum, over every work type that an active in-scope contract running on as_of prices,
    of that price; where several contracts price a work type, their average to the penny.
    None when no contract in scope prices anything on as_of.
    """
    periods = price_periods()
    query = (
        select(periods.c.work_type_id, func.sum(periods.c.unit_price), func.count())
        .select_from(periods)
        .join(Contract, Contract.id == periods.c.contract_id)
        .where(
            Contract.status == ContractStatus.ACTIVE,
            Contract.start_on <= as_of,
            Contract.end_on >= as_of,
            period_covers(periods, as_of),
            *scope.contract_filters(),
        )
        .group_by(periods.c.work_type_id)
    )
    averages = [round_pence(money_sum(total) / n) for _, total, n in db.session.execute(query)]
    if not averages:
        return None
    return sum(averages, ZERO)


def _cleared_by(rate: Fraction, as_of: date, day: date) -> int:
    """Pieces the forecast has back by a day: the rate times the whole weeks elapsed."""
    weeks = max(0, (day - as_of).days) // 7
    return math.floor(rate * weeks)


def _columns(
    as_of: date, clears_on: date | None, backlog: int, actual_years: list[int]
) -> tuple[list[int], bool]:
    this_year = financial_year(as_of)
    cap = this_year + MAX_YEARS - 1
    if clears_on is None:
        last, later = this_year + 1, backlog > 0
    else:
        last = min(financial_year(clears_on), cap)
        later = financial_year(clears_on) > cap
    first = min([this_year, *actual_years])
    return list(range(first, last + 1)), later


def _draw_down(value: Decimal, totals: list[Decimal]) -> list[Decimal]:
    """Funding set against each column's cost in order; anything left over in the last."""
    left = value
    drawn = []
    for cost in totals:
        take = min(left, max(cost, ZERO))
        drawn.append(take)
        left -= take
    if drawn:
        drawn[-1] += left
    return drawn


def _current_contracts(scope: Scope, as_of: date) -> list[ColumnElement[bool]]:
    return [
        Contract.status == ContractStatus.ACTIVE,
        Contract.start_on <= as_of,
        Contract.end_on >= as_of,
        *scope.contract_filters(),
    ]


def _capacity_columns(scope: Scope, as_of: date) -> list[ColumnElement[int | None]]:
    """The stated monthly capacity of the current contracts in scope, and how many of them
    state none, as two scalar subqueries."""
    current = _current_contracts(scope, as_of)
    return [
        select(func.sum(Contract.stated_monthly_capacity)).where(*current).scalar_subquery(),
        select(func.count())
        .select_from(Contract)
        .where(Contract.stated_monthly_capacity.is_(None), *current)
        .scalar_subquery(),
    ]


def forecast(scope: Scope, as_of: date) -> Forecast:
    """The backlog and the cases joining it, the rate (capped by the stated capacity), when
    it clears, and the cost to clear by year."""
    price = PRICE
    returned_unaccepted = committed_on(as_of) & (Allocation.returned_on <= as_of)
    counts = db.session.execute(
        select(
            count_if(outstanding_on(as_of)),
            count_if(returned_in_window(as_of)),
            sum_if(returned_unaccepted, price),
            count_if(price.is_(None) & (committed_on(as_of) | actual_on(as_of))),
            *_capacity_columns(scope, as_of),
        )
        .select_from(Allocation)
        .where(*scope.allocation_filters())
    ).one()
    outstanding, returned = int(counts[0] or 0), int(counts[1] or 0)
    awaiting_acceptance, uncosted = money_sum(counts[2]), int(counts[3] or 0)
    stated, unstated = counts[4], int(counts[5] or 0)
    capacity = int(stated) if stated is not None and unstated == 0 else None
    rate = working_rate(returned, capacity)
    parts = backlog_on(as_of, scope)
    weeks = weeks_to_clear(parts.total, parts.inflow, rate)
    clears_on = None if weeks is None else as_of + timedelta(weeks=weeks)
    this_year = financial_year(as_of)
    clears_this_year = None if clears_on is None else clears_on <= financial_year_end(this_year)

    actual = {
        year: money_sum(amount) for year, amount in accepted_by_financial_year(scope, as_of).items()
    }
    pending = parts.total + parts.coming
    years, later = _columns(as_of, clears_on, pending, list(actual))
    future = years[years.index(this_year) :]
    # Cumulative pieces back by the end of each future column but the last, which takes the rest.
    cuts = [_cleared_by(rate, as_of, financial_year_end(y)) for y in future[:-1]]

    original = [actual.get(y, ZERO) for y in years]
    original[years.index(this_year)] += awaiting_acceptance
    offset = years.index(this_year)
    for column, amount in _placed_outstanding(scope, as_of, cuts).items():
        original[offset + column] += amount

    unit_cost = case_unit_cost(scope, as_of)
    # The cases that need work bought: nobody given them now, or by the time they pass 20 weeks.
    to_buy = parts.not_allocated + sum(parts.inflow_not_allocated)
    additional = [ZERO for _ in years]
    uncosted_cases = 0
    if to_buy and unit_cost is None:
        uncosted_cases = to_buy
    elif to_buy and unit_cost is not None:
        placed = 0
        for column in range(len(future)):
            if column < len(cuts):
                upto = min(max(cuts[column] - outstanding, 0), to_buy)
            else:
                upto = to_buy
            additional[offset + column] = unit_cost * (upto - placed)
            placed = upto

    total = [o + a for o, a in zip(original, additional, strict=True)]
    value = scope_value(scope)
    funding = _draw_down(value, total)
    remaining = [t - f for t, f in zip(total, funding, strict=True)]
    rows = [
        CostRow(ORIGINAL, original, sum(original, ZERO)),
        CostRow(ADDITIONAL, additional, sum(additional, ZERO)),
        CostRow(TOTAL, total, sum(total, ZERO)),
        CostRow(FUNDING, funding, value),
        CostRow(REMAINING, remaining, sum(total, ZERO) - value),
    ]
    cost = CostToClear(years, rows, uncosted, later, unit_cost, uncosted_cases, to_buy)
    result = Forecast(
        as_of=as_of,
        parts=parts,
        outstanding=outstanding,
        returned_in_window=returned,
        capacity=capacity,
        rate=rate,
        clears_on=clears_on,
        clears_this_financial_year=clears_this_year,
        cost=cost,
        method="",
    )
    return replace(result, method=describe(result, scope))


def _placed_outstanding(scope: Scope, as_of: date, cuts: list[int]) -> dict[int, Decimal]:
    """The price of the work still out, summed by the future column it is forecast back in.

    Oldest allocation first (then by id): the first cuts[0] pieces come back in the as-of
    year, the next up to cuts[1] in the year after, and so on; the rest in the last column.
    The work still out is found first (materialised), then ranked: ranked as it was read,
    SQLite read every allocation in date order to save sorting the few still out.
    """
    out = (
        select(Allocation.id, Allocation.allocated_on, PRICE.label("price"))
        .where(outstanding_on(as_of), *scope.allocation_filters())
        .cte("still_out")
        .prefix_with("MATERIALIZED")
    )
    rank = func.row_number().over(order_by=(out.c.allocated_on, out.c.id))
    bucket: ColumnElement[int] = (
        case(*((rank <= cut, index) for index, cut in enumerate(cuts)), else_=len(cuts))
        if cuts
        else literal(0)
    )
    ranked = select(bucket.label("bucket"), out.c.price.label("price")).subquery()
    query = select(ranked.c.bucket, func.sum(ranked.c.price)).group_by(ranked.c.bucket)
    return {int(column): money_sum(amount) for column, amount in db.session.execute(query)}


def _capacity_text(result: Forecast) -> str:
    if result.capacity is None:
        return (
            "No cap applies: the contracts in scope that are active on the date do not all "
            "state the provider's monthly capacity (or there are none)."
        )
    weekly = _two_places(weekly_capacity(result.capacity))
    stated = (
        f"The providers' stated capacity, {plural(result.capacity, 'piece')} a month across "
        f"the active contracts in scope ({weekly} a week, at 12 months to 52 weeks), caps the "
        "rate"
    )
    if result.capped:
        return f"{stated}: the forecast uses {weekly} a week, the lower of the two."
    return f"{stated}; the recent rate is within it, so the forecast uses the recent rate."


def describe(result: Forecast, scope: Scope) -> str:
    """The method, in plain English, with this forecast's own figures."""
    as_of = long_date(result.as_of)
    window_start = long_date(result.as_of - timedelta(weeks=RATE_WEEKS) + timedelta(days=1))
    year_end = long_date(financial_year_end(financial_year(result.as_of)))
    rate = result.rate_text
    parts = result.parts
    scoped = (
        ""
        if scope.contract is None and scope.provider is None
        else " (with a provider and advice back count the cases whose work is in scope; "
        "cases not yet allocated are council-wide)"
    )
    paragraphs = [
        f"Scope: {scope.label}. Figures are as they stood on {as_of}.",
        f"The backlog is the open cases past 20 weeks: "
        f"{plural(result.backlog, 'case')} that on {as_of} were more than 20 weeks from the "
        f"request (request date plus 140 days before {as_of}), had no final plan and had not "
        f"been closed without one. {parts.with_provider} had work with a provider that had "
        f"not come back, {parts.advice_back} had all their provider work back but no plan "
        f"yet, and {parts.not_allocated} had no work with a provider (nothing open, returned "
        f"or accepted){scoped}. Each case counts as one piece of work. Work withdrawn by the "
        f"council or declined by the provider by {as_of} does not count as work with a "
        f"provider.",
        f"The rate is the work that first came back in the {RATE_WEEKS} weeks from "
        f"{window_start} to {as_of}: {plural(result.returned_in_window, 'piece')}, "
        f"{_two_places(result.recent_rate)} a week. {_capacity_text(result)} The forecast "
        f"goes week by week: each week the open cases already on the system that reach 20 "
        f"weeks that week without a final plan join the backlog "
        f"({plural(parts.coming, 'case')} over the next {INFLOW_WEEKS} weeks), and {rate} "
        f"come off it (never going below zero).",
    ]
    if result.clears_on is None:
        paragraphs.append(
            "Nothing came back in that time, so at the current rate the backlog does not "
            "clear: the forecast cannot give a date."
        )
    elif result.backlog == 0 and result.weeks_to_clear == 0:
        paragraphs.append("There is no backlog to clear.")
    else:
        answer = "within" if result.clears_this_financial_year else "after"
        paragraphs.append(
            f"{plural(result.backlog, 'case')} now and {parts.coming} more reaching 20 weeks, "
            f"at {rate} a week, take {result.weeks_to_clear} weeks (rounded up), so the "
            f"backlog clears by {long_date(result.clears_on)}, {answer} this financial year "
            f"(which ends on {year_end})."
        )
    cost = result.cost
    unit = (
        "no contract in scope had a price in force, so they are not costed"
        if cost.unit_cost is None
        else f"each is priced at {format_money(cost.unit_cost)}: the current price of every "
        f"type of work an active contract in scope prices, added up (where several contracts price "
        f"the same work, their average to the penny)"
    )
    paragraphs.append(
        "Cost to clear, by financial year (1 April to 31 March). Original estimate is the "
        "money already bought: work accepted, at the price that applied when it was allocated, "
        "in the year it was accepted; work returned but not yet accepted, in this year; and "
        "work still with providers at its own price, in the year the forecast says it comes "
        "back. Additional estimate is the cases with no work taken on "
        f"({parts.not_allocated} past 20 weeks now and {sum(parts.inflow_not_allocated)} "
        "reaching 20 weeks in the coming weeks), after the work already with providers, in "
        f"the year the forecast says they clear; {unit}. "
        + (
            f"Not included: {plural(cost.uncosted, 'piece')} of work with no contract, or "
            "no price for the date it was allocated. "
            if cost.uncosted
            else ""
        )
        + (
            "The last column also holds everything the forecast puts later than it, or cannot "
            "place because nothing came back recently. "
            if cost.later
            else ""
        )
        + "Funding agreed is the current value of the contracts in scope (original value plus "
        "approved variations), set against each year's total in turn from the earliest year; "
        "any left over shows in the last year. Remaining to fund is the total less the funding."
    )
    return "\n\n".join(paragraphs)
