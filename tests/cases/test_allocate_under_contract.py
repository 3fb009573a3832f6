"""Allocating one piece of work on the case page under a contract: the headroom beside the
form, the contract choice and its checks, and the banner's figures afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Contract, ContractStatus, Role
from tests.helpers import check_fragment

TODAY = "2026-11-23 12:00:00"


@pytest.fixture
def providers(make):
    """Riverside: two current contracts. RV-A (£1,000, EP advice £600) has open work at
    £600 committed, so £400 left; RV-B (£5,000, £700) has accepted work at £700, so £4,300
    left. Northbrook: one current contract NB-1 (£2,000, £1,200) and an ended one. Solo: none.
    A contract that has not started yet and a suspended one are not current."""
    riverside = make.provider("Riverside")
    northbrook = make.provider("Northbrook")
    solo = make.provider("Solo")
    current = {"start_on": date(2026, 4, 1), "end_on": date(2027, 3, 31)}
    a = make.contract(
        provider=riverside, reference="RV-A", value="1000", prices={"ep_advice": "600"}, **current
    )
    b = make.contract(
        provider=riverside, reference="RV-B", value="5000", prices={"ep_advice": "700"}, **current
    )
    nb = make.contract(
        provider=northbrook,
        reference="NB-1",
        value="2000",
        prices={"ep_advice": "1200"},
        **current,
    )
    make.contract(
        provider=northbrook,
        reference="NB-0",
        start_on=date(2025, 4, 1),
        end_on=date(2026, 3, 31),
        status=ContractStatus.ENDED,
    )
    make.contract(provider=solo, reference="SOLO-NEXT", start_on=date(2027, 4, 1))
    make.contract(provider=solo, reference="SOLO-SUSP", status=ContractStatus.SUSPENDED, **current)
    make.allocation(provider=riverside, contract=a, allocated_on=date(2026, 10, 1))
    make.allocation(
        provider=riverside,
        contract=b,
        allocated_on=date(2026, 9, 1),
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2026, 10, 1),
        accepted_on=date(2026, 10, 5),
    )
    return {
        "riverside": riverside,
        "northbrook": northbrook,
        "solo": solo,
        "a": a,
        "b": b,
        "nb": nb,
    }


def _rows(soup):
    return [
        [cell.get_text(" ", strip=True) for cell in tr.select("th, td")]
        for tr in soup.select("#contract-headroom tbody tr")
    ]


def _post(manager, case, provider, contract="", htmx=False):
    return manager.post(
        f"/cases/{case.id}/allocations",
        {"work_type": "ep_advice", "provider": str(provider.id), "contract": str(contract)},
        htmx=htmx,
    )


def _open_allocation(case):
    db.session.expire_all()
    return db.session.scalar(
        select(Allocation).where(
            Allocation.case_id == case.id, Allocation.status == AllocationStatus.ALLOCATED
        )
    )


@freeze_time(TODAY)
def test_case_page_shows_current_contracts_headroom(make, providers, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/cases/{case.id}")
    assert _rows(soup) == [
        ["NB-1", "Northbrook", "£2,000.00", "£0.00", "£0.00", "£2,000.00"],
        ["RV-A", "Riverside", "£1,000.00", "£0.00", "£600.00", "£400.00"],
        ["RV-B", "Riverside", "£5,000.00", "£700.00", "£0.00", "£4,300.00"],
    ]
    assert soup.select_one("#uncontracted").get_text(" ", strip=True) == (
        "Work for Solo is not costed: it has no current contract."
    )
    options = [(o["value"], o.get_text()) for o in soup.select("select[name=contract] option")]
    assert options == [
        ("", "The provider's only current contract, if it has one"),
        (str(providers["nb"].id), "NB-1 — Northbrook"),
        (str(providers["a"].id), "RV-A — Riverside"),
        (str(providers["b"].id), "RV-B — Riverside"),
    ]


@freeze_time(TODAY)
def test_the_only_current_contract_is_used(make, providers, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = _post(manager, case, providers["northbrook"])
    assert response.status_code == 303
    assert _open_allocation(case).contract_id == providers["nb"].id
    banner = manager.page(f"/cases/{case.id}").select_one(".govuk-notification-banner")
    assert " ".join(banner.get_text(" ", strip=True).split()).endswith(
        "Educational psychology advice allocated to Northbrook, due 4 January 2027. "
        "It is under contract NB-1 at £1,200.00."
    )


@freeze_time(TODAY)
def test_several_contracts_need_a_choice(make, providers, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = _post(manager, case, providers["riverside"])
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    message = "Select the contract: Riverside has more than one current contract (RV-A, RV-B)"
    assert [a.get_text() for a in soup.select(".govuk-error-summary a")] == [message]
    assert soup.select_one(".govuk-error-summary a")["href"] == "#contract"
    assert message in soup.select_one("#contract-error").get_text()
    assert _open_allocation(case) is None

    response = _post(manager, case, providers["riverside"], providers["b"].id)
    assert response.status_code == 303
    assert _open_allocation(case).contract_id == providers["b"].id


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("contract", "message"),
    [
        ("nb", "Contract NB-1 is not with Riverside"),
        ("999999", "Select a current contract"),
        ("abc", "Select a current contract"),
    ],
)
def test_the_contract_must_be_the_providers_and_current(
    make, providers, client_for, contract, message
):
    case = make.case()
    manager = client_for(Role.MANAGER)
    value = providers[contract].id if contract in providers else contract
    response = _post(manager, case, providers["riverside"], value)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert [a.get_text() for a in soup.select(".govuk-error-summary a")] == [message]
    assert _open_allocation(case) is None


@freeze_time(TODAY)
def test_an_ended_contract_is_refused(make, providers, client_for):
    ended = db.session.scalar(select(Contract).where(Contract.reference == "NB-0"))
    case = make.case()
    manager = client_for(Role.MANAGER)
    soup = manager.soup(_post(manager, case, providers["northbrook"], ended.id))
    assert [a.get_text() for a in soup.select(".govuk-error-summary a")] == [
        "Select a current contract"
    ]


@freeze_time(TODAY)
def test_banner_says_when_the_allocation_takes_the_contract_over(make, providers, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    # RV-A has £400 left; this work costs £600.
    response = _post(manager, case, providers["riverside"], providers["a"].id, htmx=True)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_fragment(soup)
    banner = soup.select_one(".govuk-notification-banner").get_text(" ", strip=True)
    assert (
        "It is under contract RV-A at £600.00. Contract RV-A is now £200.00 over its value of "
        "£1,000.00: £0.00 spent and £1,200.00 committed."
    ) in " ".join(banner.split())
    # The figures beside the form are brought up to date with the fragment.
    assert ["RV-A", "Riverside", "£1,000.00", "£0.00", "£1,200.00", "−£200.00"] in _rows(soup)
    assert _open_allocation(case).contract_id == providers["a"].id


@freeze_time(TODAY)
def test_exactly_using_up_the_contract_is_not_over(make, providers, client_for):
    """NB-1: £2,000, nothing spent; one piece at £1,200 then another would go over."""
    manager = client_for(Role.MANAGER)
    first, second = make.case(), make.case()
    make.price(providers["nb"], "ep_advice", "1000", date(2026, 11, 1))  # £1,000 from November
    _post(manager, first, providers["northbrook"])
    banner = manager.page(f"/cases/{first.id}").select_one(".govuk-notification-banner")
    assert "over its value" not in banner.get_text()
    assert "at £1,000.00" in banner.get_text()
    _post(manager, second, providers["northbrook"])
    banner = manager.page(f"/cases/{second.id}").select_one(".govuk-notification-banner")
    assert "at £1,000.00." in banner.get_text()
    assert "over its value" not in banner.get_text()  # £2,000 committed: exactly the value


@freeze_time(TODAY)
def test_no_contract_is_allocated_uncosted(make, providers, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    assert _post(manager, case, providers["solo"]).status_code == 303
    assert _open_allocation(case).contract_id is None
    banner = manager.page(f"/cases/{case.id}").select_one(".govuk-notification-banner")
    assert "It is not under a contract, so it is not costed." in banner.get_text()


@freeze_time(TODAY)
def test_no_contracts_at_all(make, client_for):
    make.provider("Solo")
    case = make.case()
    soup = client_for(Role.MANAGER).page(f"/cases/{case.id}")
    assert soup.select_one("#contract-headroom").get_text() == (
        "No provider has a current contract."
    )


def _queries(count_queries, client, url):
    count_queries.clear()
    client.page(url)
    return len(count_queries)


@freeze_time(TODAY)
def test_case_page_queries_do_not_grow_with_contracts(make, client_for, count_queries):
    case = make.case()
    manager = client_for(Role.MANAGER)

    def add_contracts(n):
        for _ in range(n):
            provider = make.provider()
            contract = make.contract(
                provider=provider,
                start_on=date(2026, 4, 1),
                end_on=date(2027, 3, 31),
                prices={"ep_advice": "500"},
            )
            make.allocation(provider=provider, contract=contract, allocated_on=date(2026, 5, 1))

    add_contracts(1)
    small = _queries(count_queries, manager, f"/cases/{case.id}")
    add_contracts(6)
    large = _queries(count_queries, manager, f"/cases/{case.id}")
    assert small == large
    assert len(_rows(manager.page(f"/cases/{case.id}"))) == 7
