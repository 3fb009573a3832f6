"""The backlog board: who is on it, in what order, why, the filters, and bulk allocation."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Role

TODAY = "2024-12-01 12:00:00"  # academic year 2024/25


@pytest.fixture
def backlog(make):
    """A: looked after; B: Year 6 (transfer deadline 15 Feb 2025, 76 days away);
    C: Year 11 (31 March, outside the 12-week window); D, E overdue; F due within 4 weeks;
    G due in 7 weeks; H closed."""
    cases = {
        "A": make.case(
            case_ref="A",
            looked_after=True,
            request_received_on=date(2024, 6, 1),
            setting="Oakfield Primary",
        ),
        "B": make.case(case_ref="B", reception_year=2018, request_received_on=date(2024, 5, 1)),
        "C": make.case(case_ref="C", reception_year=2013, request_received_on=date(2024, 3, 1)),
        "D": make.case(
            case_ref="D", request_received_on=date(2024, 1, 10), setting="Riverside Academy"
        ),
        "E": make.case(case_ref="E", request_received_on=date(2024, 7, 10)),
        "F": make.case(case_ref="F", request_received_on=date(2024, 7, 25)),
        "G": make.case(case_ref="G", request_received_on=date(2024, 9, 1)),
        "H": make.case(
            case_ref="H",
            request_received_on=date(2024, 1, 1),
            final_plan_issued_on=date(2024, 8, 1),
        ),
    }
    return cases


def _refs(soup):
    return [a.get_text() for a in soup.select("#board-table tbody tr td:nth-of-type(2) a")]


def _row(soup, ref):
    for tr in soup.select("#board-table tbody tr"):
        if tr.select_one("td:nth-of-type(2) a").get_text() == ref:
            return tr
    raise AssertionError(f"{ref} not on the board")


@freeze_time(TODAY)
def test_priority_order_and_reasons(backlog, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases/backlog")
    assert _refs(soup) == ["A", "B", "D", "C", "E", "F"]
    tags = lambda ref: [t.get_text() for t in _row(soup, ref).select(".portal-tag")]  # noqa: E731
    assert tags("A") == ["Looked after", "6 weeks overdue"]
    assert tags("B") == ["Phase transfer: 15 Feb, 76 days", "10 weeks overdue"]
    assert tags("E") == ["4 days overdue"]
    assert tags("F") == []
    cells = [td.get_text(" ", strip=True) for td in _row(soup, "E").select("td")]
    assert cells[4] == "20"  # weeks since request: 144 days
    assert cells[5] == "4 days"
    assert (
        "6 cases on the backlog as of 1 December 2024" in soup.select_one("#board-count").get_text()
    )


@freeze_time(TODAY)
def test_window_widens_the_board(backlog, client_for):
    manager = client_for(Role.MANAGER)
    assert "G" in _refs(manager.page("/cases/backlog?window=8"))
    assert _refs(manager.page("/cases/backlog?window=0")) == ["A", "B", "D", "C", "E"]
    # Nonsense values fall back to the default rather than failing.
    assert _refs(manager.page("/cases/backlog?window=99&band=zzz&provider=abc")) == [
        "A",
        "B",
        "D",
        "C",
        "E",
        "F",
    ]


@freeze_time(TODAY)
def test_filters(backlog, make, client_for):
    provider = make.provider("Northbrook")
    make.allocation(case=backlog["D"], provider=provider)
    make.allocation(
        case=backlog["E"],
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 9, 1),
        accepted_on=date(2024, 9, 2),
    )
    make.allocation(case=backlog["F"], status=AllocationStatus.WITHDRAWN)
    manager = client_for(Role.MANAGER)
    page = lambda query: _refs(manager.page(f"/cases/backlog?{query}"))  # noqa: E731
    assert page("unallocated=ep_advice") == ["A", "B", "C", "F"]
    assert page("flags=looked_after") == ["A"]
    assert page("flags=phase_transfer") == ["B"]
    assert page("flags=looked_after&flags=phase_transfer") == []
    assert page("setting=riverside") == ["D"]
    assert page(f"provider={provider.id}") == ["D"]
    assert page("band=due_soon") == ["F"]
    assert page("band=under_4") == ["E"]
    assert page("band=4_to_12") == ["A", "B"]
    assert page("band=over_26") == ["D"]
    searched = manager.post("/cases/backlog", {"q": "b", "window": "4"})
    assert _refs(manager.soup(searched)) == ["B"]


@freeze_time(TODAY)
def test_htmx_filter_returns_only_the_table(backlog, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases/backlog?flags=looked_after", htmx=True)
    assert _refs(soup) == ["A"]
    assert soup.find("h1") is None


@freeze_time(TODAY)
def test_work_status_column(backlog, make, client_for):
    make.allocation(
        case=backlog["A"], provider=make.provider("Northbrook"), allocated_on=date(2024, 11, 20)
    )
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases/backlog")
    work = _row(soup, "A").select_one(".portal-work-list").get_text(" ", strip=True)
    assert "Educational psychology advice: With Northbrook, due 1 Jan" in work
    assert "Draft EHC plan: Not allocated" in work


@freeze_time(TODAY)
def test_bulk_allocation_checks_then_allocates_all(backlog, make, client_for):
    provider = make.provider("Clearwater")
    make.allocation(provider=provider, due_on=date(2024, 11, 1))  # already overdue with them
    manager = client_for(Role.MANAGER)
    ids = [str(backlog["A"].id), str(backlog["D"].id)]
    data = {"case_id": ids, "bulk-work_type": "plan_writing", "bulk-provider": str(provider.id)}
    response = manager.post("/cases/backlog/allocate", data)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Check before you allocate" in text
    assert "Educational psychology advice: 1 open" in text
    assert "1 past their due date" in text
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 1  # nothing yet

    response = manager.post("/cases/backlog/allocate/confirm", data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases/backlog"
    rows = db.session.scalars(
        select(Allocation).where(
            Allocation.provider_id == provider.id, Allocation.allocated_on == date(2024, 12, 1)
        )
    ).all()
    assert sorted(a.case_id for a in rows) == sorted(int(i) for i in ids)
    assert all(a.due_on == date(2025, 1, 12) for a in rows)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "bulk_allocation")
        )
        == 1
    )
    soup = manager.page("/cases/backlog")
    assert "2 cases allocated to Clearwater for draft ehc plan" in soup.get_text()

    # Submitting the same confirmation again allocates nothing more and says why.
    again = manager.post("/cases/backlog/allocate/confirm", data)
    assert again.status_code == 200
    assert "Nothing was allocated" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 3


@freeze_time(TODAY)
def test_bulk_allocation_is_all_or_nothing(backlog, make, client_for):
    provider = make.provider("Clearwater")
    make.allocation(case=backlog["D"], work_type="plan_writing", provider=make.provider("Other"))
    manager = client_for(Role.MANAGER)
    data = {
        "case_id": [str(backlog["A"].id), str(backlog["D"].id)],
        "bulk-work_type": "plan_writing",
        "bulk-provider": str(provider.id),
    }
    response = manager.post("/cases/backlog/allocate/confirm", data)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Case D already has draft ehc plan allocated to Other" in text
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Allocation)
            .where(Allocation.provider_id == provider.id)
        )
        == 0
    )


@freeze_time(TODAY)
def test_bulk_allocation_needs_cases_and_choices(backlog, client_for):
    manager = client_for(Role.MANAGER)
    response = manager.post("/cases/backlog/allocate", {"bulk-work_type": "", "bulk-provider": ""})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<title>Error: Backlog" in text
    for message in (
        "Select at least one case to allocate",
        "Select the type of work",
        "Select a provider",
    ):
        assert message in text


@freeze_time(TODAY)
def test_declined_work_leaves_the_case_unallocated(backlog, make, client_for):
    make.allocation(
        case=backlog["D"],
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 11, 1),
        decline_reason="No capacity",
    )
    manager = client_for(Role.MANAGER)
    assert "D" in _refs(manager.page("/cases/backlog?unallocated=ep_advice"))
