"""The backlog, defined once: the open cases past 20 weeks on a date, by where their work was.

A case is on the backlog on a date when, on that date, it was open (provider_portal.outcomes:
received, no final plan issued and not closed without one) and more than 20 weeks had passed
since the request (the request date plus 140 days was before the date). Cases whose personal
details were removed under the retention policy are left out (they are all closed).

Its three parts add up to it, each case in exactly one:
- with a provider: work allocated by the date that had not come back, been withdrawn or been
  declined by then;
- advice back, plan not issued: work was taken on (allocated and neither withdrawn nor
  declined by the date) and all of it had come back, but there was no final plan;
- not yet allocated: no work taken on at all.

The FOI page, the forecast, the cost to clear and the pack all read these counts from
backlog_on; the cases still inside 20 weeks that will pass it in the coming weeks (the
forecast's inflow) come from the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute

from provider_portal.contracts.pricing import count_if
from provider_portal.extensions import db
from provider_portal.models import Allocation, Case
from provider_portal.outcomes import case_open_on
from provider_portal.reports.scope import EVERYTHING, Scope
from provider_portal.reports.sql import DaysBetween, Unindexed
from provider_portal.timescales import FINAL_PLAN_DAYS

# A case received on the as-of date passes 20 weeks in the 21st week after it, so every open
# request on the system reaches 20 weeks within this many weeks.
INFLOW_WEEKS = FINAL_PLAN_DAYS // 7 + 1


@dataclass(frozen=True)
class Backlog:
    """The backlog on a date in its three parts, and the cases that will join it."""

    as_of: date
    with_provider: int
    advice_back: int  # provider work came back, no final plan
    not_allocated: int
    # Open cases not yet past 20 weeks that pass it in each coming week (week 1 first: the
    # 7 days after as_of), and of those, the ones with no work taken on.
    inflow: tuple[int, ...] = ()
    inflow_not_allocated: tuple[int, ...] = ()

    @property
    def total(self) -> int:
        return self.with_provider + self.advice_back + self.not_allocated

    @property
    def coming(self) -> int:
        return sum(self.inflow)

    @property
    def parts(self) -> list[tuple[str, int]]:
        """(label, count) of each part, in the order they add up."""
        return [
            ("With a provider", self.with_provider),
            ("Advice back, plan not issued", self.advice_back),
            ("Not yet allocated", self.not_allocated),
        ]


def _not_by(column: InstrumentedAttribute[date | None], as_of: date) -> ColumnElement[bool]:
    return or_(column.is_(None), column > as_of)


def outstanding_on(as_of: date) -> ColumnElement[bool]:
    """Allocated by as_of and, on as_of, not yet returned, withdrawn or declined.

    Nearly all work was allocated by as_of; SQLite, which keeps no statistics here, would
    read it all by the allocation date's index rather than find the few not yet returned by
    the return date's (180 ms against 10 at 100,000 cases): it is told not to."""
    return and_(
        Unindexed(Allocation.allocated_on) <= as_of,
        _not_by(Allocation.returned_on, as_of),
        _not_by(Allocation.withdrawn_on, as_of),
        _not_by(Allocation.declined_on, as_of),
    )


def taken_on(as_of: date) -> ColumnElement[bool]:
    """Allocated by as_of and neither withdrawn nor declined by then: open, returned or
    accepted work all count."""
    return and_(
        Allocation.allocated_on <= as_of,
        _not_by(Allocation.withdrawn_on, as_of),
        _not_by(Allocation.declined_on, as_of),
    )


