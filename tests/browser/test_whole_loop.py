"""The whole loop in real Chromium: allocate, upload, return, download, accept, report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from provider_portal.models import Role
from provider_portal.timescales import today
from tests.browser.conftest import PageProblems
from tests.factories import Factory
from tests.helpers import TEST_PASSWORD

pytestmark = pytest.mark.browser

PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def mark_page(page: Page) -> None:
    """Leave a marker on the window: it survives an htmx swap but not a full page load."""
    page.evaluate("window.__marker = 1")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"


def test_allocate_upload_return_accept_and_report(
    page: Page, page_problems: PageProblems, make: Factory, tmp_path: Path
) -> None:
    provider = make.provider("Northbrook Psychology Services")
    make.provider("Clearwater Plan Writing Ltd")
    make.user(Role.MANAGER, email="manager@council.test")
    make.user(Role.PROVIDER_ADMIN, provider=provider, email="admin@northbrook.test")
    make.case(case_ref="EHC24-0042", first_name="Amelia", last_name="Hughes")

    # The manager allocates EP advice on the case; htmx swaps the allocations in place.
    sign_in(page, "manager@council.test")
    page.get_by_role("link", name="EHC24-0042").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EHC24-0042")
    expect(page.locator("main")).to_contain_text("Amelia Hughes")
    page.select_option("#work_type", "ep_advice")
    page.select_option("#provider", label="Northbrook Psychology Services")
    mark_page(page)
    page.get_by_role("button", name="Allocate").click()
    allocations = page.locator("#case-allocations")
    expect(allocations.locator(".govuk-notification-banner")).to_contain_text(
        "Educational psychology advice allocated to Northbrook Psychology Services"
    )
    row = page.locator("#allocation-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Northbrook Psychology Services")
    expect(row).to_contain_text("With provider")
    assert_same_page(page)
    href = row.get_by_role("link", name="Educational psychology advice").get_attribute("href")
    match = re.fullmatch(r"/allocations/(\d+)", href or "")
    assert match, href
    allocation_url = match.group(0)
    sign_out(page)

    # The provider's administrator finds the work, uploads the advice and returns it.
    sign_in(page, "admin@northbrook.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    work = page.locator("#allocation-list tbody tr")
    expect(work).to_have_count(1)
    expect(work).to_contain_text("Educational psychology advice")
    work.get_by_role("link", name="EHC24-0042").click()
    expect(page.locator("#allocation-status")).to_contain_text("With provider")
    upload = tmp_path / "ep-advice-amelia.pdf"
    upload.write_bytes(PDF_BYTES)
    page.set_input_files("#upload-document", str(upload))
    mark_page(page)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "Document uploaded"
    )
    expect(page.locator("#document-table")).to_contain_text("ep-advice-amelia.pdf")
    page.get_by_role("button", name="Mark as returned to the council").click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "Work returned to the council"
    )
    expect(page.locator("#allocation-status")).to_contain_text("Returned")
    assert_same_page(page)
    sign_out(page)

    # The manager downloads exactly what was uploaded and accepts it.
    sign_in(page, "manager@council.test")
    page.goto(allocation_url)
    expect(page.locator("#allocation-status")).to_contain_text("Returned")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="ep-advice-amelia.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "ep-advice-amelia.pdf"
    assert Path(download.path()).read_bytes() == PDF_BYTES
    mark_page(page)
    page.get_by_role("button", name="Accept work").click()
    expect(page.locator("#review-panel .govuk-notification-banner")).to_contain_text(
        "Work accepted"
    )
    expect(page.locator("#allocation-status")).to_contain_text("Accepted")
    expect(page.get_by_role("button", name="Accept work")).to_have_count(0)
    assert_same_page(page)

    # The month's row counts the work as allocated and returned.
    month = today()
    page.goto(f"/reports/monthly?start={month:%Y-%m}&end={month:%Y-%m}")
    month_row = page.locator("#monthly-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=month.strftime("%B %Y"))
    )
    expect(month_row.locator("td")).to_have_text(["1", "1", "0"])

    assert page.evaluate("window.__cspViolations") == []
    page_problems.assert_none()
