"""The rewritten report queries against a plain-Python computation, over random data.

Random cases (some closed), allocations under two contracts and none (returned, accepted,
sent back, withdrawn, declined, still out), price changes and turnarounds, checked at random
as-of dates and month ranges for everything, one provider and one contract: the backlog in
its parts with the coming weeks' inflow, the pack's flow table and its cohort table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provider_portal.contracts.services import set_price
from provider_portal.extensions import db
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    ContractTurnaround,
    WorkType,
)
from provider_portal.outcomes import case_open_on
from provider_portal.reports.backlog import INFLOW_WEEKS, Backlog, backlog_on
from provider_portal.reports.monthly.queries import counted_cohort, monthly_report
from provider_portal.reports.pack.cache import cached_pack
from provider_portal.reports.pack.figures import FlowRow, build_pack, cohort, flow
from provider_portal.reports.scope import Scope
from provider_portal.reports.sql import MEDIAN, P90, mean, nearest_rank
from provider_portal.timescales import FINAL_PLAN_DAYS, add_months, months_between

SEEDS = range(6)
START = date(2024, 1, 1)


@dataclass
class World:
    scopes: list[Scope]


def _day(rng: random.Random, start: date, span: int) -> date:
    return start + timedelta(days=rng.randrange(span))


def _build(make, rng: random.Random) -> World:
    north, south = make.provider("North"), make.provider("South")
    contracts = [
        make.contract(
            provider=provider,
            reference=reference,
            prices={"ep_advice": "900", "plan_writing": "1800"},
        )
        for provider, reference in ((north, "CON-N"), (south, "CON-S"))
    ]
    db.session.add(
        ContractTurnaround(
            contract=contracts[0], work_type=make.work_type("ep_advice"), days=rng.randint(10, 25)
        )
    )
    db.session.commit()
    cases = []
    for _ in range(30):
        requested = _day(rng, START, 600)
        closing = rng.random()
        kwargs: dict[str, date] = {}
        if closing < 0.2:
            kwargs["final_plan_issued_on"] = requested + timedelta(days=rng.randint(60, 250))
        elif closing < 0.3:
            kwargs["closed_on"] = requested + timedelta(days=rng.randint(30, 200))
        cases.append(make.case(request_received_on=requested, **kwargs))
    open_pairs: set[tuple[int, str]] = set()
    for _ in range(90):
        case = rng.choice(cases)
        work_type = rng.choice(["ep_advice", "plan_writing"])
        choice = rng.randrange(3)
        provider = (north, south, rng.choice([north, south]))[choice]
        contract = (contracts[0], contracts[1], None)[choice]
        allocated = case.request_received_on + timedelta(days=rng.randint(0, 120))
        fate = rng.random()
        kw: dict[str, object] = {}
        status = AllocationStatus.ALLOCATED
        if fate < 0.15:
            status = AllocationStatus.WITHDRAWN
            kw["withdrawn_on"] = allocated + timedelta(days=rng.randint(0, 60))
        elif fate < 0.25:
            status = AllocationStatus.DECLINED
            kw["declined_on"] = allocated + timedelta(days=rng.randint(0, 10))
        elif fate < 0.85:
            returned = allocated + timedelta(days=rng.randint(0, 60))
            kw["returned_on"] = returned
            status = AllocationStatus.RETURNED
            if rng.random() < 0.3:
                kw["amendment_count"] = rng.randint(1, 2)
                kw["amendment_requested_on"] = returned + timedelta(days=rng.randint(0, 20))
            if rng.random() < 0.5:
                status = AllocationStatus.ACCEPTED
                kw["accepted_on"] = returned + timedelta(days=rng.randint(0, 30))
        if status in OPEN_STATUSES:
            # At most one piece of open work per case and type of work.
            if (case.id, work_type) in open_pairs:
                continue
            open_pairs.add((case.id, work_type))
        make.allocation(
            case=case,
            provider=provider,
            contract=contract,
            work_type=work_type,
            allocated_on=allocated,
            status=status,
            **kw,
        )
    # Price changes part way through: reprice() moves the work allocated since.
    for contract in contracts:
        set_price(
            contract,
            make.work_type("ep_advice"),
            Decimal(rng.randint(800, 1200)),
            _day(rng, date(2024, 6, 1), 300),
            actor=None,
        )
    db.session.commit()
    return World([Scope(), Scope(provider=north), Scope(contract=contracts[1])])


def _in_scope(allocation: Allocation, scope: Scope) -> bool:
    if scope.contract is not None:
        return allocation.contract_id == scope.contract.id
    if scope.provider is not None:
        return allocation.provider_id == scope.provider.id
    return True


def _not_by(day: date | None, as_of: date) -> bool:
    return day is None or day > as_of


def _out(a: Allocation, as_of: date) -> bool:
    return (
        a.allocated_on <= as_of
        and _not_by(a.returned_on, as_of)
        and _not_by(a.withdrawn_on, as_of)
        and _not_by(a.declined_on, as_of)
    )


def _taken(a: Allocation, as_of: date) -> bool:
    return (
        a.allocated_on <= as_of and _not_by(a.withdrawn_on, as_of) and _not_by(a.declined_on, as_of)
    )


def expected_backlog(as_of: date, scope: Scope) -> Backlog:
    """The backlog's definition (reports.backlog) worked through case by case in Python."""
    open_cases = db.session.execute(
        select(Case.id, Case.request_received_on).where(
            case_open_on(as_of), Case.anonymised_at.is_(None)
        )
    ).all()
    work: dict[int, list[Allocation]] = {}
    for allocation in db.session.scalars(select(Allocation)):
        work.setdefault(allocation.case_id, []).append(allocation)
    everything = scope.contract is None and scope.provider is None
    parts = [0, 0, 0]
    inflow = [0] * INFLOW_WEEKS
    inflow_not_allocated = [0] * INFLOW_WEEKS
    for case_id, requested in open_cases:
        mine = work.get(case_id, [])
        with_provider = any(_out(a, as_of) and _in_scope(a, scope) for a in mine)
        advice_back = not any(_out(a, as_of) for a in mine) and any(
            _taken(a, as_of) and _in_scope(a, scope) for a in mine
        )
        not_allocated = not any(_taken(a, as_of) for a in mine)
        if requested < as_of - timedelta(days=FINAL_PLAN_DAYS):
            for index, flag in enumerate((with_provider, advice_back, not_allocated)):
                parts[index] += flag
        belongs = everything or with_provider or advice_back or not_allocated
        for week in range(1, INFLOW_WEEKS + 1):
            low = as_of + timedelta(days=7 * (week - 1) - FINAL_PLAN_DAYS)
            high = as_of + timedelta(days=7 * week - FINAL_PLAN_DAYS - 1)
            if low <= requested <= high:
                inflow[week - 1] += belongs
                inflow_not_allocated[week - 1] += not_allocated
    return Backlog(as_of, *parts, tuple(inflow), tuple(inflow_not_allocated))


