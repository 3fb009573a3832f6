"""Contracts in the demo data: `demo seed` echoes the board paper's contract, and `demo
generate` prices every allocation it makes so the money queries have work to do."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, or_, select

from provider_portal.contracts.pricing import price_periods
from provider_portal.contracts.queries import contract_value, headroom
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Contract,
    ContractPrice,
    ContractStatus,
    ContractTurnaround,
    ContractVariation,
    Provider,
    WorkType,
)
from tests.contracts.oracle import defined_price_join
from tests.factories import Factory

TODAY = date(2024, 11, 28)


def _invoke(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def _count(model: type, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _contract(reference: str) -> Contract:
    contract = db.session.scalar(select(Contract).where(Contract.reference == reference))
    assert contract is not None
    return contract


def _prices_paid(contract: Contract) -> dict[Decimal | None, list[date]]:
    """Each price the contract's work was bought at: the earliest and latest allocation."""
    rows = db.session.execute(
        select(
            Allocation.unit_price,
            func.min(Allocation.allocated_on),
            func.max(Allocation.allocated_on),
        )
        .where(Allocation.contract_id == contract.id)
        .group_by(Allocation.unit_price)
    )
    return {price: [first, last] for price, first, last in rows}


@freeze_time("2024-11-28 10:00:00")
def test_seed_creates_the_board_papers_contracts(app: Flask) -> None:
    output = _invoke(app, "seed")
    assert "NPS-EHC-01    Northbrook Psychology Services: £1,496,000.00" in output

    ep = _contract("NPS-EHC-01")
    assert ep.provider.name == "Northbrook Psychology Services"
    # The demo's four months run August to November 2024; the contract to the end of the
    # next financial year.
    assert (ep.start_on, ep.end_on, ep.status) == (
        date(2024, 8, 1),
        date(2026, 3, 31),
        ContractStatus.ACTIVE,
    )
    assert ep.original_value == Decimal("850000.00")
    [variation] = ep.variations
    assert variation.amount == Decimal("646000.00")
    assert variation.reason.startswith("Executive Board decision")
    assert variation.approval_reference == "EB-2024-117"
    assert variation.approved_on == date(2024, 10, 10)
    assert contract_value(ep) == Decimal("1496000.00")
    assert (
        ep.monthly_volume,
        ep.on_time_target_percent,
        ep.max_rework_percent,
        ep.stated_monthly_capacity,
    ) == (100, 90, 10, 110)
    assert [(p.work_type.code, p.effective_from, p.unit_price) for p in ep.prices] == [
        ("ep_advice", date(2024, 8, 1), Decimal("1200.00")),
        ("ep_advice", date(2024, 10, 1), Decimal("1250.00")),
    ]
    assert [(t.work_type.code, t.days) for t in ep.turnarounds] == [("ep_advice", 42)]

    plans = _contract("CPW-PLAN-01")
    assert plans.provider.name == "Clearwater Plan Writing Ltd"
    assert [(t.work_type.code, t.days) for t in plans.turnarounds] == [("plan_writing", 35)]

    # Every demo allocation went under its provider's contract, at the price of its day:
    # work allocated before October at the old price, from October at the new one.
    assert _count(Allocation, Allocation.contract_id.is_(None)) == 0
    mismatched = (
        select(func.count())
        .select_from(Allocation)
        .join(Contract, Contract.id == Allocation.contract_id)
        .where(Contract.provider_id != Allocation.provider_id)
    )
    assert db.session.scalar(mismatched) == 0
    assert _count(Allocation, Allocation.unit_price.is_(None)) == 0
    paid = _prices_paid(ep)
    assert set(paid) == {Decimal("1200.00"), Decimal("1250.00")}
    assert paid[Decimal("1200.00")][1] < date(2024, 10, 1) <= paid[Decimal("1250.00")][0]
    assert set(_prices_paid(plans)) == {Decimal("950.00"), Decimal("975.00")}
    for contract in (ep, plans):
        left = headroom(contract, TODAY)
        assert left.uncosted == 0
        assert left.actual > 0 and left.committed > 0
    # The plan writers' contract is nearly used up: a handful more plans would exceed it.
    assert Decimal("0") < headroom(plans, TODAY).headroom < Decimal("20000")
    # Plan writing is due by the contract's five weeks, not the work type's six.
    plan_due = db.session.execute(
        select(Allocation.allocated_on, Allocation.due_on).where(Allocation.contract_id == plans.id)
    ).all()
    assert plan_due and all(due == allocated + timedelta(days=35) for allocated, due in plan_due)

    counts = {model: _count(model) for model in (Contract, ContractPrice, ContractVariation)}
    assert counts == {Contract: 2, ContractPrice: 4, ContractVariation: 1}
    _invoke(app, "seed")
    assert {model: _count(model) for model in counts} == counts


