"""The council's allocation page names the contract and the price the work was bought at."""

from __future__ import annotations

from datetime import date

from provider_portal.models import Role


def _summary(soup):
    return {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): " ".join(
            row.select_one(".govuk-summary-list__value").get_text(" ", strip=True).split()
        )
        for row in soup.select(".govuk-summary-list__row")
    }


def test_contract_and_the_price_that_applied_when_allocated(make, client_for):
    provider = make.provider("Northbrook")
    contract = make.contract(
        provider=provider,
        reference="NB-7",
        title="EP advice 2024-26",
        prices={"ep_advice": "1200"},
        start_on=date(2024, 4, 1),
    )
    make.price(contract, "ep_advice", "1350", date(2024, 9, 1))
    before = make.allocation(provider=provider, contract=contract, allocated_on=date(2024, 8, 30))
    on_the_day = make.allocation(
        provider=provider, contract=contract, allocated_on=date(2024, 9, 1)
    )
    no_price = make.allocation(
        provider=provider,
        contract=contract,
        work_type="plan_writing",
        allocated_on=date(2024, 9, 2),
    )
    uncontracted = make.allocation(provider=provider)
    manager = client_for(Role.MANAGER)

    def summary(allocation):
        return _summary(manager.page(f"/allocations/{allocation.id}"))

    assert summary(before)["Contract"] == "NB-7 – EP advice 2024-26"
    assert summary(before)["Price"] == "£1,200.00"
    assert summary(on_the_day)["Price"] == "£1,350.00"
    assert summary(no_price)["Price"] == "No price for this work on 2 September 2024: not costed"
    assert summary(uncontracted)["Contract"] == "None: the work is not costed"
    assert summary(uncontracted)["Price"] == "Not costed"