def expected_flow(scope: Scope, first: date, last: date, as_of: date) -> list[FlowRow]:
    """The pack's flow table (figures module docstring) worked through in Python."""
    turnarounds = {
        (t.contract_id, t.work_type_id): t.days
        for t in db.session.scalars(select(ContractTurnaround))
    }
    own = {w.id: w.turnaround_days for w in db.session.scalars(select(WorkType))}
    end = add_months(last, 1)
    months = months_between(first, last)
    returns: dict[date | None, list[tuple[int, bool, bool, bool]]] = {}
    events: dict[tuple[str, date], int] = {}
    for a in db.session.scalars(select(Allocation)):
        if not _in_scope(a, scope):
            continue
        for kind, day in (
            ("accepted", a.accepted_on),
            ("declined", a.declined_on),
            ("withdrawn", a.withdrawn_on),
        ):
            if day is not None and first <= day < end and day <= as_of:
                key = (kind, day.replace(day=1))
                events[key] = events.get(key, 0) + 1
        if a.returned_on is None or not (first <= a.returned_on < end and a.returned_on <= as_of):
            continue
        days = (a.returned_on - a.allocated_on).days
        target = turnarounds.get((a.contract_id, a.work_type_id), own[a.work_type_id])
        on_time = days <= target
        statutory = a.returned_on <= a.statutory_due_on if a.statutory_due_on else on_time
        sent_back = (
            a.amendment_count > 0
            and a.amendment_requested_on is not None
            and a.amendment_requested_on <= as_of
        )
        entry = (days, on_time, statutory, sent_back)
        returns.setdefault(a.returned_on.replace(day=1), []).append(entry)
        returns.setdefault(None, []).append(entry)
    rows = []
    for month in [*months, None]:
        found = returns.get(month, [])
        histogram: dict[int, int] = {}
        for days, *_ in found:
            histogram[days] = histogram.get(days, 0) + 1
        counts = [
            sum(events.get((kind, m), 0) for m in (months if month is None else [month]))
            for kind in ("accepted", "declined", "withdrawn")
        ]
        rows.append(
            FlowRow(
                month,
                len(found),
                sum(1 for e in found if e[1]),
                sum(1 for e in found if e[2]),
                sum(1 for e in found if e[3]),
                nearest_rank(histogram, MEDIAN),
                nearest_rank(histogram, P90),
                mean(histogram),
                *counts,
            )
        )
    return rows


