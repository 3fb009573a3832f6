"""A child's name typed into the search box of the case list or the board filters the results
in place and goes nowhere else: not into the address bar or the browser's history, not into
sessionStorage or localStorage. The other filters still go into the URL, to share."""

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

NAME = "Zephyrine"


def _nothing_stored(page: Page) -> None:
    stored = page.evaluate(
        "JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])"
    )
    assert NAME.lower() not in stored.lower()


def test_a_name_search_stays_out_of_the_address_and_the_browser(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    long_ago = today() - timedelta(days=300)
    make.case(case_ref="LAC-1", first_name=NAME, looked_after=True, request_received_on=long_ago)
    make.case(case_ref="OTHER-1", first_name="Sam", request_received_on=long_ago)
    make.user(Role.MANAGER, email="search@council.test")
    sign_in(page, "search@council.test")

    for path, table in (("/cases", "#case-table"), ("/cases/backlog", "#board-table")):
        page.goto(path)
        rows = page.locator(f"{table} tbody tr")
        expect(rows).to_have_count(2)
        mark_page(page)
        before = page.evaluate("history.length")
        page.locator("#q").press_sequentially(NAME)  # as typed: the search runs on keyup
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("LAC-1")
        assert_same_page(page)
        assert NAME.lower() not in page.url.lower()
        # Typing replaces the history entry rather than adding one per pause.
        assert page.evaluate("history.length") == before
        _nothing_stored(page)

        # A non-name filter still goes into the URL, as before.
        if path == "/cases":
            page.select_option("#allocation", "unallocated")
            expect(page).to_have_url(re.compile(r"allocation=unallocated"))
        else:
            page.get_by_label("Looked after").check()
            expect(page).to_have_url(re.compile(r"flags=looked_after"))
        assert NAME.lower() not in page.url.lower()
        expect(rows).to_have_count(1)
        page.go_back()
        assert NAME.lower() not in page.url.lower()
        _nothing_stored(page)
    page_problems.assert_none()


def test_without_javascript_the_search_is_posted(browser, live_server: str, make: Factory) -> None:
    long_ago = today() - timedelta(days=300)
    make.case(case_ref="LAC-1", first_name=NAME, request_received_on=long_ago)
    make.case(case_ref="OTHER-1", first_name="Sam", request_received_on=long_ago)
    make.user(Role.MANAGER, email="nojs@council.test")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "nojs@council.test")
        page.goto("/cases")
        page.fill("#q", NAME)
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("#case-table tbody tr")).to_have_count(1)
        assert NAME.lower() not in page.url.lower()
        page.fill("#q", "")
        page.select_option("#allocation", "unallocated")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"/cases\?allocation=unallocated$"))
        expect(page.locator("#case-table tbody tr")).to_have_count(2)
    finally:
        context.close()
