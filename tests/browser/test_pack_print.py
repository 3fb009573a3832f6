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
from tests.browser.accessibility import AccessibilityLog, screenshot
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
    # One short status line says what came back; axe finds nothing in the swapped pack.
    expect(page.locator("#portal-status")).to_have_text(re.compile(r"\w"))
    axe = AccessibilityLog()
    axe.check_widths(page, "pack, months changed")
    axe.assert_none()

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


# A4 is 210 mm wide; the print stylesheet's @page leaves 12 mm each side: 186 mm at 96 px an
# inch. Landscape pages (where the stylesheet asks for them) have more room, not less.
A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)

TABLE_EDGES = """
(limit) => Array.from(document.querySelectorAll("table")).map((table) => {
  const cells = Array.from(table.querySelectorAll("th, td"));
  const right = Math.max(table.getBoundingClientRect().right,
                         ...cells.map((cell) => cell.getBoundingClientRect().right));
  return {id: table.id || table.querySelector("caption")?.textContent.trim() || "a table",
          right: Math.round(right), columns: table.querySelectorAll("thead th").length,
          fits: right <= limit + 0.5};
})
"""


def test_every_table_of_the_printed_pack_fits_an_a4_page(page: Page, make: Factory) -> None:
    """The board paper keeps every column: each table's right edge, cells included, is inside
    the A4 printable width when the print stylesheet applies, and it prints to a PDF."""
    contract = make.contract(
        reference="CON-A4",
        value="1250000",
        prices={"ep_advice": "1200", "plan_writing": "950"},
        monthly_volume=12,
        on_time_target_percent=90,
        max_rework_percent=10,
    )
    with freeze_time("2025-12-01"):
        for month in range(1, 12):
            make.allocation(
                provider=contract.provider,
                contract=contract,
                allocated_on=date(2025, month, 3),
                returned_on=date(2025, month, 24),
                status=AllocationStatus.RETURNED,
            )
    make.user(Role.MONITOR, email="board@council.test")
    sign_in(page, "board@council.test")
    # A whole year: the widest pack (a column or row per month and type of work).
    page.goto(
        "/reports/pack?contract=CON-A4&start=2025-01&end=2025-11&as_of=30&as_of=11&as_of=2025"
    )
    expect(page.locator("#pack-cohort")).to_be_visible()
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1000})
    tables = page.evaluate(TABLE_EDGES, A4_PRINTABLE_PX)
    assert len(tables) >= 5, tables
    too_wide = [table for table in tables if not table["fits"]]
    screenshot(page, "pack-printed-a4")
    assert not too_wide, f"cut off on A4 ({A4_PRINTABLE_PX}px printable): {too_wide}"
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf
