"""The contract services: money typed by people, headroom, which contract new work goes under,
the contract's turnaround on allocation, and changing a contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from provider_portal.allocations.services import allocate
from provider_portal.contracts.allocating import contract_for
from provider_portal.contracts.money import parse_money
from provider_portal.contracts.queries import (
    headroom,
    headrooms,
    price_schedule,
    turnaround_targets,
    value_history,
)
from provider_portal.contracts.services import (
    add_variation,
    create_contract,
    set_price,
    set_turnaround,
    update_contract,
)
from provider_portal.errors import AllocationError, ContractError, StaleContract
from provider_portal.extensions import db
from provider_portal.formatting import format_money
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    Contract,
    ContractStatus,
    ContractVariation,
    WorkType,
)

# --- money typed by people ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("£1,496,000", Decimal("1496000.00")),
        ("850000", Decimal("850000.00")),
        (" 1250.50 ", Decimal("1250.50")),
        ("£ 646,000.00", Decimal("646000.00")),
        ("-50000", Decimal("-50000.00")),
        ("0.01", Decimal("0.01")),
        (Decimal("12.3"), Decimal("12.30")),
        (7, Decimal("7.00")),
    ],
)
def test_parse_money_reads_pounds_as_people_write_them(text, pounds):
    value = parse_money(text)
    assert value == pounds
    assert value.as_tuple().exponent == -2  # always pounds and pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.001", "no more than 2 decimal places"),
        ("12.345", "no more than 2 decimal places"),
        ("", "Enter the amount"),
        ("   ", "Enter the amount"),
        (None, "Enter the amount"),
        ("twelve", "in pounds, like 850000"),
        ("NaN", "in pounds, like"),
        ("Infinity", "in pounds, like"),
        ("100000000", "under £100,000,000"),
        ("12,34.5.6", "in pounds, like"),
    ],
)
def test_parse_money_refuses_what_is_not_pounds_and_pence(text, message):
    with pytest.raises(ContractError, match=message):
        parse_money(text)


def test_format_money():
    assert format_money(Decimal("1496000")) == "£1,496,000.00"
    assert format_money(Decimal("-1000.5")) == "−£1,000.50"
    assert format_money(None) == "Not costed"


def test_the_money_column_refuses_floats_and_fractions_of_a_penny(make):
    contract = make.contract()
    contract.original_value = 850000.0  # type: ignore[assignment]
    with pytest.raises(StatementError, match="never a float"):
        db.session.flush()
    db.session.rollback()
    contract = db.session.get(Contract, contract.id)
    contract.original_value = Decimal("0.001")
    with pytest.raises(StatementError, match="whole number of pence"):
        db.session.flush()
    db.session.rollback()


# --- headroom ----------------------------------------------------------------------------------


@pytest.fixture
def priced_contract(make):
    """£10,000 contract, EP advice at £1,000 from 1 April 2024 and £1,200 from 1 September 2024,
    plan writing at £700; a +£2,500 and a −£500 variation."""
    contract = make.contract(
        reference="HR-1",
        value="10000",
        start_on=date(2024, 4, 1),
        end_on=date(2026, 3, 31),
        prices={"ep_advice": "1000", "plan_writing": "700"},
    )
    make.price(contract, "ep_advice", "1200", date(2024, 9, 1))
    for amount, approved in (("2500", date(2024, 10, 1)), ("-500", date(2024, 12, 1))):
        db.session.add(
            ContractVariation(
                contract=contract,
                amount=Decimal(amount),
                approved_on=approved,
                reason="Change",
                approval_reference="Board",
            )
        )
    db.session.commit()
    p = contract.provider
    # Accepted on 10 September, allocated before the price change: £1,000 actual.
    make.allocation(
        provider=p,
        contract=contract,
        allocated_on=date(2024, 8, 1),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 9, 1),
        accepted_on=date(2024, 9, 10),
    )
    # Accepted on 20 November, allocated after the change: £1,200 actual from then.
    make.allocation(
        provider=p,
        contract=contract,
        allocated_on=date(2024, 9, 2),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 10, 1),
        accepted_on=date(2024, 11, 20),
    )
    # Open EP advice from after the change: £1,200 committed.
    make.allocation(provider=p, contract=contract, allocated_on=date(2024, 10, 1))
    # Open plan writing, returned but not accepted: £700 committed.
    make.allocation(
        provider=p,
        contract=contract,
        work_type="plan_writing",
        allocated_on=date(2024, 8, 15),
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 9, 20),
    )
    # Withdrawn and declined work: nothing once closed.
    make.allocation(
        provider=p,
        contract=contract,
        allocated_on=date(2024, 8, 5),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2024, 8, 20),
    )
    make.allocation(
        provider=p,
        contract=contract,
        work_type="plan_writing",
        allocated_on=date(2024, 9, 5),
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 9, 6),
    )
    # Occupational therapy has no price: counted, not costed.
    make.allocation(
        provider=p, contract=contract, work_type="ot_advice", allocated_on=date(2024, 10, 2)
    )
    # Work under another contract and work with no contract do not count here.
    other = make.contract(provider=p, reference="HR-2", prices={"ep_advice": "5000"})
    make.allocation(provider=p, contract=other, allocated_on=date(2024, 8, 1))
    make.allocation(provider=p, allocated_on=date(2024, 8, 1))
    return contract, other


def test_headroom_from_a_hand_made_dataset(priced_contract):
    contract, other = priced_contract
    figures = headroom(contract, date(2024, 12, 31))
    # Value: 10,000 + 2,500 − 500.
    assert figures.value == Decimal("12000.00")
    # Actual: 1,000 (old price) + 1,200 (new price).
    assert figures.actual == Decimal("2200.00")
    # Committed: open EP advice 1,200 + returned plan writing 700.
    assert figures.committed == Decimal("1900.00")
    assert figures.headroom == Decimal("7900.00")
    assert figures.uncosted == 1
    assert headroom(other, date(2024, 12, 31)).committed == Decimal("5000.00")


def test_headroom_on_earlier_days(priced_contract):
    contract, _ = priced_contract
    # 6 August: the EP advice (£1,000), the withdrawn work (not yet withdrawn, £1,000).
    early = headroom(contract, date(2024, 8, 6))
    assert (early.actual, early.committed) == (Decimal("0"), Decimal("2000.00"))
    # 10 September: first acceptance £1,000; committed: plan writing 700, EP from 2 September
    # at 1,200 (the declined one closed on the 6th, the withdrawn one on 20 August).
    september = headroom(contract, date(2024, 9, 10))
    assert september.actual == Decimal("1000.00")
    assert september.committed == Decimal("1900.00")
    # The value then: the variations of 1 October and 1 December were not yet approved.
    assert september.value == Decimal("10000.00")
    assert headroom(contract, date(2024, 9, 30)).value == Decimal("10000.00")
    assert headroom(contract, date(2024, 10, 1)).value == Decimal("12500.00")
    assert headroom(contract, date(2024, 12, 1)).value == Decimal("12000.00")


def test_headrooms_gives_every_contract_in_one_query(priced_contract, make, count_queries):
    contract, other = priced_contract
    idle = make.contract(reference="HR-3", value="500")
    count_queries.clear()
    figures = headrooms(date(2024, 12, 31))
    assert len([q for q in count_queries if q.lstrip().upper().startswith("SELECT")]) == 1
    assert figures[contract.id] == headroom(contract, date(2024, 12, 31))
    assert figures[other.id].committed == Decimal("5000.00")
    assert figures[idle.id].value == Decimal("500.00")
    assert figures[idle.id].actual == figures[idle.id].committed == Decimal("0")
    assert figures[idle.id].headroom == Decimal("500.00")
    assert set(headrooms(date(2024, 12, 31), [idle.id])) == {idle.id}
    assert headrooms(date(2024, 12, 31), []) == {}


# --- which contract new work goes under ---------------------------------------------------------


def test_contract_for_a_provider_with_none_one_or_two_current_contracts(make):
    provider = make.provider("Lakeside EP")
    day = date(2025, 1, 15)
    assert contract_for(provider, day) is None
    # Not current: suspended, ended, finished already, not started yet.
    make.contract(provider=provider, reference="S", status=ContractStatus.SUSPENDED)
    make.contract(provider=provider, reference="E", status=ContractStatus.ENDED)
    make.contract(
        provider=provider, reference="OLD", start_on=date(2023, 1, 1), end_on=date(2025, 1, 14)
    )
    make.contract(
        provider=provider, reference="LATER", start_on=date(2025, 1, 16), end_on=date(2025, 6, 1)
    )
    assert contract_for(provider, day) is None
    one = make.contract(provider=provider, reference="ONE", start_on=day, end_on=date(2026, 3, 31))
    # Its first and last days count.
    assert contract_for(provider, day) == one
    assert contract_for(provider, date(2026, 3, 31)) == one
    assert contract_for(provider, date(2026, 4, 1)) is None
    two = make.contract(provider=provider, reference="TWO")
    with pytest.raises(ContractError, match=r"more than one current contract \(ONE, TWO\)"):
        contract_for(provider, day)
    assert contract_for(provider, day, chosen=two) == two


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": ContractStatus.SUSPENDED}, "is suspended"),
        ({"status": ContractStatus.ENDED}, "is ended"),
        ({"end_on": date(2025, 1, 14)}, "runs from 1 April 2024 to 14 January 2025"),
    ],
)
def test_a_chosen_contract_must_be_current(make, kwargs, message):
    provider = make.provider()
    contract = make.contract(provider=provider, reference="X", **kwargs)
    with pytest.raises(ContractError, match=message):
        contract_for(provider, date(2025, 1, 15), chosen=contract)


def test_a_chosen_contract_must_be_the_providers(make):
    contract = make.contract(reference="THEIRS")
    other = make.provider("Someone Else")
    with pytest.raises(ContractError, match="is not with Someone Else"):
        contract_for(other, date(2025, 1, 15), chosen=contract)


@freeze_time("2025-01-15")
def test_allocating_under_a_contract_uses_its_turnaround(make):
    contract = make.contract(reference="TURN")
    ep = make.work_type("ep_advice")
    plan = make.work_type("plan_writing")
    set_turnaround(contract, ep, 28, actor=None)
    db.session.commit()
    case = make.case()
    advice = allocate(case, contract.provider, ep, actor=None)
    # Plan writing has no contract target: the work type's own 42 days.
    draft = allocate(case, contract.provider, plan, actor=None)
    db.session.commit()
    assert advice.contract == contract and draft.contract == contract
    assert advice.due_on == date(2025, 2, 12)  # 15 January + 28 days
    assert draft.due_on == date(2025, 2, 26)  # + 42 days
    # With no current contract the work is uncontracted, due by the work type's turnaround.
    loose = allocate(make.case(), make.provider(), ep, actor=None)
    assert loose.contract is None and loose.due_on == date(2025, 2, 26)


@freeze_time("2025-01-15")
def test_allocating_to_a_provider_with_two_contracts_needs_a_choice(make):
    provider = make.provider()
    make.contract(provider=provider, reference="A")
    b = make.contract(provider=provider, reference="B")
    ep = make.work_type("ep_advice")
    with pytest.raises(AllocationError, match="choose one"):
        allocate(make.case(), provider, ep, actor=None)
    db.session.rollback()
    allocation = allocate(make.case(), provider, ep, actor=None, contract=b)
    assert allocation.contract == b


# --- letting and changing contracts ----------------------------------------------------------


def _create(make, **overrides):
    values = {
        "reference": "SEND-EP-01",
        "title": "Locum EP advice",
        "provider": overrides.pop("provider", None) or make.provider("Lakeside EP"),
        "start_on": date(2024, 4, 1),
        "end_on": date(2026, 3, 31),
        "original_value": Decimal("850000"),
        "actor": None,
    }
    values.update(overrides)
    return create_contract(**values)


def test_creating_a_contract_is_audited(make):
    contract = _create(make, monthly_volume=100, on_time_target_percent=90)
    db.session.commit()
    assert contract.status is ContractStatus.ACTIVE
    assert (contract.monthly_volume, contract.on_time_target_percent) == (100, 90)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_created"))
    assert event.object_id == contract.id and event.provider_id == contract.provider_id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reference": "  "}, "reference", "Enter the contract reference"),
        ({"title": ""}, "title", "Enter the contract title"),
        ({"end_on": date(2024, 3, 31)}, "end_on", "on or after the start date"),
        ({"original_value": Decimal("0")}, "original_value", "more than £0"),
        ({"on_time_target_percent": 101}, "on_time_target_percent", "from 0 to 100"),
        ({"monthly_volume": -1}, "monthly_volume", "0 or more"),
    ],
)
def test_contract_rules_name_their_field(make, overrides, field, message):
    with pytest.raises(ContractError, match=message) as caught:
        _create(make, **overrides)
    assert caught.value.field == field


def test_references_are_unique_whatever_their_case_and_providers_must_be_active(make):
    _create(make)
    db.session.commit()
    with pytest.raises(ContractError, match="already exists") as caught:
        _create(make, reference=" send-ep-01 ", provider=make.provider("Other"))
    assert caught.value.field == "reference"
    closed = make.provider("Closed Ltd", active=False)
    with pytest.raises(ContractError, match="Closed Ltd has been deactivated"):
        _create(make, reference="NEW", provider=closed)


def test_prices_must_fall_within_the_contract_and_not_repeat_a_date(make):
    contract = make.contract(reference="P", prices={"ep_advice": "1000"})
    ep = make.work_type("ep_advice")
    with pytest.raises(ContractError, match="already a price") as caught:
        set_price(contract, ep, Decimal("1100"), date(2024, 4, 1), actor=None)
    assert caught.value.field == "effective_from"
    for day in (date(2024, 3, 31), date(2026, 4, 1)):
        with pytest.raises(ContractError, match="1 April 2024 to 31 March 2026"):
            set_price(contract, ep, Decimal("1100"), day, actor=None)
    with pytest.raises(ContractError, match="£0 or more"):
        set_price(contract, ep, Decimal("-1"), date(2025, 4, 1), actor=None)
    set_price(contract, ep, Decimal("1100"), date(2026, 3, 31), actor=None)
    db.session.commit()
    assert db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "contract_price_set")
    ) == ("work_type=ep_advice from=2026-03-31 price=1100")


@freeze_time("2024-12-12")
def test_variations_keep_a_running_value(make):
    contract = make.contract(reference="V", value="850000")
    add_variation(
        contract,
        amount=Decimal("646000"),
        approved_on=date(2024, 12, 12),
        reason="Backlog larger than planned",
        approval_reference="Executive Board 12 December 2024",
        actor=None,
    )
    add_variation(
        contract,
        amount=Decimal("-6000"),
        approved_on=date(2024, 10, 1),
        reason="Fewer plans",
        approval_reference="Director 1 October 2024",
        actor=None,
    )
    db.session.commit()
    db.session.refresh(contract)
    steps = value_history(contract)
    assert [(s.variation.approved_on, s.value_after) for s in steps] == [
        (date(2024, 10, 1), Decimal("844000.00")),
        (date(2024, 12, 12), Decimal("1490000.00")),
    ]
    with pytest.raises(ContractError, match="today or in the past"):
        add_variation(
            contract,
            amount=Decimal("1"),
            approved_on=date(2024, 12, 13),
            reason="x",
            approval_reference="y",
            actor=None,
        )
    with pytest.raises(ContractError, match="£0 or less"):
        add_variation(
            contract,
            amount=Decimal("-1490000"),
            approved_on=date(2024, 12, 12),
            reason="x",
            approval_reference="y",
            actor=None,
        )


def _update(contract, **overrides):
    values = {
        "title": contract.title,
        "start_on": contract.start_on,
        "end_on": contract.end_on,
        "status": contract.status,
        "monthly_volume": contract.monthly_volume,
        "on_time_target_percent": contract.on_time_target_percent,
        "max_rework_percent": contract.max_rework_percent,
        "stated_monthly_capacity": contract.stated_monthly_capacity,
        "expected_version": contract.version,
        "actor": None,
    }
    values.update(overrides)
    return update_contract(contract, **values)


def test_update_contract_changes_only_what_changed_and_audits_it(make):
    contract = make.contract(reference="U", monthly_volume=100)
    assert _update(contract) == []
    changed = _update(contract, title="  New title ", status=ContractStatus.SUSPENDED)
    db.session.commit()
    assert changed == ["title", "status"]
    assert contract.title == "New title" and contract.version == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contract_updated"))
    assert event.detail == "fields=title,status status=suspended"


def test_update_contract_refuses_an_older_copy(make):
    contract = make.contract(reference="U")
    _update(contract, title="First")
    db.session.commit()
    with pytest.raises(StaleContract):
        _update(contract, title="Second", expected_version=1)
    db.session.rollback()
    assert db.session.get(Contract, contract.id).title == "First"


def test_update_contract_dates_must_cover_the_work_under_it(make):
    contract = make.contract(reference="U")
    make.allocation(provider=contract.provider, contract=contract, allocated_on=date(2024, 8, 1))
    make.allocation(provider=contract.provider, contract=contract, allocated_on=date(2025, 2, 3))
    with pytest.raises(ContractError, match="on 1 August 2024") as caught:
        _update(contract, start_on=date(2024, 8, 2))
    assert caught.value.field == "start_on"
    with pytest.raises(ContractError, match="on 3 February 2025") as caught:
        _update(contract, end_on=date(2025, 2, 2))
    assert caught.value.field == "end_on"
    assert _update(contract, start_on=date(2024, 8, 1), end_on=date(2025, 2, 3)) == [
        "start_on",
        "end_on",
    ]


def test_price_schedule_marks_the_price_in_force(make):
    contract = make.contract(reference="PS", prices={"ep_advice": "1000", "plan_writing": "700"})
    make.price(contract, "ep_advice", "1100", date(2024, 9, 1))
    make.price(contract, "ep_advice", "1250", date(2025, 4, 1))
    db.session.refresh(contract)
    rows = [
        (p.work_type.code, p.effective_from, p.until, p.unit_price, p.state)
        for p in price_schedule(contract, date(2025, 3, 31))
    ]
    assert rows == [
        ("plan_writing", date(2024, 4, 1), None, Decimal("700.00"), "in_force"),
        ("ep_advice", date(2024, 4, 1), date(2024, 8, 31), Decimal("1000.00"), "earlier"),
        ("ep_advice", date(2024, 9, 1), date(2025, 3, 31), Decimal("1100.00"), "in_force"),
        ("ep_advice", date(2025, 4, 1), None, Decimal("1250.00"), "scheduled"),
    ]
    on_the_day = [p.state for p in price_schedule(contract, date(2025, 4, 1))]
    assert on_the_day == ["in_force", "earlier", "earlier", "in_force"]


def test_turnaround_targets_fall_back_to_the_work_type(make):
    contract = make.contract(reference="T")
    set_turnaround(contract, make.work_type("ep_advice"), 30, actor=None)
    set_turnaround(contract, make.work_type("ep_advice"), 35, actor=None)
    db.session.commit()
    db.session.refresh(contract)
    types = list(db.session.scalars(select(WorkType).order_by(WorkType.code)))
    targets = {
        t.work_type.code: (t.days, t.from_contract) for t in turnaround_targets(contract, types)
    }
    assert targets["ep_advice"] == (35, True)
    assert targets["plan_writing"] == (42, False)
    with pytest.raises(ContractError, match="from 1 to 365 days"):
        set_turnaround(contract, make.work_type("ep_advice"), 0, actor=None)
    actions = db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "contract_turnaround_set")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["ep_advice=30", "ep_advice=35"]
