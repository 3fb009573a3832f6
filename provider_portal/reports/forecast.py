"""When the backlog clears at the recent return rate, and what clearing it costs by financial year.

The forecast is a straight line: the work still with providers plus the out-of-timescale cases
nobody has been given, worked off at the rate work came back over the last RATE_WEEKS weeks.
The cost to clear is the board's table: money already bought (spent, or committed to work not
yet accepted) and the extra money the unallocated cases would need at current prices, each in
the financial year the forecast says it comes back, set against the value of the contracts.

`method` on the result says all this in plain English with the figures, for every page that
shows it. Every count and sum is an SQL aggregate; a forecast runs six queries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from provider_portal.contracts.pricing import (
    PRICE,
    actual_on,
    committed_on,
    count_if,
    financial_year_of,
    period_covers,
    price_periods,
    sum_if,
)
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date, plural
from provider_portal.models import Allocation, Case, Contract, ContractStatus
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import ZERO, money_sum, round_pence, scope_value
from provider_portal.timescales import (
    FINAL_PLAN_DAYS,
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
    outstanding: int  # work in scope allocated by as_of, not returned, withdrawn or declined by it
    unallocated: int  # council-wide out-of-timescale cases with no plan and no work taken on
    returned_in_window: int  # first returns in scope in the RATE_WEEKS weeks ending on as_of
    weekly_rate: Decimal  # returned_in_window / RATE_WEEKS
    clears_on: date | None  # None when nothing came back in the window and there is a backlog
    clears_this_financial_year: bool | None  # clears_on <= 31 March of as_of's financial year
    cost: CostToClear
    method: str  # how this was computed, in plain English, paragraphs split by blank lines

    @property
    def backlog(self) -> int:
        return self.outstanding + self.unallocated

    @property
    def weeks_to_clear(self) -> int | None:
        if self.clears_on is None:
            return None
        return (self.clears_on - self.as_of).days // 7

    @property
    def rate_text(self) -> str:
        """The weekly rate for reading: at most two decimal places (16.13, 0.25, 13)."""
        shown = self.weekly_rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{shown.normalize():f}"

    @property
    def method_paragraphs(self) -> list[str]:
        return [p for p in self.method.split("\n\n") if p.strip()]

    def backlog_on(self, day: date) -> int:
        """The projected backlog on a day: a straight line at the weekly rate, never below 0."""
        if day <= self.as_of:
            return self.backlog
        # backlog - (returned / weeks) * (days / 7), in whole numbers so it is exact; a part
        # of a piece still outstanding counts as a piece.
        scale = RATE_WEEKS * 7
        left = self.backlog * scale - self.returned_in_window * (day - self.as_of).days
        return max(0, -(-left // scale))


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


def _not_by(column: InstrumentedAttribute[date | None], as_of: date) -> ColumnElement[bool]:
    return or_(column.is_(None), column > as_of)


def outstanding_on(as_of: date) -> ColumnElement[bool]:
    """Allocated by as_of and, on as_of, not yet returned, withdrawn or declined."""
    return and_(
        Allocation.allocated_on <= as_of,
        _not_by(Allocation.returned_on, as_of),
        _not_by(Allocation.withdrawn_on, as_of),
        _not_by(Allocation.declined_on, as_of),
    )


def returned_in_window(as_of: date) -> ColumnElement[bool]:
    """First returned within the RATE_WEEKS weeks ending on as_of (as_of included)."""
    return and_(
        Allocation.returned_on > as_of - timedelta(weeks=RATE_WEEKS),
        Allocation.returned_on <= as_of,
    )


def work_taken_on(as_of: date) -> ColumnElement[bool]:
    """The case has work allocated by as_of that was neither withdrawn nor declined by then."""
    return exists().where(
        Allocation.case_id == Case.id,
        Allocation.allocated_on <= as_of,
        _not_by(Allocation.withdrawn_on, as_of),
        _not_by(Allocation.declined_on, as_of),
    )


def unallocated_count(as_of: date) -> int:
    """Cases past 20 weeks on as_of with no final plan by then and no work taken on.

    Council-wide whatever the scope: nobody has been given these cases yet. "No work taken
    on" means no allocation made by as_of that, on as_of, was neither withdrawn nor declined
    (so open, returned or accepted work all count as taken on).
    """
    value = db.session.scalar(
        select(func.count(Case.id)).where(
            Case.request_received_on < as_of - timedelta(days=FINAL_PLAN_DAYS),
            _not_by(Case.final_plan_issued_on, as_of),
            Case.anonymised_at.is_(None),
            ~work_taken_on(as_of),
        )
    )
    return int(value or 0)


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


def _weeks_to_clear(backlog: int, returned: int) -> int | None:
    if backlog == 0:
        return 0
    if returned == 0:
        return None
    # ceil(backlog / (returned / RATE_WEEKS)) in integers.
    return -(-backlog * RATE_WEEKS // returned)


def _cleared_by(returned: int, as_of: date, day: date) -> int:
    """Pieces the forecast has back by a day: the rate times the whole weeks elapsed."""
    weeks = max(0, (day - as_of).days) // 7
    return returned * weeks // RATE_WEEKS


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


def forecast(scope: Scope, as_of: date) -> Forecast:
    """The backlog, the recent return rate, when it clears, and the cost to clear by year."""
    price = PRICE
    returned_unaccepted = committed_on(as_of) & ~_not_by(Allocation.returned_on, as_of)
    counts = db.session.execute(
        select(
            count_if(outstanding_on(as_of)),
            count_if(returned_in_window(as_of)),
            sum_if(returned_unaccepted, price),
            count_if(price.is_(None) & (committed_on(as_of) | actual_on(as_of))),
        )
        .select_from(Allocation)
        .where(*scope.allocation_filters())
    ).one()
    outstanding, returned = int(counts[0] or 0), int(counts[1] or 0)
    awaiting_acceptance, uncosted = money_sum(counts[2]), int(counts[3] or 0)
    unallocated = unallocated_count(as_of)
    backlog = outstanding + unallocated
    weeks = _weeks_to_clear(backlog, returned)
    clears_on = None if weeks is None else as_of + timedelta(weeks=weeks)
    this_year = financial_year(as_of)
    clears_this_year = None if clears_on is None else clears_on <= financial_year_end(this_year)

    fy = financial_year_of(Allocation.accepted_on)
    actual_rows = db.session.execute(
        select(fy, func.sum(price))
        .select_from(Allocation)
        .where(PRICE.is_not(None))
        .where(actual_on(as_of), *scope.allocation_filters())
        .group_by(fy)
    ).all()
    actual = {int(year): money_sum(amount) for year, amount in actual_rows}
    years, later = _columns(as_of, clears_on, backlog, list(actual))
    future = years[years.index(this_year) :]
    # Cumulative pieces back by the end of each future column but the last, which takes the rest.
    cuts = [_cleared_by(returned, as_of, financial_year_end(y)) for y in future[:-1]]

    original = [actual.get(y, ZERO) for y in years]
    original[years.index(this_year)] += awaiting_acceptance
    offset = years.index(this_year)
    for column, amount in _placed_outstanding(scope, as_of, cuts).items():
        original[offset + column] += amount

    unit_cost = case_unit_cost(scope, as_of)
    additional = [ZERO for _ in years]
    uncosted_cases = 0
    if unallocated and unit_cost is None:
        uncosted_cases = unallocated
    elif unallocated and unit_cost is not None:
        placed = 0
        for column in range(len(future)):
            if column < len(cuts):
                upto = min(max(cuts[column] - outstanding, 0), unallocated)
            else:
                upto = unallocated
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
    cost = CostToClear(years, rows, uncosted, later, unit_cost, uncosted_cases)
    result = Forecast(
        as_of=as_of,
        outstanding=outstanding,
        unallocated=unallocated,
        returned_in_window=returned,
        weekly_rate=Decimal(returned) / RATE_WEEKS,
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
    """
    rank = func.row_number().over(order_by=(Allocation.allocated_on, Allocation.id))
    bucket: ColumnElement[int] = (
        case(*((rank <= cut, index) for index, cut in enumerate(cuts)), else_=len(cuts))
        if cuts
        else literal(0)
    )
    ranked = (
        select(bucket.label("bucket"), PRICE.label("price"))
        .select_from(Allocation)
        .where(outstanding_on(as_of), *scope.allocation_filters())
        .subquery()
    )
    query = select(ranked.c.bucket, func.sum(ranked.c.price)).group_by(ranked.c.bucket)
    return {int(column): money_sum(amount) for column, amount in db.session.execute(query)}


