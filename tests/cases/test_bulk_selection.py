"""Bulk allocation from the board: ticks kept for each manager across pages and filters, with
and without htmx; conflicts shown on the check page and "Allocate the other n"; the way back
keeps the filters and the selection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, BoardSelection, Role

TODAY = "2024-12-01"


@pytest.fixture
def backlog(make):
    """60 cases past 20 weeks: the even ones at Elm School, the odd ones at Oak School."""
    return [
        make.case(
            case_ref=f"SEL{i:03d}",
            setting="Elm School" if i % 2 == 0 else "Oak School",
            request_received_on=date(2024, 1, 1) + timedelta(days=i),
        )
        for i in range(60)
    ]


def _shown(soup: BeautifulSoup) -> list[str]:
    return [tag["value"] for tag in soup.select("#board-table input[name=shown]")]


def _ticked(soup: BeautifulSoup) -> list[str]:
    return [tag["value"] for tag in soup.select("#board-table input[name=case_id][checked]")]


def _count(soup: BeautifulSoup) -> str:
    return " ".join(soup.select_one("#selection-count").get_text().split())


@freeze_time(TODAY)
def test_ticks_are_kept_across_pages_and_filters_without_javascript(backlog, client_for):
    manager = client_for(Role.MANAGER)
    first = manager.page("/cases/backlog")
    page_one = _shown(first)
    assert len(page_one) == 50 and _count(first) == "0 cases selected"
    # The bar with the Allocate controls comes before the rows.
    bar, table = first.select_one("#selection-bar"), first.select_one("#board-table")
    assert bar.find_next("table") is table
    assert bar.select_one("#bulk-work_type") and bar.select_one("button[value=clear]")

    response = manager.post(
        "/cases/backlog/selection?page=1",
        {"shown": page_one, "case_id": page_one[:2], "selection": "update"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases/backlog?page=1"

    second = manager.page("/cases/backlog?page=2")
    page_two = _shown(second)
    assert len(page_two) == 10 and not _ticked(second)
    assert _count(second) == "2 cases selected"
    manager.post("/cases/backlog/selection?page=2", {"shown": page_two, "case_id": page_two[-1]})

    # A filter shows the ticked cases it keeps ticked, and the count of the whole selection.
    elm = manager.page("/cases/backlog?setting=Elm+School")
    selected = {page_one[0], page_one[1], page_two[-1]}
    assert set(_ticked(elm)) == selected & set(_shown(elm))
    assert _count(elm) == "3 cases selected"

    # Unticking a case on one page leaves the ticks on other pages alone.
    manager.post("/cases/backlog/selection", {"shown": page_one, "case_id": page_one[1]})
    again = manager.page("/cases/backlog?page=2")
    assert _ticked(again) == [page_two[-1]]
    assert _count(again) == "2 cases selected"


@freeze_time(TODAY)
def test_each_tick_is_saved_with_htmx(backlog, client_for):
    manager = client_for(Role.MANAGER)
    page = manager.page("/cases/backlog")
    shown = _shown(page)
    box = page.select_one(f"#select-case-{shown[0]}")
    assert box["hx-post"] == "/cases/backlog/selection"
    assert box["hx-target"] == "#selection-count"

    response = manager.post(
        "/cases/backlog/selection", {"shown": shown, "case_id": shown[:3]}, htmx=True
    )
    assert response.status_code == 200
    assert " ".join(response.get_data(as_text=True).split()) == "3 cases selected"
    response = manager.post(
        "/cases/backlog/selection", {"shown": shown, "case_id": shown[:1]}, htmx=True
    )
    assert " ".join(response.get_data(as_text=True).split()) == "1 case selected"
    assert _ticked(manager.page("/cases/backlog")) == shown[:1]


@freeze_time(TODAY)
def test_the_selection_can_be_cleared(backlog, client_for):
    manager = client_for(Role.MANAGER)
    shown = _shown(manager.page("/cases/backlog"))
    manager.post("/cases/backlog/selection", {"shown": shown, "case_id": shown[:5]})
    response = manager.post(
        "/cases/backlog/selection?setting=Oak+School",
        {"shown": shown, "case_id": shown[:5], "selection": "clear"},
    )
    assert response.headers["Location"] == "/cases/backlog?setting=Oak+School"
    page = manager.page("/cases/backlog")
    assert not _ticked(page) and _count(page) == "0 cases selected"


@freeze_time(TODAY)
def test_the_selection_stops_at_the_bulk_limit(backlog, client_for, monkeypatch):
    monkeypatch.setattr("provider_portal.cases.board.routes.MAX_BULK", 2)
    manager = client_for(Role.MANAGER)
    shown = _shown(manager.page("/cases/backlog"))
    response = manager.post(
        "/cases/backlog/selection", {"shown": shown, "case_id": shown[:3]}, htmx=True
    )
    assert "2 cases selected: you can select up to 2" in " ".join(
        response.get_data(as_text=True).split()
    )
    assert _ticked(manager.page("/cases/backlog")) == shown[:2]


@freeze_time(TODAY)
def test_check_page_lists_conflicts_and_allocates_the_others(backlog, make, client_for):
    provider = make.provider("Clearwater")
    other = make.provider("Other Agency")
    taken = backlog[2]
    make.allocation(case=taken, provider=other, work_type="plan_writing")
    # Open work of another type, or plan writing already declined, is no conflict.
    make.allocation(case=backlog[4], provider=other, work_type="ep_advice")
    make.allocation(
        case=backlog[6], provider=other, work_type="plan_writing", status=AllocationStatus.DECLINED
    )
    manager = client_for(Role.MANAGER)
    chosen = [str(backlog[i].id) for i in (0, 2, 4, 6)]
    manager.post("/cases/backlog/selection", {"case_id": chosen})

    # Continue from a filtered board whose page shows none of them ticked any more than before.
    elm = manager.page("/cases/backlog?setting=Elm+School")
    form = elm.select_one("#bulk-form")
    assert form["action"] == "/cases/backlog/allocate?page=1&setting=Elm+School"
    response = manager.post(
        form["action"],
        {
            "shown": _shown(elm),
            "case_id": _ticked(elm),
            "bulk-work_type": "plan_writing",
            "bulk-provider": str(provider.id),
        },
    )
    assert response.status_code == 200
    check = manager.soup(response)
    conflicts = [" ".join(li.get_text().split()) for li in check.select("#conflict-list li")]
    assert conflicts == [f"{taken.case_ref}: with provider (Other Agency)"]
    listed = [li.get_text().split(":")[0] for li in check.select("#case-list li")]
    assert listed == [backlog[i].case_ref for i in (0, 4, 6)]
    button = check.select_one("#confirm-submit")
    assert button.get_text(strip=True) == "Allocate the other 3"
    confirm = button.find_parent("form")
    hidden = [tag["value"] for tag in confirm.select("input[name=case_id]")]
    assert hidden == [str(backlog[i].id) for i in (0, 4, 6)]
    back = check.select_one("#back-to-board")["href"]
    assert back == "/cases/backlog?page=1&setting=Elm+School"

    data = {tag["name"]: tag["value"] for tag in confirm.select("input[type=hidden]")}
    data["case_id"] = hidden
    data["confirm-paper_kinds"] = []
    response = manager.post(confirm["action"], data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases/backlog?page=1&setting=Elm+School"
    allocated = db.session.scalars(
        select(Allocation.case_id).where(Allocation.provider_id == provider.id)
    ).all()
    assert sorted(allocated) == sorted(backlog[i].id for i in (0, 4, 6))
    # The cases allocated leave the selection; the one left out stays ticked.
    board = manager.page(back)
    assert _count(board) == "1 case selected"
    assert _ticked(board) == [str(taken.id)]


@freeze_time(TODAY)
def test_back_link_keeps_the_filters_and_the_selection(backlog, make, client_for):
    provider = make.provider("Clearwater")
    manager = client_for(Role.MANAGER)
    oak = manager.page("/cases/backlog?setting=Oak+School&window=0")
    shown = _shown(oak)
    response = manager.post(
        oak.select_one("#bulk-form")["action"],
        {
            "shown": shown,
            "case_id": shown[:2],
            "bulk-work_type": "ep_advice",
            "bulk-provider": str(provider.id),
        },
    )
    check = manager.soup(response)
    back = check.select_one("#back-to-board")["href"]
    assert back == "/cases/backlog?page=1&setting=Oak+School&window=0"
    board = manager.page(back)
    assert board.select_one("#setting")["value"] == "Oak School"
    assert _ticked(board) == shown[:2]
    assert _count(board) == "2 cases selected"


@freeze_time(TODAY)
def test_nothing_to_allocate_when_every_case_has_the_work(backlog, make, client_for):
    provider = make.provider("Clearwater")
    make.allocation(case=backlog[0], provider=provider, work_type="plan_writing")
    manager = client_for(Role.MANAGER)
    manager.post("/cases/backlog/selection", {"case_id": [str(backlog[0].id)]})
    response = manager.post(
        "/cases/backlog/allocate",
        {"bulk-work_type": "plan_writing", "bulk-provider": str(provider.id)},
    )
    check = manager.soup(response)
    assert check.select_one("#nothing-to-allocate")
    assert check.select_one("#confirm-submit") is None
    assert len(check.select("#conflict-list li")) == 1


@freeze_time(TODAY)
def test_continue_with_nothing_selected_shows_the_error(backlog, make, client_for):
    provider = make.provider("Clearwater")
    manager = client_for(Role.MANAGER)
    response = manager.post(
        "/cases/backlog/allocate?setting=Elm+School",
        {"bulk-work_type": "ep_advice", "bulk-provider": str(provider.id)},
    )
    page = manager.soup(response)
    assert page.title.get_text().startswith("Error: ")
    assert "Select at least one case to allocate" in page.select_one(".govuk-error-summary").text
    assert page.select_one("#setting")["value"] == "Elm School"


@freeze_time(TODAY)
def test_a_page_answered_after_a_tick_does_not_undo_it(backlog, client_for):
    """A filter sent before a tick was saved and answered after it brings back the session
    cookie as it was: the ticks are not in the cookie, so the tick stays."""
    manager = client_for(Role.MANAGER)
    shown = _shown(manager.page("/cases/backlog"))
    before = manager.http.get_cookie("session").value
    response = manager.post(
        "/cases/backlog/selection", {"shown": shown, "case_id": shown[:1]}, htmx=True
    )
    assert " ".join(response.get_data(as_text=True).split()) == "1 case selected"
    manager.http.set_cookie("session", before)
    page = manager.page("/cases/backlog?setting=Elm+School")
    assert _count(page) == "1 case selected"
    assert _ticked(manager.page("/cases/backlog")) == shown[:1]


@freeze_time(TODAY)
def test_each_manager_has_their_own_selection_and_sign_in_starts_afresh(backlog, make, client_for):
    first_manager = make.user(Role.MANAGER)
    first = client_for(first_manager)
    second = client_for(Role.MANAGER)
    shown = _shown(first.page("/cases/backlog"))
    first.post("/cases/backlog/selection", {"shown": shown, "case_id": shown[:2]}, htmx=True)
    second.post("/cases/backlog/selection", {"shown": shown, "case_id": shown[5:6]}, htmx=True)
    assert _ticked(first.page("/cases/backlog")) == shown[:2]
    assert _ticked(second.page("/cases/backlog")) == shown[5:6]

    again = client_for(first_manager)
    assert _count(again.page("/cases/backlog")) == "0 cases selected"
    assert _ticked(second.page("/cases/backlog")) == shown[5:6]


@freeze_time(TODAY)
def test_the_same_tick_twice_or_a_made_up_case_is_kept_once_or_not_at_all(backlog, client_for):
    manager = client_for(Role.MANAGER)
    shown = _shown(manager.page("/cases/backlog"))
    for _ in range(2):
        response = manager.post(
            "/cases/backlog/selection",
            {"shown": shown, "case_id": [shown[0], shown[0], "999999", "x"]},
            htmx=True,
        )
        assert response.status_code == 200
        assert " ".join(response.get_data(as_text=True).split()) == "1 case selected"
    kept = db.session.scalars(
        select(BoardSelection.case_id).where(BoardSelection.user_id == manager.user.id)
    )
    assert list(kept) == [int(shown[0])]


@freeze_time(TODAY)
def test_the_selection_keeps_the_order_the_cases_were_ticked(backlog, client_for):
    manager = client_for(Role.MANAGER)
    shown = _shown(manager.page("/cases/backlog"))
    first = [shown[7], shown[2], shown[5], shown[0]]  # not in id or page order
    manager.post("/cases/backlog/selection", {"shown": shown, "case_id": first}, htmx=True)
    manager.post(
        "/cases/backlog/selection", {"shown": shown, "case_id": [*first, shown[1]]}, htmx=True
    )
    kept = db.session.scalars(
        select(BoardSelection.case_id)
        .where(BoardSelection.user_id == manager.user.id)
        .order_by(BoardSelection.id)
    )
    assert [str(case_id) for case_id in kept] == [*first, shown[1]]