@freeze_time("2025-11-20 10:00:00")
def test_generate_prices_every_allocation(app: Flask, make: Factory) -> None:
    output = _invoke(app, "generate", "--cases", "300", "--seed", "7")
    # Six providers, each with a contract for every financial year from November 2022.
    assert "6 providers and 24 priced contracts" in output
    assert _count(Contract) == 24
    years = db.session.execute(
        select(
            Contract.provider_id, func.min(Contract.start_on), func.max(Contract.end_on)
        ).group_by(Contract.provider_id)
    ).all()
    assert {(start, end) for _, start, end in years} == {(date(2022, 4, 1), date(2026, 3, 31))}
    assert _count(Contract, Contract.status == ContractStatus.ACTIVE) == 6
    assert (
        _count(
            Contract,
            Contract.status == ContractStatus.ACTIVE,
            Contract.start_on == date(2025, 4, 1),
        )
        == 6
    )

    work_types = _count(WorkType)
    assert _count(ContractPrice) == 24 * work_types * 2  # a price from April, another from October
    assert _count(ContractTurnaround) == 24 * work_types

    # Every allocation is under its own provider's contract for the year it was allocated in,
    # and has a price: the money reports have every allocation to add up.
    assert _count(Allocation) > 300
    assert _count(Allocation, Allocation.contract_id.is_(None)) == 0
    wrong = (
        select(func.count())
        .select_from(Allocation)
        .join(Contract, Contract.id == Allocation.contract_id)
        .where(
            or_(
                Contract.provider_id != Allocation.provider_id,
                Allocation.allocated_on < Contract.start_on,
                Allocation.allocated_on > Contract.end_on,
            )
        )
    )
    assert db.session.scalar(wrong) == 0
    # Each allocation keeps the price in force on its day, as allocate() would have set it.
    assert _count(Allocation, Allocation.unit_price.is_(None)) == 0
    periods = price_periods()
    repriced = (
        select(func.count())
        .select_from(Allocation)
        .outerjoin(periods, defined_price_join(periods))
        .where(or_(periods.c.unit_price.is_(None), periods.c.unit_price != Allocation.unit_price))
    )
    assert db.session.scalar(repriced) == 0

    # Values are whole thousands of pounds; the first provider's current contract was varied.
    values = list(db.session.scalars(select(Contract.original_value)))
    assert all(value >= Decimal("10000") and value % 1000 == 0 for value in values)
    [variation] = db.session.scalars(select(ContractVariation)).all()
    varied = variation.contract
    first_provider = db.session.scalar(select(func.min(Provider.id)))
    assert (varied.provider_id, varied.start_on) == (first_provider, date(2025, 4, 1))
    assert variation.amount > 0 and variation.reason.startswith("Executive Board decision")

    # Explicit ids must not trip the next ordinary insert (PostgreSQL's sequences).
    contract = make.contract(prices={"ep_advice": "100"})
    assert contract.id > 24
    assert _count(ContractPrice, ContractPrice.contract_id == contract.id) == 1