def describe(result: Forecast, scope: Scope) -> str:
    """The method, in plain English, with this forecast's own figures."""
    as_of = long_date(result.as_of)
    window_start = long_date(result.as_of - timedelta(weeks=RATE_WEEKS) + timedelta(days=1))
    year_end = long_date(financial_year_end(financial_year(result.as_of)))
    rate = result.rate_text
    outstanding = plural(result.outstanding, "piece")
    unallocated = plural(result.unallocated, "case")
    paragraphs = [
        f"Scope: {scope.label}. Figures are as they stood on {as_of}.",
        f"The backlog is the work still with providers plus the unallocated cases: "
        f"{outstanding} of work allocated on or before {as_of} that had not come back by "
        f"then (work withdrawn by the council or declined by the provider left out), and "
        f"{unallocated} across the council that were past 20 weeks (request date plus 140 "
        f"days before {as_of}), had no final plan and had no work with a provider (nothing "
        f"open, returned or accepted). Each unallocated case counts as one piece of work.",
        f"The rate is the work that first came back in the {RATE_WEEKS} weeks from "
        f"{window_start} to {as_of}: {plural(result.returned_in_window, 'piece')}, {rate} "
        f"a week. The forecast assumes that rate carries on in a straight line, the work "
        f"already with providers first, oldest first.",
    ]
    if result.clears_on is None:
        paragraphs.append(
            "Nothing came back in that time, so at the current rate the backlog does not "
            "clear: the forecast cannot give a date."
        )
    elif result.backlog == 0:
        paragraphs.append("There is no backlog to clear.")
    else:
        answer = "within" if result.clears_this_financial_year else "after"
        paragraphs.append(
            f"{plural(result.backlog, 'piece')} at {rate} a week take "
            f"{result.weeks_to_clear} weeks (rounded up), so the backlog clears by "
            f"{long_date(result.clears_on)}, {answer} this financial year (which ends on "
            f"{year_end})."
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
        "back. Additional estimate is the unallocated cases, in the year the forecast says "
        f"they clear; {unit}. "
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
