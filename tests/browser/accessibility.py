"""axe-core (WCAG 2.2 AA) and reflow checks on pages in Chromium, shared by the crawl and the
journeys.

axe-core comes from node_modules (package.json pins it with the other front-end packages). Its
source is evaluated through the DevTools protocol (page.evaluate), which the page's
Content-Security-Policy does not govern: no inline script is added and the CSP is not bypassed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots the tests name are kept here for people to look at; git ignores the folder.
ARTEFACTS = ROOT / "tests" / "artefacts"

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
WIDTHS = (NARROW, WIDE)

RUN_AXE = """
async (tags) => {
  const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((violation) => ({
    rule: violation.id,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}
"""

# Anything wider than the viewport that is not inside a scrolling region of its own.
OFF_SCREEN = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let parent = element.parentElement;
    let clipped = false;
    while (parent && parent !== document.body) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") {
        clipped = true;
        break;
      }
      parent = parent.parentElement;
    }
    if (!clipped && getComputedStyle(element).visibility !== "hidden") {
      const name = element.id ? `#${element.id}` : element.tagName.toLowerCase()
        + (element.className && typeof element.className === "string"
          ? "." + element.className.trim().split(/\\s+/).join(".") : "");
      found.push(`${name} (right edge ${Math.round(box.right)}px)`);
    }
  }
  return found.slice(0, 5);
}
"""


@cache
def axe_source() -> str:
    assert AXE_SOURCE.exists(), f"{AXE_SOURCE} is missing: run npm ci"
    return AXE_SOURCE.read_text(encoding="utf-8")


# A full-page screenshot leaves an empty style attribute on elements it touched; htmx would
# copy it onto the next swap's elements, which the CSP (no inline styles) refuses. The page is
# put back as it was.
MARK_STYLED = "() => { window.__styled = new Set(document.querySelectorAll('[style]')); }"
UNMARK_STYLED = """
() => document.querySelectorAll("[style]").forEach((element) => {
  if (!window.__styled.has(element)) element.removeAttribute("style");
})
"""


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact, named by the test."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.evaluate(MARK_STYLED)
    page.screenshot(path=str(path), full_page=True)
    page.evaluate(UNMARK_STYLED)
    return path


def axe_violations(page: Page, where: str) -> list[str]:
    """Run axe-core with the WCAG 2.2 AA rules on the page as it is now; one line a node."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source())
    found = page.evaluate(RUN_AXE, WCAG_22_AA)
    return [
        f"{violation['rule']} on {where}: {target} ({violation['help']})"
        for violation in found
        for target in violation["targets"]
    ]


def reflow_problems(page: Page, where: str) -> list[str]:
    """At a narrow viewport: elements off the right edge with no scrolling region to reach
    them (WCAG 1.4.10)."""
    return [f"reflow on {where}: {item}" for item in page.evaluate(OFF_SCREEN)]


@dataclass
class AccessibilityLog:
    """Problems found across a test's pages, reported together at the end."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def check(self, page: Page, where: str) -> None:
        """axe at the current viewport, and the reflow check when it is narrow."""
        width = page.viewport_size["width"] if page.viewport_size else 0
        label = f"{where} at {width}px"
        found = axe_violations(page, label)
        if width <= NARROW["width"]:
            found += reflow_problems(page, label)
        self.checked.append(label)
        if found:
            self.problems.extend(found)
            screenshot(page, f"axe-{label}")

    def check_widths(self, page: Page, where: str) -> None:
        """The page as it is, at 320 px and at 1280 px."""
        for size in WIDTHS:
            page.set_viewport_size(size)
            self.check(page, where)

    def assert_none(self) -> None:
        assert not self.problems, (
            f"{len(self.problems)} accessibility problems on {len(self.checked)} page states:\n"
            + "\n".join(self.problems)
        )
