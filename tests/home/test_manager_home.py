"""The manager home: each card's count, on hand-made data at the edges of the week
(Europe/London), is exactly the list its link leads to; providers' load against capacity."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, ContractStatus, Role
from tests.helpers import PortalClient

WITH = AllocationStatus.ALLOCATED
QUESTION_AT = datetime(2024, 6, 20, 9, 0, tzinfo=UTC)


def _work(make, ref: str, due: date, status=WITH, work_type="plan_writing", **kwargs):
    """An allocation of a case called ref, due on a day (the contract's date, or the
    statutory one for advice when given)."""
    provider = kwargs.pop("provider", None) or make.provider(f"Provider for {ref}")
    return make.allocation(
        case=make.case(case_ref=ref),
        provider=provider,
        work_type=work_type,
        allocated_on=kwargs.pop("allocated_on", date(2024, 6, 1)),
        due_on=kwargs.pop("due_on", due),
        statutory_due_on=kwargs.pop("statutory_due_on", None),
        status=status,
        **kwargs,
    )


@pytest.fixture
def week(make):
    """Work around Monday 1 July 2024 to Sunday 7 July 2024 (British Summer Time)."""
    _work(make, "DUE-MON", date(2024, 7, 1), unanswered_question_at=QUESTION_AT)
    _work(make, "DUE-SUN", date(2024, 7, 7))
    _work(make, "DUE-NEXT-MON", date(2024, 7, 8))
    _work(make, "DUE-LAST-SUN", date(2024, 6, 30))
    _work(make, "AMEND-WED", date(2024, 7, 3), status=AllocationStatus.AMENDMENT_REQUESTED)
    _work(
        make,
        "RETURNED",
        date(2024, 6, 20),
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 6, 19),
        unanswered_question_at=QUESTION_AT,
    )
    # Advice: its statutory date (reg 8) counts, not the contract's.
    _work(
        make,
        "ADVICE-TUE",
        date(2024, 7, 2),
        work_type="ep_advice",
        statutory_due_on=date(2024, 7, 2),
        due_on=date(2024, 7, 20),
    )
    _work(make, "ACCEPTED", date(2024, 7, 2), status=AllocationStatus.ACCEPTED)
    _work(make, "WITHDRAWN", date(2024, 6, 2), status=AllocationStatus.WITHDRAWN)


def _counts(page: BeautifulSoup) -> dict[str, int]:
    return {
        tag["id"].removeprefix("count-"): int(tag.get_text()) for tag in page.select("[id^=count-]")
    }


def _refs(page: BeautifulSoup, table: str) -> list[str]:
    return sorted(row.select_one("a").get_text() for row in page.select(f"#{table} tbody tr"))


def _listed(manager: PortalClient, page: BeautifulSoup, key: str) -> list[str]:
    """The case references on the list the card's link leads to."""
    target = manager.page(page.select_one(f"#link-{key}")["href"])
    return _refs(target, "board-table" if key == "unallocated-overdue" else "allocation-list")


@pytest.mark.parametrize(
    ("moment", "due_this_week", "overdue"),
    [
        # Sunday 30 June, 23:30 in UTC, is already Monday 1 July in London.
        (
            "2024-06-30T23:30:00Z",
            ["ADVICE-TUE", "AMEND-WED", "DUE-MON", "DUE-SUN"],
            ["DUE-LAST-SUN"],
        ),
        # The last minute of Sunday 7 July in London: only Sunday's is still due this week.
        (
            "2024-07-07T22:59:00Z",
            ["DUE-SUN"],
            ["ADVICE-TUE", "AMEND-WED", "DUE-LAST-SUN", "DUE-MON"],
        ),
        # A minute later it is Monday 8 July: a new week.
        (
            "2024-07-07T23:00:00Z",
            ["DUE-NEXT-MON"],
            ["ADVICE-TUE", "AMEND-WED", "DUE-LAST-SUN", "DUE-MON", "DUE-SUN"],
        ),
    ],
)
def test_each_card_counts_exactly_the_list_it_links_to(
    week, client_for, moment, due_this_week, overdue
):
    with freeze_time(moment):
        manager = client_for(Role.MANAGER)
        page = manager.page("/home")
        expected = {
            "awaiting-review": ["RETURNED"],
            "questions-waiting": ["DUE-MON", "RETURNED"],
            "due-this-week": due_this_week,
            "overdue": overdue,
            "unallocated-overdue": [],
        }
        assert _counts(page) == {key: len(refs) for key, refs in expected.items()}
        for key, refs in expected.items():
            assert _listed(manager, page, key) == refs, key


