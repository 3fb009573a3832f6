"""The backlog board in Chromium: a filter swaps only the table, pushes the URL, and the back
button and a shared link show the same board; selected cases are allocated in bulk."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from provider_portal.models import Role
from provider_portal.timescales import today
from tests.browser.conftest import PageProblems
from tests.browser.test_whole_loop import assert_same_page, mark_page, sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_filter_swaps_the_table_and_the_url_can_be_shared(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    long_ago = today() - timedelta(days=300)
    make.case(case_ref="LAC-1", looked_after=True, request_received_on=long_ago)
    make.case(case_ref="OTHER-1", request_received_on=long_ago - timedelta(days=10))
    make.provider("Northbrook Psychology Services")
    make.user(Role.MANAGER, email="board@council.test")

    sign_in(page, "board@council.test")
    expect(page.get_by_role("heading", level=1, name="What needs doing")).to_be_visible()
    page.get_by_role("link", name="Go to the backlog").click()
    expect(page.get_by_role("heading", level=1, name="Backlog")).to_be_visible()
    rows = page.locator("#board-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("LAC-1")  # looked after comes first

    mark_page(page)
    page.get_by_label("Looked after").check()
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"flags=looked_after"))
    assert_same_page(page)
    shared = page.url

    page.go_back()
    expect(rows).to_have_count(2)
    page.goto(shared)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("LAC-1")

    # Bulk allocation: tick, choose, check, confirm.
    page.goto("/cases/backlog")
    page.get_by_label("Select case OTHER-1").check()
    page.select_option("#bulk-work_type", "ep_advice")
    page.select_option("#bulk-provider", label="Northbrook Psychology Services")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Check before you allocate")).to_be_visible()
    expect(page.locator("main")).to_contain_text("OTHER-1")
    page.get_by_role("button", name="Allocate").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "1 case allocated to Northbrook Psychology Services"
    )
    page_problems.assert_none()
