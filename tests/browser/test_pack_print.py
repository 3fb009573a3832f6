"""The monitoring pack in Chromium: its charts load under the CSP, changing the months swaps
the pack in place, and it prints as a clean A4 board paper with no navigation, forms or
buttons."""

from __future__ import annotations

import re
from datetime import date

import pytest
from freezegun import freeze_time
from playwright.sync_api import Page, expect

from provider_portal.models import AllocationStatus, Role
from tests.browser.conftest import PageProblems
from tests.browser.test_whole_loop import sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_the_pack_shows_its_charts_and_prints_without_navigation(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    contract = make.contract(
        reference="CON-PRINT",
        value="850000",
        prices={"ep_advice": "1200"},
        monthly_volume=2,
        on_time_target_percent=90,
        max_rework_percent=10,
    )
    with freeze_time("2025-06-01"):
        for day, returned, accepted in (
            (date(2025, 1, 6), date(2025, 2, 3), date(2025, 2, 10)),
            (date(2025, 2, 3), date(2025, 3, 3), None),
            (date(2025, 3, 3), None, None),
        ):
            make.allocation(
                provider=contract.provider,
                contract=contract,
                allocated_on=day,
                returned_on=returned,
                accepted_on=accepted,
                status=AllocationStatus.ACCEPTED
                if accepted
                else AllocationStatus.RETURNED
                if returned
                else AllocationStatus.ALLOCATED,
            )
    make.user(Role.MONITOR, email="finance@council.test")

    sign_in(page, "finance@council.test")
    page.goto(
        "/reports/pack?contract=CON-PRINT&start=2025-01&end=2025-05&as_of=31&as_of=5&as_of=2025"
    )
    expect(page.get_by_role("heading", level=1, name="Contract monitoring pack")).to_be_visible()
    images = page.locator("#pack-report img")
    expect(images).to_have_count(3)
    for index in range(3):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_attribute("alt", re.compile(r"\w"))
        loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert loaded, f"chart {index} did not load"

    # Changing the months swaps in the new pack and puts them in the address, to share.
    cohort_rows = page.locator("#pack-cohort tbody tr")
    expect(cohort_rows).to_have_count(6)  # January to May, and the total
    page.evaluate("document.body.dataset.marker = 'kept'")
    page.fill("#end", "2025-03")
    page.get_by_role("button", name="Show pack").click()
    expect(page).to_have_url(re.compile(r"end=2025-03"))
    expect(cohort_rows).to_have_count(4)
    assert page.evaluate("document.body.dataset.marker") == "kept"  # swapped, not reloaded

    page.emulate_media(media="print")
    for hidden in (
        ".govuk-header",
        ".govuk-service-navigation",
        "form.portal-filters",
        ".govuk-footer",
    ):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("#pack-scope")).to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    page_problems.assert_none()
