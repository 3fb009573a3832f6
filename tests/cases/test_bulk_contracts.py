"""Bulk allocation from the board under a contract: the price, the total, the headroom, the
warning when the allocation would exceed it, the approval it then needs, and the choice of
contract when the provider has several."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    ContractStatus,
    ContractVariation,
    Role,
)

TODAY = "2026-11-23 12:00:00"
ALLOCATE = "/cases/backlog/allocate"
CONFIRM = "/cases/backlog/allocate/confirm"


def _variation(contract, amount: str) -> None:
    db.session.add(
        ContractVariation(
            contract=contract,
            approved_on=date(2026, 6, 1),
            amount=Decimal(amount),
            reason="Executive Board decision",
            approval_reference="EB-1",
        )
    )
    db.session.commit()


@pytest.fixture
def northbrook(make):
    """Northbrook's one contract: £5,000 + £2,000 varied = £7,000 (plus `extra` pence set by
    each test). EP advice £1,000 from April 2025, £1,200 from April 2026.

    Under it: accepted work bought at £1,000 (2025) and at £1,200 (2026): £2,200 actual;
    open work at £1,200 committed; withdrawn and declined work commit nothing.
    Left now: £7,000 − £2,200 − £1,200 = £3,600.
    """
    provider = make.provider("Northbrook")
    contract = make.contract(
        provider=provider,
        reference="NB-1",
        title="EP advice",
        value="5000",
        start_on=date(2025, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"ep_advice": "1000"},
        stated_monthly_capacity=4,
    )
    make.price(contract, "ep_advice", "1200", date(2026, 4, 1))
    _variation(contract, "2000")
    accepted = {"status": AllocationStatus.ACCEPTED, "contract": contract}
    make.allocation(
        provider=provider,
        allocated_on=date(2025, 6, 2),
        returned_on=date(2025, 7, 1),
        accepted_on=date(2025, 7, 3),
        **accepted,
    )
    make.allocation(
        provider=provider,
        allocated_on=date(2026, 9, 1),
        returned_on=date(2026, 10, 1),
        accepted_on=date(2026, 10, 2),
        **accepted,
    )
    # Open, allocated this month: committed, and counts towards this month's work.
    make.allocation(provider=provider, allocated_on=date(2026, 11, 2), contract=contract)
    make.allocation(
        provider=provider,
        allocated_on=date(2026, 11, 3),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2026, 11, 4),
        contract=contract,
    )
    make.allocation(
        provider=provider,
        allocated_on=date(2026, 11, 5),
        status=AllocationStatus.DECLINED,
        declined_on=date(2026, 11, 6),
        contract=contract,
    )
    return provider, contract


def _data(cases, provider, **extra):
    data = {
        "case_id": [str(case.id) for case in cases],
        "bulk-work_type": "ep_advice",
        "bulk-provider": str(provider.id),
    }
    data.update(extra)
    return data


def _summary(soup, list_id="contract-summary"):
    rows = soup.select(f"#{list_id} .govuk-summary-list__row")
    return {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): " ".join(
            row.select_one(".govuk-summary-list__value").get_text(" ", strip=True).split()
        )
        for row in rows
    }


def _allocations(provider):
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Allocation)
            .where(
                Allocation.provider_id == provider.id, Allocation.allocated_on == date(2026, 11, 23)
            )
            .order_by(Allocation.case_id)
        )
    )


@freeze_time(TODAY)
def test_check_page_shows_contract_price_total_and_headroom(make, northbrook, client_for):
    provider, contract = northbrook
    cases = [make.case() for _ in range(2)]
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    assert _summary(soup) == {
        "Contract": "NB-1 – EP advice",
        "Unit price": "£1,200.00 each",
        "This allocation": "2 × £1,200.00 = £2,400.00",
        "Contract value": "£7,000.00",
        "Spent (work accepted)": "£2,200.00",
        "Committed (work not yet accepted)": "£1,200.00",
        "Left now": "£3,600.00",
        "Left after this allocation": "£1,200.00",
    }
    assert soup.select_one(".govuk-warning-text") is None
    assert soup.select_one("input[name=confirm-approved]") is None
    assert soup.select_one("input[name=confirm-contract]")["value"] == str(contract.id)
    # One piece allocated this month and still open (withdrawn and declined work is not
    # counted); with these two, three: within the stated capacity of four.
    capacity = [li.get_text(" ", strip=True) for li in soup.select("#capacity li")]
    assert capacity == [
        "1 allocated so far this month; 3 with these cases",
        "Stated capacity: 4 a month (contract NB-1)",
    ]

    response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": contract.id}))
    assert response.status_code == 303
    made = _allocations(provider)
    assert [a.contract_id for a in made] == [contract.id, contract.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk_allocation"))
    assert event is not None and event.detail.endswith("contract=NB-1")
    board = manager.page("/cases/backlog").get_text(" ", strip=True)
    assert (
        "2 cases allocated to Northbrook for educational psychology advice under contract NB-1"
        in board
    )


@freeze_time(TODAY)
def test_capacity_taken_over(make, northbrook, client_for):
    provider, _ = northbrook
    cases = [make.case() for _ in range(4)]
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    capacity = [li.get_text(" ", strip=True) for li in soup.select("#capacity li")]
    assert capacity == [
        "1 allocated so far this month; 5 with these cases",
        "Stated capacity: 4 a month (contract NB-1): these cases take it over",
    ]


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("variation", "left", "warned"),
    [
        ("0.01", "£3,600.01", False),  # a penny more left than the allocation costs
        ("0", "£3,600.00", False),  # exactly what is left
        ("-0.01", "£3,599.99", True),  # a penny short
    ],
)
def test_warning_exactly_when_the_allocation_exceeds_the_headroom(
    make, northbrook, client_for, variation, left, warned
):
    provider, contract = northbrook
    if variation != "0":
        _variation(contract, variation)
    cases = [make.case() for _ in range(3)]  # 3 × £1,200 = £3,600
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    assert _summary(soup)["Left now"] == left
    warning = soup.select_one("#over-headroom")
    if not warned:
        assert warning is None
        assert soup.select_one("input[name=confirm-approved]") is None
        return
    assert " ".join(warning.get_text(" ", strip=True).split()) == (
        "! Warning This allocation costs £3,600.00. The contract has £3,599.99 left. "
        "It would be £0.01 over."
    )
    assert _summary(soup)["Left after this allocation"] == "−£0.01"
    assert soup.select_one("input[name=confirm-approved]") is not None


@freeze_time(TODAY)
def test_exceeding_the_headroom_needs_approval(make, northbrook, client_for):
    provider, contract = northbrook
    cases = [make.case() for _ in range(4)]  # £4,800 against £3,600 left
    manager = client_for(Role.MANAGER)
    data = _data(cases, provider, **{"confirm-contract": contract.id})

    response = manager.post(CONFIRM, data)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    assert [a.get_text() for a in soup.select(".govuk-error-summary a")] == [
        "Confirm you have approval to exceed the contract value"
    ]
    assert soup.select_one(".govuk-error-summary a")["href"] == "#confirm-approved"
    assert "It would be £1,200.00 over." in soup.select_one("#over-headroom").get_text()
    assert _allocations(provider) == []

    response = manager.post(CONFIRM, {**data, "confirm-approved": "y"})
    assert response.status_code == 303
    assert len(_allocations(provider)) == 4
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk_allocation"))
    assert event is not None
    assert event.detail.endswith("contract=NB-1 over_by=1200.00 approved=yes")
    board = manager.page("/cases/backlog").get_text(" ", strip=True)
    assert "under contract NB-1, £1,200.00 over its value with your approval" in board


@freeze_time(TODAY)
def test_approval_is_checked_again_on_confirming(make, northbrook, client_for):
    """The page showed room; by the time of confirming, someone else used it up."""
    provider, contract = northbrook
    cases = [make.case() for _ in range(3)]
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    assert soup.select_one("#over-headroom") is None
    make.allocation(provider=provider, allocated_on=date(2026, 11, 20), contract=contract)
    response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": contract.id}))
    assert response.status_code == 200
    assert "Confirm you have approval to exceed the contract value" in response.get_data(
        as_text=True
    )
    assert _allocations(provider) == []


@freeze_time(TODAY)
def test_provider_without_a_contract_allocates_uncosted(make, client_for):
    provider = make.provider("Solo Psychology")
    # Another provider's contract, and one of this provider's that has ended, do not count.
    make.contract(reference="OTHER-1", start_on=date(2026, 4, 1), end_on=date(2027, 3, 31))
    make.contract(
        provider=provider,
        reference="OLD-1",
        start_on=date(2025, 4, 1),
        end_on=date(2026, 3, 31),
        status=ContractStatus.ENDED,
    )
    cases = [make.case()]
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    warning = soup.select_one(".govuk-warning-text").get_text(" ", strip=True)
    assert "Solo Psychology has no current contract. This work will not be costed." in warning
    assert soup.select_one("input[name=confirm-contract]") is None
    assert "No stated monthly capacity" in soup.select_one("#capacity").get_text()

    response = manager.post(CONFIRM, _data(cases, provider))
    assert response.status_code == 303
    [made] = _allocations(provider)
    assert made.contract_id is None
    board = manager.page("/cases/backlog").get_text(" ", strip=True)
    assert "They are not under a contract, so they are not costed" in board


@freeze_time(TODAY)
def test_a_contract_without_a_price_for_the_work(make, client_for):
    provider = make.provider("Plans Ltd")
    make.contract(
        provider=provider,
        reference="PL-1",
        value="1000",
        start_on=date(2026, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"plan_writing": "900"},
    )
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data([make.case()], provider)))
    summary = _summary(soup)
    assert summary["Unit price"] == (
        "No price for educational psychology advice on 23 November 2026: "
        "the work will not be costed"
    )
    assert summary["This allocation"] == "Not costed"
    assert summary["Left after this allocation"] == "£1,000.00"
    assert soup.select_one("#over-headroom") is None


@pytest.fixture
def two_contracts(make):
    """Riverside has two current contracts, with different prices and headroom."""
    provider = make.provider("Riverside")
    a = make.contract(
        provider=provider,
        reference="RV-A",
        title="Advice lot A",
        value="1000",
        start_on=date(2026, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"ep_advice": "600"},
    )
    b = make.contract(
        provider=provider,
        reference="RV-B",
        title="Advice lot B",
        value="5000",
        start_on=date(2026, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"ep_advice": "700"},
    )
    return provider, a, b


@freeze_time(TODAY)
def test_several_contracts_ask_which(make, two_contracts, client_for):
    provider, a, b = two_contracts
    cases = [make.case() for _ in range(2)]
    manager = client_for(Role.MANAGER)
    soup = manager.soup(manager.post(ALLOCATE, _data(cases, provider)))
    radios = soup.select("input[name=confirm-contract][type=radio]")
    assert [r["value"] for r in radios] == [str(a.id), str(b.id)]
    rows = [
        [cell.get_text(strip=True) for cell in tr.select("th, td")]
        for tr in soup.select("#contract-table tbody tr")
    ]
    assert rows == [
        ["RV-A", "£600.00", "£1,200.00", "£1,000.00", "£0.00", "£0.00", "£1,000.00", "−£200.00"],
        ["RV-B", "£700.00", "£1,400.00", "£5,000.00", "£0.00", "£0.00", "£5,000.00", "£3,600.00"],
    ]
    warnings = [w.get_text(" ", strip=True) for w in soup.select(".govuk-warning-text")]
    assert len(warnings) == 1
    assert (
        "This allocation costs £1,200.00. Contract RV-A has £1,000.00 left. "
        "It would be £200.00 over." in warnings[0]
    )
    hints = [h.get_text(strip=True) for h in soup.select(".govuk-radios__hint")]
    assert (
        hints[1] == "£700.00 each, £1,400.00 for these cases; £5,000.00 left now, £3,600.00 after"
    )

    # No choice: refused, nothing allocated.
    response = manager.post(CONFIRM, _data(cases, provider))
    assert response.status_code == 200
    soup = manager.soup(response)
    assert [x.get_text() for x in soup.select(".govuk-error-summary a")] == [
        "Select the contract this work goes under"
    ]
    assert soup.select_one(".govuk-error-summary a")["href"] == "#confirm-contract"
    assert _allocations(provider) == []

    # RV-A would go over: it needs the approval; RV-B does not.
    response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": a.id}))
    assert "Confirm you have approval to exceed the contract value" in response.get_data(
        as_text=True
    )
    response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": b.id}))
    assert response.status_code == 303
    assert [x.contract_id for x in _allocations(provider)] == [b.id, b.id]


@freeze_time(TODAY)
def test_a_contract_of_another_provider_is_refused(make, two_contracts, northbrook, client_for):
    provider, _, _ = two_contracts
    _, other = northbrook
    cases = [make.case()]
    manager = client_for(Role.MANAGER)
    for bad, message in (
        (other.id, "Contract NB-1 is not with Riverside"),
        ("999999", "Select the contract this work goes under"),
        ("nonsense", "Select the contract this work goes under"),
    ):
        response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": bad}))
        assert response.status_code == 200
        soup = manager.soup(response)
        assert [x.get_text() for x in soup.select(".govuk-error-summary a")] == [message]
    assert _allocations(provider) == []


@freeze_time(TODAY)
def test_a_contract_that_ended_since_the_check_is_refused(make, northbrook, client_for):
    provider, contract = northbrook
    cases = [make.case()]
    manager = client_for(Role.MANAGER)
    manager.post(ALLOCATE, _data(cases, provider))
    contract.status = ContractStatus.SUSPENDED
    db.session.commit()
    response = manager.post(CONFIRM, _data(cases, provider, **{"confirm-contract": contract.id}))
    soup = manager.soup(response)
    assert [x.get_text() for x in soup.select(".govuk-error-summary a")] == [
        "Contract NB-1 is suspended"
    ]
    assert soup.select_one(".govuk-error-summary a")["href"] == "#contract-figures"
    # The page now says the work would not be costed; confirming again allocates it so.
    assert "Northbrook has no current contract" in soup.get_text()
    assert manager.post(CONFIRM, _data(cases, provider)).status_code == 303
    assert [a.contract_id for a in _allocations(provider)] == [None]
