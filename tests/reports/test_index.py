"""The list of reports, and the navigation that leads to it."""

from __future__ import annotations

import pytest

from provider_portal.models import Role


def test_every_report_on_the_list_opens_for_contract_monitoring(client_for):
    client = client_for(Role.MONITOR)
    soup = client.page("/reports/")
    links = [a["href"] for a in soup.select("main a.govuk-link")]
    assert links == [
        "/reports/pack",
        "/reports/providers",
        "/reports/monthly",
        "/reports/compliance",
        "/reports/spend",
        "/contracts",
        "/reports/foi",
        "/reports/sen2",
    ]
    for href in links:
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.MANAGER, ["Backlog", "All cases", "Allocations", "Contracts", "Reports"]),
        (Role.MONITOR, ["Contracts", "Reports"]),
        (Role.ADMIN, ["Backlog", "All cases", "Allocations", "Contracts", "Reports", "Audit"]),
    ],
)
def test_council_navigation_leads_to_contracts_and_reports(client_for, role, expected):
    soup = client_for(role).page("/reports/")
    items = [
        a.get_text(strip=True)
        for a in soup.select(".govuk-service-navigation__item .govuk-service-navigation__link")
    ]
    assert items[: len(expected)] == expected
    active = soup.select_one(".govuk-service-navigation__item--active")
    assert active is not None and active.get_text(strip=True) == "Reports"


def test_contract_monitoring_starts_on_the_reports_list(client_for):
    response = client_for(Role.MONITOR).get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reports/")
