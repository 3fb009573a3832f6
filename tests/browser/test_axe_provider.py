"""axe-core at WCAG 2.2 AA, and reflow at 320 px, on every page the contract monitor and a
provider's administrator and practitioner see (tests/browser/crawl.py builds the list)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.conftest import PageProblems
from tests.browser.crawl import crawl

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("who", ["monitor", "p_admin", "p_practitioner"])
def test_every_monitor_and_provider_page_passes_axe_at_both_widths(
    page: Page, page_problems: PageProblems, app: Flask, world, who: str
) -> None:
    users, ids, _ = world
    log = crawl(page, app, who, users[who].email, ids)
    assert len(log.checked) >= 10, log.checked
    log.assert_none()
    page_problems.assert_none()
