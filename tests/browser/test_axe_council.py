"""axe-core at WCAG 2.2 AA, and reflow at 320 px, on every page the council's administrator
and case managers see (the crawl list comes from the url_map: tests/browser/crawl.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.conftest import PageProblems
from tests.browser.crawl import crawl

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_every_council_page_passes_axe_at_both_widths(
    page: Page, page_problems: PageProblems, app: Flask, world, who: str
) -> None:
    users, ids, _ = world
    log = crawl(page, app, who, users[who].email, ids)
    assert len(log.checked) >= 40, log.checked
    log.assert_none()
    page_problems.assert_none()