@pytest.mark.parametrize("seed", SEEDS)
def test_backlog_and_flow_match_their_definitions(make, seed):
    rng = random.Random(seed)
    world = _build(make, rng)
    for _ in range(4):
        as_of = _day(rng, date(2024, 3, 1), 700)
        first = add_months(START, rng.randrange(24))
        last = add_months(first, rng.randrange(12))
        for scope in world.scopes:
            assert backlog_on(as_of, scope) == expected_backlog(as_of, scope), (seed, as_of)
            rows, total = flow(scope, first, last, as_of)
            assert [*rows, total] == expected_flow(scope, first, last, as_of), (seed, as_of)
            # The pack's cohort, added up from its work type rows, is the monthly report's.
            scoped = {"provider": scope.provider, "contract": scope.contract}
            by_type = counted_cohort(first, last, as_of, **scoped, by_work_type=True)
            monthly = monthly_report(first, last, as_of, **scoped)
            assert cohort(months_between(first, last), by_type) == (monthly.rows, monthly.total)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_a_kept_pack_matches_a_fresh_one_after_random_changes(make, seed):
    """Work returned, withdrawn and repriced between two looks: the second look is fresh."""
    rng = random.Random(seed)
    world = _build(make, rng)
    as_of, first, last = date(2025, 6, 30), date(2024, 7, 1), date(2025, 6, 1)
    for _ in range(3):
        for scope in world.scopes:
            kept = cached_pack(scope, first, last, as_of)
            fresh = build_pack(scope, first, last, as_of)
            assert (kept.cohort, kept.flow, kept.backlog, kept.spend, kept.forecast.cost) == (
                fresh.cohort,
                fresh.flow,
                fresh.backlog,
                fresh.spend,
                fresh.forecast.cost,
            )
        still_out = db.session.scalars(
            select(Allocation).where(Allocation.status == AllocationStatus.ALLOCATED)
        ).all()
        for allocation in rng.sample(list(still_out), min(3, len(still_out))):
            if rng.random() < 0.5:
                allocation.status = AllocationStatus.WITHDRAWN
                allocation.withdrawn_on = as_of - timedelta(days=rng.randint(0, 30))
            else:
                allocation.status = AllocationStatus.RETURNED
                allocation.returned_on = as_of - timedelta(days=rng.randint(0, 30))
        db.session.commit()
