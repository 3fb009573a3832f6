"""The league table against the pack and against plain Python, over random data.

Random work for three providers (returned, accepted, sent back with reasons, withdrawn,
declined, still out; priced under a contract or not), checked at random months and as-of
dates: each provider's row is the pack's figures for that provider, the All providers row
the pack's for everything, and the percentiles and quality figures what Python's statistics
module and a plain count make of the same records.
"""

from __future__ import annotations

import math
import random
import statistics
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import OPEN_STATUSES, Allocation, AllocationStatus, SendBack
from provider_portal.reports.pack.figures import build_pack
from provider_portal.reports.providers.figures import league_table
from provider_portal.reports.scope import Scope
from provider_portal.timescales import add_months
from tests.reports.test_providers import send_back

SEEDS = range(4)
START = date(2024, 1, 1)


def _build(make, rng: random.Random) -> list:
    providers = [make.provider(name) for name in ("East", "North", "West")]
    contracts = {
        p.id: make.contract(provider=p, prices={"ep_advice": "900", "plan_writing": "1800"})
        for p in providers[:2]
    }
    open_pairs: set[tuple[int, str]] = set()
    cases = [
        make.case(request_received_on=START + timedelta(days=rng.randrange(300))) for _ in range(25)
    ]
    for _ in range(70):
        case = rng.choice(cases)
        provider = rng.choice(providers)
        work_type = rng.choice(["ep_advice", "plan_writing"])
        allocated = case.request_received_on + timedelta(days=rng.randint(0, 200))
        fate = rng.random()
        kw: dict[str, object] = {}
        status = AllocationStatus.ALLOCATED
        sendbacks: list[date] = []
        if fate < 0.1:
            status = AllocationStatus.WITHDRAWN
            kw["withdrawn_on"] = allocated + timedelta(days=rng.randint(0, 60))
        elif fate < 0.2:
            status = AllocationStatus.DECLINED
            kw["declined_on"] = allocated + timedelta(days=rng.randint(0, 10))
        elif fate < 0.85:
            returned = allocated + timedelta(days=rng.randint(0, 70))
            kw["returned_on"] = returned
            status = AllocationStatus.RETURNED
            for _ in range(rng.choice([0, 0, 1, 2])):
                sendbacks.append(returned + timedelta(days=rng.randint(0, 20)))
            if rng.random() < 0.6:
                status = AllocationStatus.ACCEPTED
                kw["accepted_on"] = max([returned, *sendbacks]) + timedelta(days=rng.randint(0, 30))
        if status in OPEN_STATUSES:
            if (case.id, work_type) in open_pairs:
                continue
            open_pairs.add((case.id, work_type))
        work = make.allocation(
            case=case,
            provider=provider,
            contract=contracts.get(provider.id) if rng.random() < 0.8 else None,
            work_type=work_type,
            allocated_on=allocated,
            status=status,
            **kw,
        )
        for day in sorted(sendbacks):
            send_back(work, day, rng.choice(["outcomes_not_smart", "views_missing"]))
    return providers


def _python_figures(provider_id: int | None, first: date, last: date, as_of: date) -> dict:
    end = add_months(last, 1)
    works = [
        a
        for a in db.session.scalars(select(Allocation))
        if provider_id is None or a.provider_id == provider_id
    ]

    def within(day: date | None) -> bool:
        return day is not None and first <= day < end and day <= as_of

    days = sorted((a.returned_on - a.allocated_on).days for a in works if within(a.returned_on))
    accepted = [a for a in works if within(a.accepted_on)]
    requests = [
        s
        for s in db.session.scalars(select(SendBack))
        if within(s.requested_on)
        and (provider_id is None or s.allocation.provider_id == provider_id)
    ]
    clean = [a for a in accepted if not a.amendment_count]
    return {"days": days, "accepted": accepted, "clean": clean, "requests": requests}


def _one_place(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("seed", SEEDS)
def test_league_rows_equal_the_pack_and_plain_python(make, seed):
    rng = random.Random(seed)
    providers = _build(make, rng)
    for _ in range(3):
        as_of = START + timedelta(days=rng.randrange(100, 500))
        first = add_months(START, rng.randrange(8))
        last = add_months(first, rng.randrange(10))
        league = league_table(first, last, as_of, practitioners=True)
        for provider, scope in [(p, Scope(provider=p)) for p in providers] + [(None, Scope())]:
            row = league.provider(provider.id) if provider else league.total
            assert row is not None
            pack = build_pack(scope, first, last, as_of)
            context = (seed, provider and provider.name, first, last, as_of)
            # The same code path as the pack: cohort, flow (with its percentiles) and spend.
            assert (row.allocated, row.returned) == (
                pack.cohort_total.allocated,
                pack.cohort_total.returned,
            ), context
            assert row.flow == pack.flow_total, context
            assert row.counts.cost == sum(m.actual for m in pack.spend), context
            # Percentiles and quality against Python's own reckoning.
            python = _python_figures(provider.id if provider else None, first, last, as_of)
            days = python["days"]
            if days:
                assert row.median_days == statistics.median_low(days), context
                assert row.p90_days == days[math.ceil(0.9 * len(days)) - 1], context
                assert row.mean_days == _one_place(statistics.fmean(days)), context
            else:
                assert (row.median_days, row.p90_days, row.mean_days) == (None, None, None)
            assert row.flow.accepted == len(python["accepted"]), context
            assert row.counts.first_time_right == len(python["clean"]), context
            assert row.counts.sendbacks == len(python["requests"]), context
