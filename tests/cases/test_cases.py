"""The case list with its filters, and the audited case page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, Role


def _refs(soup):
    return [a.get_text() for a in soup.select("#case-table tbody tr td:first-child a")]


def _search(client, q: str, **filters: str):
    """The search box is posted (a name never goes into a URL); the page answers in place."""
    response = client.post("/cases", {"q": q, **filters})
    assert response.status_code == 200, response.status_code
    return client.soup(response)


def test_search_and_allocation_filters(make, client_for):
    a = make.case(case_ref="EHC100", first_name="Maya", last_name="Okafor")
    b = make.case(
        case_ref="EHC200", first_name="Tom", last_name="Price", request_received_on=date(2024, 1, 5)
    )
    make.case(case_ref="EHC300", first_name="Priya", last_name="Shah")
    make.allocation(case=a)
    make.allocation(case=b, status=AllocationStatus.ACCEPTED, accepted_on=date(2024, 9, 1))
    manager = client_for(Role.MANAGER)
    assert _refs(manager.page("/cases")) == ["EHC200", "EHC100", "EHC300"]  # oldest request first
    assert _refs(_search(manager, "okafor")) == ["EHC100"]
    assert _refs(_search(manager, "maya okafor")) == ["EHC100"]
    assert _refs(_search(manager, "ehc3")) == ["EHC300"]
    assert _refs(_search(manager, "ehc", allocation="open")) == ["EHC100"]
    assert _refs(manager.page("/cases?allocation=open")) == ["EHC100"]
    assert _refs(manager.page("/cases?allocation=unallocated")) == ["EHC200", "EHC300"]
    assert _refs(_search(manager, "%")) == []  # LIKE wildcards are literal
    # A search in the query string (an old bookmark, a hand-made link) is not read.
    assert _refs(manager.page("/cases?q=okafor")) == ["EHC200", "EHC100", "EHC300"]
    assert _refs(manager.page("/cases?allocation=bogus&page=abc")) == ["EHC200", "EHC100", "EHC300"]


def test_htmx_filter_swaps_only_the_results(make, client_for):
    make.case(case_ref="EHC1")
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases?allocation=unallocated", htmx=True)
    assert soup.select_one("#case-table") is not None
    assert soup.find("form") is None
    searched = manager.post("/cases", {"q": "EHC1", "allocation": "unallocated"}, htmx=True)
    assert "<html" not in searched.get_data(as_text=True)
    assert searched.headers["HX-Replace-Url"] == "/cases?allocation=unallocated"
    filtered = manager.post("/cases", {"q": "", "allocation": "open"}, htmx=True)
    assert filtered.headers["HX-Push-Url"] == "/cases?allocation=open"
    boosted = manager.get("/cases", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = manager.get(
        "/cases", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


def test_pagination_50_a_page(make, client_for):
    for i in range(51):
        make.case(case_ref=f"P{i:03d}", request_received_on=date(2024, 1, 1))
    manager = client_for(Role.MANAGER)
    first = manager.page("/cases")
    assert len(_refs(first)) == 50
    assert "51 cases" in first.select_one("#case-count").get_text()
    second = manager.page("/cases?page=2")
    assert _refs(second) == ["P050"]
    assert manager.page("/cases?page=99").select_one(".govuk-pagination") is not None


def test_case_page_is_audited_without_personal_data(make, client_for):
    case = make.case(first_name="Maya", last_name="Okafor")
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/cases/{case.id}")
    assert "Maya Okafor" in soup.get_text()
    assert "Okafor" not in soup.title.get_text()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_viewed"))
    assert event.object_id == case.id
    assert event.actor_id == manager.user.id
    assert event.ip_address == "127.0.0.1"


def test_missing_case_is_404(client_for):
    manager = client_for(Role.MANAGER)
    manager.page("/cases/424242", status=404)


def test_stored_markup_is_escaped(make, client_for):
    case = make.case(first_name='<img src=x onerror="alert(1)">', setting="{{7*7}}")
    manager = client_for(Role.MANAGER)
    text = manager.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "<img src=x" not in text and "&lt;img src=x" in text
    assert "{{7*7}}" in text and ">49<" not in text
