"""The price each piece of work was bought at, and when it counts as committed or actual."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from provider_portal.contracts.pricing import (
    actual_on,
    committed_on,
    financial_year_of,
    price_periods,
    sum_if,
)
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, ContractPrice
from tests.contracts.oracle import defined_price_join


def _price_of(allocation: Allocation) -> Decimal | None:
    periods = price_periods()
    return db.session.scalar(
        select(periods.c.unit_price)
        .select_from(Allocation)
        .outerjoin(periods, defined_price_join(periods))
        .where(Allocation.id == allocation.id)
    )


def test_money_is_stored_as_whole_pence_and_read_back_exactly(make):
    contract = make.contract(value="1496000.10", prices={"ep_advice": "1234.56"})
    db.session.expire_all()
    assert contract.original_value == Decimal("1496000.10")
    stored = db.session.execute(
        select(ContractPrice.__table__.c.unit_price).where(ContractPrice.contract_id == contract.id)
    ).scalar_one()
    assert stored == Decimal("1234.56")
    raw = db.session.connection().exec_driver_sql("SELECT unit_price FROM contract_price").scalar()
    assert raw == 123456


@pytest.mark.parametrize("bad", ["0.001", "12.345"])
def test_fractions_of_a_penny_are_refused(make, bad):
    contract = make.contract()
    contract.original_value = Decimal(bad)
    with pytest.raises(Exception, match="whole number of pence"):
        db.session.flush()
    db.session.rollback()


def test_floats_are_refused(make):
    contract = make.contract()
    contract.original_value = 10.5  # type: ignore[assignment]
    with pytest.raises(Exception, match="never a float"):
        db.session.flush()
    db.session.rollback()


def test_a_price_change_applies_from_its_date_and_earlier_work_keeps_its_price(make):
    contract = make.contract(prices={"ep_advice": "1000"}, start_on=date(2024, 4, 1))
    make.price(contract, "ep_advice", "1100", date(2024, 9, 1))
    make.price(contract, "ep_advice", "1250", date(2025, 4, 1))
    on = {
        day: make.allocation(provider=contract.provider, contract=contract, allocated_on=day)
        for day in (
            date(2024, 4, 1),
            date(2024, 8, 31),
            date(2024, 9, 1),
            date(2025, 3, 31),
            date(2025, 4, 1),
        )
    }
    assert [_price_of(a) for a in on.values()] == [
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("1100.00"),
        Decimal("1100.00"),
        Decimal("1250.00"),
    ]


def test_work_without_a_contract_or_before_the_first_price_is_not_costed(make):
    contract = make.contract(prices={"ep_advice": "1000"}, prices_from=date(2024, 6, 1))
    early = make.allocation(
        provider=contract.provider, contract=contract, allocated_on=date(2024, 5, 31)
    )
    other_type = make.allocation(
        provider=contract.provider, contract=contract, work_type="plan_writing"
    )
    uncontracted = make.allocation(provider=contract.provider)
    assert _price_of(early) is None
    assert _price_of(other_type) is None
    assert _price_of(uncontracted) is None


def _spend(as_of: date) -> tuple[Decimal, Decimal]:
    periods = price_periods()
    price = periods.c.unit_price
    committed, actual = db.session.execute(
        select(sum_if(committed_on(as_of), price), sum_if(actual_on(as_of), price))
        .select_from(Allocation)
        .outerjoin(periods, defined_price_join(periods))
    ).one()
    return Decimal(committed), Decimal(actual)


def test_committed_until_accepted_and_nothing_once_withdrawn_or_declined(make):
    contract = make.contract(prices={"ep_advice": "1000", "plan_writing": "700"})
    p = contract.provider
    make.allocation(
        provider=p,
        contract=contract,
        allocated_on=date(2024, 8, 1),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 9, 1),
        accepted_on=date(2024, 9, 10),
    )
    make.allocation(
        provider=p,
        contract=contract,
        work_type="plan_writing",
        allocated_on=date(2024, 8, 5),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2024, 8, 20),
    )
    make.allocation(
        provider=p,
        contract=contract,
        allocated_on=date(2024, 8, 6),
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 8, 7),
    )
    make.allocation(
        provider=p, contract=contract, work_type="plan_writing", allocated_on=date(2024, 9, 2)
    )
    # Before anything was allocated.
    assert _spend(date(2024, 7, 31)) == (Decimal(0), Decimal(0))
    # 6 August: three pieces allocated, none closed yet.
    assert _spend(date(2024, 8, 6)) == (Decimal("2700.00"), Decimal(0))
    # 7 August: the decline takes its £1,000 out of committed.
    assert _spend(date(2024, 8, 7)) == (Decimal("1700.00"), Decimal(0))
    # 20 August: the withdrawal takes £700 out.
    assert _spend(date(2024, 8, 20)) == (Decimal("1000.00"), Decimal(0))
    # 9 September: the plan writing allocated on the 2nd is committed too.
    assert _spend(date(2024, 9, 9)) == (Decimal("1700.00"), Decimal(0))
    # 10 September: acceptance moves £1,000 from committed to actual.
    assert _spend(date(2024, 9, 10)) == (Decimal("700.00"), Decimal("1000.00"))


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 3, 31), 2024),
        (date(2025, 4, 1), 2025),
        (date(2025, 12, 31), 2025),
        (date(2026, 1, 1), 2025),
        (date(2024, 2, 29), 2023),
    ],
)
def test_financial_year_in_sql_matches_python(make, day, year):
    from provider_portal.timescales import financial_year

    allocation = make.allocation(allocated_on=day)
    in_sql = db.session.scalar(
        select(financial_year_of(Allocation.allocated_on)).where(Allocation.id == allocation.id)
    )
    assert int(in_sql) == year == financial_year(day)


def test_the_stored_price_follows_prices_added_after_the_work_was_allocated(make):
    """allocate() stores the price in force; a price added later (even backdated) reprices
    exactly the work allocated from its date, and the column always matches the price rows."""
    from provider_portal.allocations.services import allocate
    from provider_portal.contracts.services import set_price

    contract = make.contract(start_on=date(2024, 4, 1))
    ep = make.work_type("ep_advice")
    days = [date(2024, 5, 1), date(2024, 7, 1), date(2024, 9, 1)]
    work = [
        allocate(make.case(), contract.provider, ep, actor=None, allocated_on=day) for day in days
    ]
    db.session.commit()
    assert [a.unit_price for a in work] == [None, None, None]

    set_price(contract, ep, Decimal("900"), date(2024, 4, 1), actor=None)
    db.session.commit()
    assert [a.unit_price for a in work] == [Decimal("900.00")] * 3

    set_price(contract, ep, Decimal("950.50"), date(2024, 7, 1), actor=None)
    db.session.commit()
    assert [a.unit_price for a in work] == [
        Decimal("900.00"),
        Decimal("950.50"),
        Decimal("950.50"),
    ]
    later = allocate(make.case(), contract.provider, ep, actor=None, allocated_on=date(2024, 8, 1))
    assert later.unit_price == Decimal("950.50")
    # Another work type's prices leave this one alone.
    set_price(contract, make.work_type("plan_writing"), Decimal("1"), date(2024, 4, 1), actor=None)
    db.session.commit()
    assert [_price_of(a) for a in [*work, later]] == [a.unit_price for a in [*work, later]]


def test_financial_year_in_sql_for_the_first_and_last_day_of_every_month(make):
    from provider_portal.timescales import add_months, financial_year

    days = [date(2024, 2, 29), date(2028, 2, 29)]
    for index in range(24):
        first = add_months(date(2024, 1, 1), index)
        days += [first, add_months(first, 1) - timedelta(days=1)]
    provider = make.provider()
    work = [make.allocation(provider=provider, allocated_on=day) for day in days]
    in_sql = dict(
        db.session.execute(
            select(Allocation.id, financial_year_of(Allocation.allocated_on)).where(
                Allocation.provider_id == provider.id
            )
        ).all()
    )
    assert {a.allocated_on: int(in_sql[a.id]) for a in work} == {
        day: financial_year(day) for day in days
    }
