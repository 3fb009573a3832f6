"""Allocating in bulk in Chromium: ticks saved as they change and kept across a filter and a
page, the sticky bar's count, conflicts on the check page, "Allocate the other n", and the
way back to the same board with the same ticks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from provider_portal.models import Role
from provider_portal.timescales import today
from tests.browser.conftest import PageProblems
from tests.browser.test_whole_loop import sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_select_across_pages_and_filters_then_allocate_the_others(
    page: Page, page_problems: PageProblems, make: Factory
) -> None:
    long_ago = today() - timedelta(days=200)
    for i in range(55):
        make.case(
            case_ref=f"BULK-{i:02d}",
            setting="Elm School" if i % 2 else "Oak School",
            request_received_on=long_ago - timedelta(days=i),
        )
    taken = make.case(case_ref="TAKEN-1", request_received_on=long_ago - timedelta(days=100))
    make.allocation(
        case=taken,
        provider=make.provider("Other Agency"),
        work_type="plan_writing",
        allocated_on=today(),
    )
    make.provider("Northbrook Plan Writing")
    make.user(Role.MANAGER, email="bulk@council.test")
    sign_in(page, "bulk@council.test")
    page.goto("/cases/backlog")
    count = page.locator("#selection-count")
    expect(count).to_have_text("0 cases selected")

    # Each tick is saved as it changes; the bar stays in view above the rows.
    page.get_by_label("Select case TAKEN-1").check()
    expect(count).to_have_text("1 case selected")
    page.get_by_label("Select case BULK-54").check()
    expect(count).to_have_text("2 cases selected")
    page.get_by_label("Select case BULK-54").uncheck()
    expect(count).to_have_text("1 case selected")
    page.mouse.wheel(0, 3000)
    expect(page.locator("#selection-bar")).to_be_in_viewport()

    # A filter keeps the ticks; so does moving to another page.
    page.get_by_label("Setting").fill("Elm School")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#board-count")).to_contain_text("27 cases")
    page.get_by_label("Select case BULK-53").check()
    expect(count).to_have_text("2 cases selected")
    page.goto("/cases/backlog?page=2")
    page.get_by_label("Select case BULK-00").check()
    expect(count).to_have_text("3 cases selected")
    page.goto("/cases/backlog?setting=Oak+School")
    expect(page.get_by_label("Select case BULK-00")).to_be_checked()
    expect(count).to_have_text("3 cases selected")

    page.select_option("#bulk-work_type", "plan_writing")
    page.select_option("#bulk-provider", label="Northbrook Plan Writing")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Check before you allocate")).to_be_visible()
    expect(page.locator("#conflict-list")).to_contain_text("TAKEN-1")
    expect(page.locator("#case-list li")).to_have_count(2)

    # Back keeps the filters and the ticks; then on to allocate the other two.
    page.get_by_role("link", name="Back to the backlog").click()
    expect(page).to_have_url(re.compile(r"/cases/backlog\?page=1&setting=Oak\+School$"))
    expect(page.get_by_label("Setting")).to_have_value("Oak School")
    expect(count).to_have_text("3 cases selected")
    expect(page.get_by_label("Select case BULK-00")).to_be_checked()
    page.select_option("#bulk-work_type", "plan_writing")
    page.select_option("#bulk-provider", label="Northbrook Plan Writing")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Allocate the other 2").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "2 cases allocated to Northbrook Plan Writing"
    )
    expect(page).to_have_url(re.compile(r"setting=Oak\+School"))
    expect(count).to_have_text("1 case selected")
    page.get_by_role("button", name="Clear selection").click()
    expect(count).to_have_text("0 cases selected")
    page_problems.assert_none()
