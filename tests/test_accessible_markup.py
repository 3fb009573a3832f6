"""The markup screen readers and narrow screens depend on, page by page: wide tables in
scrolling regions, result counts in one short status line (never a live region around a
table), and no ARIA a control's role does not allow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from provider_portal.models import Role
from provider_portal.timescales import today


def _check_results_markup(soup: BeautifulSoup) -> None:
    for live in soup.select("[aria-live]"):
        assert live.find("table") is None, f"a table inside aria-live: {live.get('id')}"
    for table in soup.find_all("table"):
        region = table.find_parent("div", class_="app-table-scroll")
        assert region is not None, f"{table.get('id')} is not in a scrolling region"
        assert region["role"] == "region" and region["tabindex"] == "0"
        assert region["aria-label"].strip()
    status = soup.select("#portal-status")
    assert len(status) == 1 and status[0]["role"] == "status"
    assert status[0].find_parent(attrs={"data-portal-results": True}) is None
    assert soup.select("[data-portal-results]")


@pytest.mark.parametrize(
    "url",
    ["/cases/backlog", "/cases", "/allocations", "/contracts", "/reports/monthly", "/reports/pack"],
)
def test_council_lists_announce_counts_not_tables(url, make, client_for):
    long_ago = today() - timedelta(days=300)
    provider = make.provider("Northbrook")
    make.allocation(case=make.case(request_received_on=long_ago), provider=provider)
    make.contract(provider=provider, reference="CON-1")
    soup = client_for(Role.MANAGER).page(url)
    _check_results_markup(soup)


def test_the_provider_list_announces_its_count_not_its_table(make, client_for):
    provider = make.provider("Northbrook")
    make.allocation(provider=provider)
    admin = client_for(make.user(Role.PROVIDER_ADMIN, provider=provider))
    soup = admin.page("/provider/allocations")
    _check_results_markup(soup)
    assert soup.select_one("#allocation-count[data-portal-count]") is not None


def test_the_import_form_has_no_conditional_reveal_on_a_radio(client_for):
    """GOV.UK Frontend's conditional reveal puts aria-expanded on the radio, which the radio
    role does not allow (axe aria-allowed-attr): the checkbox is a question of its own."""
    soup = client_for(Role.MANAGER).page("/cases/import")
    assert not soup.select("input[type=radio][data-aria-controls]")
    assert soup.select_one(".govuk-radios__conditional") is None
    checkbox = soup.select_one("input[type=checkbox][name=create_missing_providers]")
    assert checkbox is not None
    hint = soup.select_one(f"#{checkbox['aria-describedby'].split()[0]}")
    assert "allocation log" in hint.get_text()


@pytest.mark.parametrize(
    ("url", "form_id"),
    [
        ("/reports/monthly?start=2025-04&end=2025-02", "monthly-filters"),
        ("/reports/compliance?start=2025-04&end=2025-02", "compliance-filters"),
        ("/reports/spend?as_of=31&as_of=4&as_of=2024", "spend-filters"),
        ("/reports/foi?as_of=31&as_of=4&as_of=2024", "foi-filters"),
        ("/reports/pack?start=2025-04&end=2025-02", "pack-filters"),
        ("/reports/sen2?year=20x5", "sen2-filters"),
    ],
)
def test_a_report_error_returned_by_htmx_is_shown_beside_its_field(url, form_id, client_for):
    """The summary comes with the form again (out of band), its errors beside the fields the
    summary's links point at."""
    soup = client_for(Role.MANAGER).page(url, htmx=True)
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None
    form = soup.select_one(f"form#{form_id}[hx-swap-oob=true]")
    assert form is not None and form.select(".govuk-error-message")
    links = summary.select(".govuk-error-summary__list a")
    assert links
    for link in links:
        assert form.select_one(link["href"]) is not None, link["href"]
