"""The main journeys with the keyboard only (Tab, Enter, Space; typing into fields), with
axe-core (WCAG 2.2 AA) after every htmx swap: after each swap focus is on the notification
banner or the error summary, and the next Tab stays in the main content."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from provider_portal.models import AllocationStatus, Role
from provider_portal.timescales import today
from tests.browser.accessibility import AccessibilityLog, screenshot
from tests.browser.conftest import PageProblems
from tests.browser.keyboard import assert_next_tab_stays_in_main, sign_in_by_keyboard, tab_to
from tests.factories import Factory
from tests.files import PDF_BYTES

pytestmark = pytest.mark.browser

BANNER = ".govuk-notification-banner"
SUMMARY = ".govuk-error-summary"


def expect_error_pattern(page: Page) -> None:
    """GOV.UK's error pattern: the summary first in the main content, focused, and "Error: "
    before the page title."""
    summary = page.locator(SUMMARY)
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    first = page.evaluate(
        "() => document.getElementById('main-content').firstElementChild.className"
    )
    assert "govuk-error-summary" in first, first


def expect_banner_focused(page: Page, text: str) -> None:
    banner = page.locator(BANNER)
    expect(banner).to_have_count(1)
    expect(banner).to_be_focused()
    expect(banner).to_contain_text(text)
    expect(page.locator(SUMMARY)).to_have_count(0)
    expect(page).not_to_have_title(re.compile(r"^Error: "))


def test_provider_accepts_new_work_and_returns_it_by_keyboard(
    page: Page, page_problems: PageProblems, make: Factory, tmp_path: Path
) -> None:
    provider = make.provider("Northbrook Psychology Services")
    make.user(Role.PROVIDER_ADMIN, provider=provider, email="admin@northbrook.test")
    make.allocation(case=make.case(case_ref="EHC24-0042"), provider=provider)
    log = AccessibilityLog()

    sign_in_by_keyboard(page, "admin@northbrook.test")
    # The provider's home lists the new work to accept.
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    tab_to(page, "EHC24-0042")
    page.keyboard.press("Enter")
    expect(page.locator("#allocation-status")).to_contain_text("With provider")

    tab_to(page, "Accept this work")
    page.keyboard.press("Enter")
    expect_banner_focused(page, "You accepted this work")
    log.check_widths(page, "provider work, accepted")
    assert_next_tab_stays_in_main(page)

    # Upload with no file chosen: the error summary, at the top and focused.
    tab_to(page, "Upload")
    page.keyboard.press("Enter")
    expect_error_pattern(page)
    log.check_widths(page, "provider work, upload error")
    screenshot(page, "keyboard-provider-upload-error")
    tab_to(page, "#upload-document")
    upload = tmp_path / "ep-advice.pdf"
    upload.write_bytes(PDF_BYTES)
    page.locator(":focus").set_input_files(str(upload))  # the file chooser, not a click
    tab_to(page, "Upload")
    page.keyboard.press("Enter")
    expect_banner_focused(page, "Document uploaded")
    log.check_widths(page, "provider work, uploaded")

    tab_to(page, "Mark as returned to the council")
    page.keyboard.press(" ")
    expect_banner_focused(page, "Work returned to the council")
    expect(page.locator("#allocation-status")).to_contain_text("Returned")
    log.check_widths(page, "provider work, returned")
    assert_next_tab_stays_in_main(page)
    screenshot(page, "keyboard-provider-returned")
    log.assert_none()
    page_problems.assert_none()


def test_council_sends_work_back_and_accepts_work_by_keyboard(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    provider = make.provider("Northbrook Psychology Services")
    make.user(Role.MANAGER, email="manager@council.test")
    returned = {
        "provider": provider,
        "status": AllocationStatus.RETURNED,
        "returned_on": date(2024, 9, 2),
    }
    to_send_back = make.allocation(case=make.case(case_ref="EHC24-0001"), **returned)
    to_accept = make.allocation(case=make.case(case_ref="EHC24-0002"), **returned)
    log = AccessibilityLog()

    sign_in_by_keyboard(page, "manager@council.test")
    page.goto(f"/allocations/{to_send_back.id}")
    tab_to(page, "Send back for amendment")
    page.keyboard.press("Enter")
    expect_error_pattern(page)
    log.check_widths(page, "review, send back error")
    tab_to(page, "Recommendations are not specific")
    page.keyboard.press(" ")
    tab_to(page, "What needs to be amended")
    page.keyboard.type("The advice needs the school's views in section B.")
    tab_to(page, "Send back for amendment")
    page.keyboard.press("Enter")
    expect_banner_focused(page, "")
    expect(page.locator("#allocation-status")).to_contain_text(re.compile("amend", re.I))
    log.check_widths(page, "review, sent back")
    assert_next_tab_stays_in_main(page)

    page.goto(f"/allocations/{to_accept.id}")
    tab_to(page, "Accept work")
    page.keyboard.press(" ")
    expect_banner_focused(page, "Work accepted")
    expect(page.locator("#allocation-status")).to_contain_text("Accepted")
    log.check_widths(page, "review, accepted")
    assert_next_tab_stays_in_main(page)
    screenshot(page, "keyboard-council-accepted")
    log.assert_none()
    page_problems.assert_none()


def test_manager_filters_the_board_and_allocates_in_bulk_by_keyboard(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    long_ago = today() - timedelta(days=300)
    make.case(case_ref="LAC-1", looked_after=True, request_received_on=long_ago)
    make.case(case_ref="OTHER-1", request_received_on=long_ago - timedelta(days=10))
    make.provider("Northbrook Psychology Services")
    make.user(Role.MANAGER, email="board@council.test")
    log = AccessibilityLog()

    sign_in_by_keyboard(page, "board@council.test")
    page.goto("/cases/backlog")
    rows = page.locator("#board-table tbody tr")
    expect(rows).to_have_count(2)
    # A filter swaps the table; one short status line says what it found.
    tab_to(page, "Looked after")
    page.keyboard.press(" ")
    expect(rows).to_have_count(1)
    expect(page.locator("#portal-status")).to_have_text(re.compile(r"^1 case on the backlog"))
    expect(page.locator("#board-results")).not_to_have_attribute("aria-live", re.compile("."))
    log.check_widths(page, "board, filtered")
    page.keyboard.press(" ")  # the box is still focused: untick it
    expect(rows).to_have_count(2)

    tab_to(page, "Select case OTHER-1")
    page.keyboard.press(" ")
    tab_to(page, "#bulk-work_type")
    page.keyboard.type("Educational psychology")
    tab_to(page, "#bulk-provider")
    page.keyboard.type("Northbrook")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Check before you allocate")).to_be_visible()
    expect(page.locator("main")).to_contain_text("OTHER-1")
    log.check_widths(page, "bulk check")
    tab_to(page, "Allocate")
    page.keyboard.press("Enter")
    expect(page.locator(BANNER)).to_contain_text(
        "1 case allocated to Northbrook Psychology Services"
    )
    log.check_widths(page, "bulk allocated")
    screenshot(page, "keyboard-bulk-allocated")
    log.assert_none()
    page_problems.assert_none()


def test_a_report_error_follows_the_gov_uk_pattern_by_keyboard(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    """/reports/monthly through htmx: the error summary at the top, focused, "Error: " in the
    title and the error beside its field; put right, the errors go and the count is said."""
    make.allocation(allocated_on=date(2025, 2, 3))
    make.user(Role.MONITOR, email="monitor@council.test")
    log = AccessibilityLog()

    sign_in_by_keyboard(page, "monitor@council.test")
    page.goto("/reports/monthly?start=2025-01&end=2025-03")
    expect(page.locator("#monthly-table")).to_be_visible()
    tab_to(page, "#end")
    page.keyboard.press("Control+A")
    page.keyboard.type("2024-12")
    page.keyboard.press("Enter")
    expect_error_pattern(page)
    expect(page.locator("#monthly-filters .govuk-error-message")).to_contain_text(
        "same as or after"
    )
    log.check_widths(page, "monthly report, error")
    screenshot(page, "keyboard-monthly-error")

    tab_to(page, "#end")
    page.keyboard.press("Control+A")
    page.keyboard.type("2025-03")
    page.keyboard.press("Enter")
    expect(page.locator("#monthly-table")).to_be_visible()
    expect(page.locator(SUMMARY)).to_have_count(0)
    expect(page.locator("#monthly-filters .govuk-error-message")).to_have_count(0)
    expect(page).not_to_have_title(re.compile(r"^Error: "))
    expect(page.locator("#portal-status")).to_contain_text("January 2025 to March 2025")
    log.check_widths(page, "monthly report, put right")
    log.assert_none()
    page_problems.assert_none()
