"""The allocation pages' one-query contract figures agree with contracts.services.headrooms,
and the choice of contract for new work follows the contract rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from provider_portal.contracts.allocating import (
    allocation_choices,
    choose_contract,
    contract_costs,
    is_current,
    provider_contract_costs,
)
from provider_portal.contracts.queries import Headroom, headrooms
from provider_portal.errors import ContractError
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, Contract, ContractStatus, ContractVariation

TODAY = date(2026, 11, 23)


def _vary(contract, amount: str, approved_on: date) -> None:
    db.session.add(
        ContractVariation(
            contract=contract,
            approved_on=approved_on,
            amount=Decimal(amount),
            reason="Board decision",
            approval_reference="EB-9",
        )
    )
    db.session.commit()


@pytest.fixture
def contracts(make):
    """A: £10,000, +£2,000 approved in June, +£500 approved after today (not counted yet);
    EP £1,000 until October, £1,100 from October. Work: accepted at £1,000 (actual); open
    at £1,100 (committed); withdrawn and declined (nothing); plan writing with no price
    (uncosted, counted). Left: £12,000 − £1,000 − £1,100 = £9,900.
    B: another provider's, nothing under it. C: suspended."""
    first, second = make.provider("First"), make.provider("Second")
    current = {"start_on": date(2026, 4, 1), "end_on": date(2027, 3, 31)}
    a = make.contract(
        provider=first, reference="A", value="10000", prices={"ep_advice": "1000"}, **current
    )
    make.price(a, "ep_advice", "1100", date(2026, 10, 1))
    _vary(a, "2000", date(2026, 6, 1))
    _vary(a, "500", date(2026, 12, 1))
    b = make.contract(provider=second, reference="B", value="300", **current)
    c = make.contract(provider=first, reference="C", status=ContractStatus.SUSPENDED, **current)
    make.allocation(
        provider=first,
        contract=a,
        allocated_on=date(2026, 9, 1),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2026, 9, 20),
        accepted_on=date(2026, 9, 25),
    )
    make.allocation(provider=first, contract=a, allocated_on=date(2026, 10, 1))
    make.allocation(
        provider=first,
        contract=a,
        allocated_on=date(2026, 10, 2),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2026, 10, 3),
    )
    make.allocation(
        provider=first,
        contract=a,
        allocated_on=date(2026, 10, 2),
        status=AllocationStatus.DECLINED,
        declined_on=date(2026, 10, 3),
    )
    make.allocation(
        provider=first, contract=a, work_type="plan_writing", allocated_on=date(2026, 10, 5)
    )
    make.allocation(provider=first, contract=c, allocated_on=date(2026, 10, 5))
    return {"first": first, "second": second, "a": a, "b": b, "c": c}


@freeze_time("2026-11-23 12:00:00")
def test_figures_by_hand_and_as_the_contract_service_has_them(make, contracts):
    expected_a = Headroom(Decimal("12000.00"), Decimal("1000.00"), Decimal("1100.00"), 1)
    choices = allocation_choices(TODAY)
    assert [(c.provider.name, [x.contract.reference for x in c.contracts]) for c in choices] == [
        ("First", ["A"]),
        ("Second", ["B"]),
    ]
    from_choices = {x.contract.id: x.headroom for c in choices for x in c.contracts}
    assert from_choices[contracts["a"].id] == expected_a
    assert from_choices[contracts["a"].id].headroom == Decimal("9900.00")
    assert from_choices[contracts["b"].id] == Headroom(
        Decimal("300.00"), Decimal("0"), Decimal("0"), 0
    )
    every = contract_costs(is_current(TODAY) | (Contract.id == contracts["c"].id), TODAY)
    assert {x.contract.id: x.headroom for x in every} == headrooms(
        TODAY, [contracts[k].id for k in "abc"]
    )


@freeze_time("2026-11-23 12:00:00")
def test_price_and_cost_of_the_work(make, contracts):
    [cost] = provider_contract_costs(contracts["first"], make.work_type("ep_advice"), 3, TODAY)
    assert (cost.unit_price, cost.total, cost.left_after) == (
        Decimal("1100.00"),
        Decimal("3300.00"),
        Decimal("6600.00"),
    )
    assert not cost.exceeds and cost.over_by == Decimal("0")
    [unpriced] = provider_contract_costs(
        contracts["first"], make.work_type("plan_writing"), 3, TODAY
    )
    assert unpriced.unit_price is None and unpriced.total is None
    assert not unpriced.exceeds and unpriced.left_after == Decimal("9900.00")
    [big] = provider_contract_costs(contracts["first"], make.work_type("ep_advice"), 10, TODAY)
    assert big.exceeds and big.over_by == Decimal("1100.00")
    assert big.warning() == (
        "This allocation costs £11,000.00. The contract has £9,900.00 left. "
        "It would be £1,100.00 over."
    )


def test_choosing_a_contract(make, contracts):
    first, second = contracts["first"], contracts["second"]
    a, b, c = contracts["a"], contracts["b"], contracts["c"]
    assert choose_contract(first, TODAY, None, [a]) is a
    assert choose_contract(first, TODAY, None, []) is None
    assert choose_contract(first, TODAY, a, [a]) is a
    for chosen, provider, message in (
        (b, first, "Contract B is not with First"),
        (c, first, "Contract C is suspended"),
        (a, second, "Contract A is not with Second"),
    ):
        with pytest.raises(ContractError) as error:
            choose_contract(provider, TODAY, chosen, [])
        assert (str(error.value), error.value.field) == (message, "contract")
    with pytest.raises(ContractError) as error:
        choose_contract(first, date(2027, 4, 1), a, [])
    assert str(error.value) == "Contract A runs from 1 April 2026 to 31 March 2027"
    with pytest.raises(ContractError) as error:
        choose_contract(first, TODAY, None, [a, c])
    assert str(error.value) == (
        "Select the contract: First has more than one current contract (A, C)"
    )