@freeze_time("2024-12-02")
def test_unallocated_cases_past_20_weeks(make, client_for):
    make.case(case_ref="NOTHING", request_received_on=date(2024, 1, 1))
    withdrawn = make.case(case_ref="WITHDRAWN-ONLY", request_received_on=date(2024, 2, 1))
    make.allocation(case=withdrawn, status=AllocationStatus.WITHDRAWN)
    declined = make.case(case_ref="DECLINED-ONLY", request_received_on=date(2024, 3, 1))
    make.allocation(case=declined, status=AllocationStatus.DECLINED)
    taken = make.case(case_ref="TAKEN", request_received_on=date(2024, 1, 1))
    make.allocation(case=taken, status=AllocationStatus.ACCEPTED)
    make.case(case_ref="NOT-YET-DUE", request_received_on=date(2024, 11, 1))
    # 2 December is 140 days after 15 July: due today, so not yet past 20 weeks; 14 July's is.
    make.case(case_ref="DUE-TODAY", request_received_on=date(2024, 7, 15))
    make.case(case_ref="DUE-YESTERDAY", request_received_on=date(2024, 7, 14))
    make.case(
        case_ref="CLOSED",
        request_received_on=date(2024, 1, 1),
        final_plan_issued_on=date(2024, 6, 1),
    )
    manager = client_for(Role.MANAGER)
    page = manager.page("/home")
    assert _counts(page)["unallocated-overdue"] == 4
    assert _listed(manager, page, "unallocated-overdue") == [
        "DECLINED-ONLY",
        "DUE-YESTERDAY",
        "NOTHING",
        "WITHDRAWN-ONLY",
    ]
    board = manager.page(page.select_one("#link-unallocated-overdue")["href"])
    assert board.select_one("#unallocated option[selected]")["value"] == "nothing"


@freeze_time("2024-07-10")
def test_each_providers_load_this_month_against_stated_capacity(make, client_for):
    busy = make.provider("Busy Agency")
    make.contract(provider=busy, stated_monthly_capacity=2)
    make.contract(provider=busy, stated_monthly_capacity=100, status=ContractStatus.ENDED)
    for day in (1, 5, 10):
        make.allocation(provider=busy, allocated_on=date(2024, 7, day))
    make.allocation(provider=busy, allocated_on=date(2024, 7, 3), status=AllocationStatus.DECLINED)
    make.allocation(provider=busy, allocated_on=date(2024, 6, 30))  # last month
    two = make.provider("Two Contracts Ltd")
    make.contract(provider=two, stated_monthly_capacity=10)
    make.contract(provider=two, stated_monthly_capacity=5)
    make.allocation(provider=two, allocated_on=date(2024, 7, 2))
    make.contract(provider=make.provider("No Capacity Stated"))
    make.provider("Gone Agency", active=False)
    manager = client_for(Role.MANAGER)
    page = manager.page("/home")
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in page.select("#provider-load tbody tr")
    ]
    assert rows == [
        ["Busy Agency", "3", "2", "1 over"],
        ["No Capacity Stated", "0", "Not stated", "– not stated"],
        ["Two Contracts Ltd", "1", "15", "14"],
    ]
    link = page.select_one("#provider-load tbody tr a")["href"]
    assert link == f"/allocations?provider={busy.id}"


def test_managers_and_administrators_start_at_the_home_page(make, app):
    for role in (Role.MANAGER, Role.ADMIN):
        client = PortalClient(app)
        response = client.sign_in(make.user(role))
        assert response.headers["Location"] == "/home"
        page = client.page("/home")
        assert page.find("a", string="Go to the backlog")["href"] == "/cases/backlog"


def test_the_due_filters_on_the_allocation_list_say_what_they_show(client_for):
    manager = client_for(Role.MANAGER)
    page = manager.page("/allocations?due=overdue")
    assert "Showing only work past its due date" in page.select_one("#due-filter").text
    assert page.select_one("form.portal-filters input[name=due]")["value"] == "overdue"
    assert manager.page("/allocations?due=whenever").select_one("#due-filter") is None
    db.session.commit()