def _any(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when any of the group's allocations meets the condition, else 0."""
    return func.max(case((condition, 1), else_=0))


def _case_parts(as_of: date, scope: Scope) -> Subquery:
    """One row per open case with work allocated by as_of: whether work (in scope, and
    anywhere) was out with a provider on as_of, and whether work (in scope, and anywhere) had
    been taken on by then. One grouped pass over the open cases' allocations, not a probe of
    the allocations per case and part."""
    in_scope = and_(true(), *scope.allocation_filters())
    return (
        select(
            Allocation.case_id.label("case_id"),
            _any(and_(outstanding_on(as_of), in_scope)).label("out_in_scope"),
            _any(outstanding_on(as_of)).label("out_anywhere"),
            _any(and_(taken_on(as_of), in_scope)).label("taken_in_scope"),
            _any(taken_on(as_of)).label("taken_anywhere"),
        )
        .join(Case, Case.id == Allocation.case_id)
        .where(Allocation.allocated_on <= as_of, case_open_on(as_of), Case.anonymised_at.is_(None))
        .group_by(Allocation.case_id)
        .subquery("case_parts")
    )


def past_twenty_weeks(as_of: date) -> ColumnElement[bool]:
    """The request date plus 140 days was before as_of."""
    return Case.request_received_on < as_of - timedelta(days=FINAL_PLAN_DAYS)


def in_backlog(as_of: date) -> ColumnElement[bool]:
    """On the backlog on as_of: open on that date, past 20 weeks, personal details kept."""
    return and_(case_open_on(as_of), past_twenty_weeks(as_of), Case.anonymised_at.is_(None))


def _open_cases_grouped(as_of: date, scope: Scope) -> Subquery:
    """Each open case's request date and parts, from one grouped pass over the open cases'
    allocations (_case_parts): quickest on SQLite."""
    parts = _case_parts(as_of, scope)
    flag = func.coalesce
    return (
        select(
            Case.request_received_on.label("requested"),
            (flag(parts.c.out_in_scope, 0) == 1).label("with_provider"),
            and_(flag(parts.c.out_anywhere, 0) == 0, flag(parts.c.taken_in_scope, 0) == 1).label(
                "advice_back"
            ),
            (flag(parts.c.taken_anywhere, 0) == 0).label("not_allocated"),
        )
        .select_from(Case)
        .outerjoin(parts, parts.c.case_id == Case.id)
        .where(case_open_on(as_of), Case.anonymised_at.is_(None))
        .subquery("open_case")
    )


def _open_cases_hashed(as_of: date, scope: Scope) -> CTE:
    """The same rows as _open_cases_grouped, each part a test of the case's id against the set
    of cases with such work: PostgreSQL reads each set once into a hash (the work out with a
    provider from the returned-date index) instead of grouping the allocations by case, a
    quarter quicker at 100,000 cases. Materialised, so the sets are built once, not once for
    each count that reads a part."""
    everything = scope.contract is None and scope.provider is None

    def with_work(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return Case.id.in_(select(Allocation.case_id).where(condition))

    in_scope = scope.allocation_filters()
    sets = {
        "out_in_scope": with_work(and_(outstanding_on(as_of), *in_scope)),
        "taken_in_scope": with_work(and_(taken_on(as_of), *in_scope)),
    }
    if not everything:
        sets["out_anywhere"] = with_work(outstanding_on(as_of))
        sets["taken_anywhere"] = with_work(taken_on(as_of))
    flags = (
        select(
            Case.request_received_on.label("requested"),
            *(test.label(name) for name, test in sets.items()),
        )
        .where(case_open_on(as_of), Case.anonymised_at.is_(None))
        .cte("case_flags")
        .prefix_with("MATERIALIZED")
    )
    # Everywhere, work in scope is all the work there is.
    out_anywhere = flags.c.out_in_scope if everything else flags.c.out_anywhere
    taken_anywhere = flags.c.taken_in_scope if everything else flags.c.taken_anywhere
    return (
        select(
            flags.c.requested,
            flags.c.out_in_scope.label("with_provider"),
            and_(~out_anywhere, flags.c.taken_in_scope).label("advice_back"),
            (~taken_anywhere).label("not_allocated"),
        )
    ).cte("open_case")


def backlog_on(as_of: date, scope: Scope = EVERYTHING) -> Backlog:
    """The backlog on as_of in its parts, and the inflow of the coming weeks, in one query.

    In a scope, a case is with a provider when its work in scope is out, has its advice back
    when its work in scope came back and no provider has work of it out; cases nobody was
    given are council-wide whatever the scope.
    """
    everything = scope.contract is None and scope.provider is None
    hashed = db.session.get_bind().dialect.name == "postgresql"
    each = _open_cases_hashed(as_of, scope) if hashed else _open_cases_grouped(as_of, scope)
    # Outside everything, a case joins the scope's backlog only through one of its parts.
    belongs = (
        true()
        if everything
        else or_(each.c.with_provider, each.c.advice_back, each.c.not_allocated)
    )
    # A case passes 20 weeks in the week-th week after as_of when the first day past them
    # (request + 141 days) falls after as_of + 7(week - 1) days and on or before as_of +
    # 7 × week. Counted in days from as_of - 140 to the request: below 0 the case is past 20
    # weeks already, and from 0 it passes them in week days // 7 + 1. So one group a week,
    # not a count for each week and part.
    days = DaysBetween(literal(as_of - timedelta(days=FINAL_PLAN_DAYS), Date), each.c.requested)
    keyed = select(
        case((days < 0, -1), else_=days // 7).label("week"),
        each.c.with_provider,
        each.c.advice_back,
        each.c.not_allocated,
        belongs.label("belongs"),
    ).subquery("keyed")
    # Grouped outside the subquery: PostgreSQL would not match a GROUP BY expression carrying
    # bound parameters with the same expression in SELECT.
    found = {
        int(week): [int(v or 0) for v in values]
        for week, *values in db.session.execute(
            select(
                keyed.c.week,
                count_if(keyed.c.with_provider),
                count_if(keyed.c.advice_back),
                count_if(keyed.c.not_allocated),
                count_if(keyed.c.belongs),
            ).group_by(keyed.c.week)
        )
    }
    with_provider, advice_back, not_allocated, _ = found.get(-1, [0, 0, 0, 0])
    weeks = [found.get(week - 1, [0, 0, 0, 0]) for week in range(1, INFLOW_WEEKS + 1)]
    return Backlog(
        as_of,
        with_provider,
        advice_back,
        not_allocated,
        inflow=tuple(week[3] for week in weeks),
        inflow_not_allocated=tuple(week[2] for week in weeks),
    )
