"""The work counted by day (AllocationDay) and the cohort's counts (CohortDay): kept equal to
the allocations through random writes (new work, repricing, changes made without reading the
old values first, a provider or contract moved by its relationship, statuses changed with and
without their dates, work deleted, rows inserted without the ORM), and the pack's figures read
from them (flow events, burn-down, spend, the cohort) equal to their definitions worked out in
Python from the allocations, for every kind of scope and random months and dates."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provider_portal.allocations import summary as work_counts
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationDay, AllocationStatus, CohortDay, Contract
from provider_portal.models.work import NO_CONTRACT
from provider_portal.reports.day_counts import (
    accepted_by_financial_year,
    accepted_by_year,
    allocated_by_provider,
    flow_events,
    outstanding_on_days,
    spend_by_year_and_contract,
)
from provider_portal.reports.monthly.queries import cohort_counts_by, counted_cohort
from provider_portal.reports.pack.figures import burn_down_days
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import spend_by_month
from provider_portal.summaries import differences
from provider_portal.timescales import add_months, financial_year, month_end, months_between
from tests.reports.test_reports_randomised import _build, _day, _in_scope

SEEDS = range(4)


def _earliest(*days: date | None) -> date | None:
    found = [day for day in days if day is not None]
    return min(found) if found else None


def _open_on(a: Allocation, day: date) -> bool:
    ended = _earliest(a.returned_on, a.withdrawn_on, a.declined_on)
    return a.allocated_on <= day and (ended is None or ended > day)


def _committed_on(a: Allocation, day: date) -> Decimal:
    settled = _earliest(a.accepted_on, a.withdrawn_on, a.declined_on)
    if a.unit_price is None or a.allocated_on > day or (settled is not None and settled <= day):
        return Decimal(0)
    return a.unit_price


def _left_by(a: Allocation, day: date) -> bool:
    """Withdrawn or declined by the day, by its status (older records without the date
    always count as gone)."""
    for status, on in (
        (AllocationStatus.WITHDRAWN, a.withdrawn_on),
        (AllocationStatus.DECLINED, a.declined_on),
    ):
        if a.status == status and (on is None or on <= day):
            return True
    return False


def _random_changes(make, rng: random.Random, world) -> None:
    """Changes as the services make them, and some they never make, to hold the counts to any
    change the ORM writes."""
    work = db.session.scalars(select(Allocation).order_by(Allocation.id)).all()
    contracts = db.session.scalars(select(Contract)).all()
    db.session.commit()  # every attribute expired: the changes below set them unread
    for allocation in rng.sample(work, 8):
        allocation.withdrawn_on = allocation.allocated_on + timedelta(days=rng.randint(0, 90))
    for allocation in rng.sample(work, 5):
        allocation.returned_on = allocation.allocated_on + timedelta(days=rng.randint(0, 40))
        allocation.accepted_on = None
    for allocation in rng.sample(work, 4):
        allocation.unit_price = Decimal(rng.randint(500, 1500))
    for allocation in rng.sample(work, 3):
        allocation.contract = rng.choice([*contracts, None])
    for allocation in rng.sample(work, 2):
        allocation.provider = make.provider(f"Moved {allocation.id}")
    # Statuses that take work out of its month's cohort, with a date, without one (older
    # records), with one before the allocation; and returns dated before the allocation.
    for allocation in rng.sample(work, 6):
        allocation.status = rng.choice([AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED])
        on = rng.choice([None, allocation.allocated_on + timedelta(days=rng.randint(-5, 60))])
        if allocation.status == AllocationStatus.WITHDRAWN:
            allocation.withdrawn_on = on
        else:
            allocation.declined_on = on
    for allocation in rng.sample(work, 2):
        allocation.returned_on = allocation.allocated_on - timedelta(days=rng.randint(0, 3))
    db.session.commit()
    db.session.delete(rng.choice(work))
    db.session.flush()
    # A day of work changed in one flush and again in the next, then rolled back.
    one = rng.choice(work)
    if one in db.session:
        one.declined_on = one.allocated_on
        db.session.flush()
        one.declined_on = None
        db.session.flush()
    db.session.commit()
    savepoint_work = rng.choice(db.session.scalars(select(Allocation)).all())
    savepoint = db.session.begin_nested()
    savepoint_work.accepted_on = savepoint_work.allocated_on + timedelta(days=200)
    db.session.flush()
    savepoint.rollback()
    db.session.commit()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_counts_follow_random_writes_and_give_the_definitions(make, seed):
    rng = random.Random(seed)
    world = _build(make, rng)
    assert differences(work_counts.SUMMARY) == []
    assert differences(work_counts.COHORT) == []
    _random_changes(make, rng, world)
    assert differences(work_counts.SUMMARY) == []
    assert differences(work_counts.COHORT) == []

    work = db.session.scalars(select(Allocation)).all()
    for _ in range(6):
        first = date(2024, rng.randrange(1, 13), 1)
        last = add_months(first, rng.randrange(14))
        as_of = _day(rng, first - timedelta(days=30), 600)
        months = months_between(first, last)
        for scope in world.scopes:
            mine = [a for a in work if _in_scope(a, scope)]
            days = burn_down_days(first, last, as_of)
            assert outstanding_on_days(scope, days) == [
                sum(1 for a in mine if _open_on(a, day)) for day in days
            ]

            cohort: dict[tuple, list[int]] = {}
            for a in mine:
                if first <= a.allocated_on < add_months(last, 1) and a.allocated_on <= as_of:
                    if not _left_by(a, as_of):
                        row = cohort.setdefault(
                            (a.allocated_on.replace(day=1), a.work_type_id), [0, 0]
                        )
                        row[0] += 1
                        row[1] += a.returned_on is not None and a.returned_on <= as_of
            scoped = {"provider": scope.provider, "contract": scope.contract}
            counted = counted_cohort(first, last, as_of, **scoped, by_work_type=True)
            assert {k: [r.allocated, r.returned] for k, r in counted.items()} == cohort
            assert counted == cohort_counts_by(
                (Allocation.work_type_id,), first, last, as_of, **scoped
            )

            events = Counter()
            for a in mine:
                for kind, day in (
                    ("accepted", a.accepted_on),
                    ("declined", a.declined_on),
                    ("withdrawn", a.withdrawn_on),
                ):
                    if day is not None and first <= day < add_months(last, 1) and day <= as_of:
                        events[(kind, day.replace(day=1))] += 1
            assert flow_events(scope, first, last, as_of) == dict(events)

            by_year: dict[int, Decimal] = {}
            for a in mine:
                if a.unit_price is not None and a.accepted_on and a.accepted_on <= as_of:
                    year = financial_year(a.accepted_on)
                    by_year[year] = by_year.get(year, Decimal(0)) + a.unit_price
            assert accepted_by_financial_year(scope, as_of) == by_year

            committed: dict[tuple, Decimal] = {}
            actual: dict[tuple, Decimal] = {}
            accepted: dict[tuple, list] = {}
            for a in mine:
                who = (a.contract_id or NO_CONTRACT, a.provider_id, a.work_type_id)
                if a.unit_price is not None and _committed_on(a, as_of):
                    key = (financial_year(a.allocated_on), *who)
                    committed[key] = committed.get(key, Decimal(0)) + a.unit_price
                if a.accepted_on is not None and a.accepted_on <= as_of:
                    year = financial_year(a.accepted_on)
                    counts = accepted.setdefault((year, a.provider_id, a.work_type_id), [0, 0, 0])
                    if a.unit_price is None:
                        counts[2] += 1
                    else:
                        counts[0] += 1
                        counts[1] += a.unit_price
                        actual[(year, *who)] = actual.get((year, *who), 0) + a.unit_price
            assert spend_by_year_and_contract(as_of, scope) == (committed, actual)
            assert accepted_by_year(as_of, scope) == {k: tuple(v) for k, v in accepted.items()}
            if scope.contract is None and scope.provider is None:
                first_days: dict[int, list[date]] = {}
                for a in mine:
                    if a.allocated_on <= as_of:
                        first_days.setdefault(a.provider_id, []).append(a.allocated_on)
                assert allocated_by_provider(as_of) == {
                    p: (len(days), min(days)) for p, days in first_days.items()
                }

            accepted_by = min(month_end(months[-1]), as_of)
            running = sum(
                (
                    a.unit_price
                    for a in mine
                    if a.unit_price is not None
                    and a.accepted_on is not None
                    and a.accepted_on < first
                    and a.accepted_on <= accepted_by
                ),
                Decimal(0),
            )
            for row in spend_by_month(scope, first, last, as_of):
                actual = sum(
                    (
                        a.unit_price
                        for a in mine
                        if a.unit_price is not None
                        and a.accepted_on is not None
                        and a.accepted_on.replace(day=1) == row.month
                        and a.accepted_on <= accepted_by
                    ),
                    Decimal(0),
                )
                running += actual
                end = min(month_end(row.month), as_of)
                assert row.actual == actual
                assert row.committed == sum((_committed_on(a, end) for a in mine), Decimal(0))
                assert row.cumulative_actual == running


def test_imported_and_generated_rows_are_counted_by_their_own_steps(make):
    """Rows inserted without the ORM are counted by add_rows (the import) or rebuild (the
    demo); until then check-summaries would find them missing."""
    world = _build(make, random.Random(9))
    provider = world.scopes[1].provider
    rows = [
        {
            "case_id": make.case(f"INSERTED-{n}").id,
            "provider_id": provider.id,
            "work_type_id": make.work_type("plan_writing").id,
            "contract_id": None,
            "unit_price": Decimal("1250.00"),
            "allocated_on": date(2024, 5, n),
            "due_on": date(2024, 7, 1),
            "status": AllocationStatus.RETURNED,
            "returned_on": date(2024, 6, n),
            "accepted_on": None,
            "withdrawn_on": None,
            "declined_on": None,
            "amendment_count": 0,
            "version": 1,
        }
        for n in (1, 2)
    ]
    db.session.execute(Allocation.__table__.insert(), rows)
    assert len(differences(work_counts.SUMMARY)) == 4  # allocated and ended, on each day
    assert len(differences(work_counts.COHORT)) == 4  # allocated and returned, on each day
    work_counts.add_rows(rows)
    db.session.commit()
    assert differences(work_counts.SUMMARY) == []
    assert differences(work_counts.COHORT) == []
    db.session.execute(AllocationDay.__table__.delete())
    db.session.execute(CohortDay.__table__.delete())
    work_counts.rebuild()
    db.session.commit()
    assert differences(work_counts.SUMMARY) == []
    assert differences(work_counts.COHORT) == []
    scope = Scope(provider=provider)
    assert outstanding_on_days(scope, [date(2024, 5, 1), date(2024, 6, 1)]) == [
        sum(
            1
            for a in db.session.scalars(select(Allocation))
            if _in_scope(a, scope) and _open_on(a, day)
        )
        for day in (date(2024, 5, 1), date(2024, 6, 1))
    ]
