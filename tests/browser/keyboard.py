"""Driving the portal with the keyboard only: Tab to a control, then Enter or Space."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers import TEST_PASSWORD

# The focused element's id and the name a person hears: its label, its text or its value.
FOCUSED = """
() => {
  const element = document.activeElement;
  if (!element || element === document.body) return {id: "", name: ""};
  const label = element.labels && element.labels.length ? element.labels[0].innerText : "";
  const name = element.getAttribute("aria-label") || label || element.innerText
    || element.value || "";
  return {id: element.id, name: name.replace(/\\s+/g, " ").trim()};
}
"""


def tab_to(page: Page, target: str | re.Pattern[str], limit: int = 150) -> None:
    """Press Tab until the control is focused: a name, a pattern for it, or "#id"."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if isinstance(target, re.Pattern):
            found = bool(target.search(focused["name"]))
        elif target.startswith("#"):
            found = focused["id"] == target[1:]
        else:
            found = focused["name"] == target
        if found:
            return
        seen.append(focused["name"] or f"#{focused['id']}")
    raise AssertionError(f"Tab never reached {target!r}; passed {seen}")


def sign_in_by_keyboard(page: Page, email: str) -> None:
    page.goto("/sign-in")
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def assert_next_tab_stays_in_main(page: Page) -> None:
    """After a swap, focus is in the page's main content: the next Tab does not fall to the
    footer (WCAG 2.4.3)."""
    page.keyboard.press("Tab")
    inside = page.evaluate(
        "() => document.getElementById('main-content').contains(document.activeElement)"
    )
    assert inside, "the next Tab left the main content"
