"""The whole loop in real Chromium: allocate, upload, return, download, accept, report."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from flask import current_app
from playwright.sync_api import Page, expect
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Role, User
from provider_portal.timescales import today
from tests.browser.accessibility import AccessibilityLog
from tests.browser.conftest import PageProblems
from tests.factories import Factory
from tests.files import PDF_BYTES
from tests.helpers import TEST_PASSWORD, totp_code

pytestmark = pytest.mark.browser


def sign_in(page: Page, email: str, two_factor: bool = False) -> None:
    """Sign in through the form; with two_factor, type the code an authenticator app would
    show for the user's secret."""
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if two_factor:
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your authenticator app")
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        db.session.commit()  # see what the portal has committed since (the last code used)
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        page.fill("#code", totp_code(user))
        page.get_by_role("button", name="Continue").click()
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
    # The manager has set up two-factor sign-in; the provider's administrator has not.
    make.user(Role.MANAGER, email="manager@council.test", totp=True)
    make.user(Role.PROVIDER_ADMIN, provider=provider, email="admin@northbrook.test")
    make.case(case_ref="EHC24-0042", first_name="Amelia", last_name="Hughes")
    axe = AccessibilityLog()  # axe-core after every htmx swap

    # The manager allocates EP advice on the case; htmx swaps the allocations in place.
    sign_in(page, "manager@council.test", two_factor=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    page.get_by_role("link", name="Go to the backlog").click()
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
    axe.check(page, "case page, work allocated")
    href = row.get_by_role("link", name="Educational psychology advice").get_attribute("href")
    match = re.fullmatch(r"/allocations/(\d+)", href or "")
    assert match, href
    allocation_url = match.group(0)
    sign_out(page)

    # The provider's administrator finds the work, uploads the advice and returns it.
    sign_in(page, "admin@northbrook.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    expect(page.locator("#list-to-accept")).to_contain_text("EHC24-0042")
    page.get_by_role("link", name="See all your work").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    work = page.locator("#allocation-list tbody tr")
    expect(work).to_have_count(1)
    expect(work).to_contain_text("Educational psychology advice")
    work.get_by_role("link", name="EHC24-0042").click()
    expect(page.locator("#allocation-status")).to_contain_text("With provider")
    # The provider accepts the work before doing it (htmx swaps the panel in place).
    page.get_by_role("button", name="Accept this work").click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "You accepted this work"
    )
    axe.check(page, "provider work, accepted")
    upload = tmp_path / "ep-advice-amelia.pdf"
    upload.write_bytes(PDF_BYTES)
    page.set_input_files("#upload-document", str(upload))
    mark_page(page)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "Document uploaded"
    )
    expect(page.locator("#document-table")).to_contain_text("ep-advice-amelia.pdf")
    axe.check(page, "provider work, uploaded")
    page.get_by_role("button", name="Mark as returned to the council").click()
    expect(page.locator("#provider-work .govuk-notification-banner")).to_contain_text(
        "Work returned to the council"
    )
    expect(page.locator("#allocation-status")).to_contain_text("Returned")
    assert_same_page(page)
    axe.check(page, "provider work, returned")
    sign_out(page)

    # The manager downloads exactly what was uploaded and accepts it.
    sign_in(page, "manager@council.test", two_factor=True)
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
    axe.check(page, "review, accepted")

    # The month's row counts the work as allocated and returned.
    month = today()
    page.goto(f"/reports/monthly?start={month:%Y-%m}&end={month:%Y-%m}")
    month_row = page.locator("#monthly-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=month.strftime("%B %Y"))
    )
    expect(month_row.locator("td")).to_have_text(["1", "1", "0"])

    assert page.evaluate("window.__cspViolations") == []
    page_problems.assert_none()
    assert len(axe.checked) == 5
    axe.assert_none()


def test_two_factor_set_up_and_sign_in(
    page: Page, page_problems: PageProblems, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set up two-factor sign-in when it is required: the QR code loads under the CSP, the key
    shown works in an authenticator app, and the next sign-in asks for a code."""
    monkeypatch.setitem(current_app.config, "TOTP_REQUIRED", True)
    provider = make.provider("Northbrook Psychology Services")
    make.user(Role.PRACTITIONER, provider=provider, email="pat@northbrook.test")

    page.goto("/sign-in")
    page.fill("#email", "pat@northbrook.test")
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "QR code did not load"
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    sign_out(page)

    sign_in(page, "pat@northbrook.test", two_factor=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs doing")
    assert page.evaluate("window.__cspViolations") == []
    page_problems.assert_none()
