"""Browser fixtures: the portal on a free port, and the system's Chromium driven by Playwright.

The browser is the Debian package (/usr/bin/chromium, or CHROMIUM_PATH); Playwright's own
browser downloads are never used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

# The permissions test's world (a row of every kind, a user of every role) for the crawl.
from tests.test_permissions import world as world

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Runs before any page script: records Content-Security-Policy violations, on the page for
# inspection and through the exposed binding so they survive navigation.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`;
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) {
    window.__reportCspViolation(violation);
  }
});
"""


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app on 127.0.0.1 and a free port, in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, or a skip (a failure on CI) when it is not installed."""
    path = chromium_path()
    if not path.exists():
        message = f"Chromium not found at {path}: browser tests skipped"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {path} (set CHROMIUM_PATH); it is required on CI")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(path), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """Everything the browser complained about while the test ran."""

    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        assert not self.csp_violations, f"Content-Security-Policy violations: {self.csp_violations}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Browser, live_server: str, page_problems: PageProblems) -> Iterator[Page]:
    """A fresh browser context per test, with console errors and CSP violations recorded."""
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.expose_binding(
        "__reportCspViolation",
        lambda _source, violation: page_problems.csp_violations.append(violation),
    )
    page.add_init_script(WATCH_CSP)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_problems.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page_problems.console_errors.append(str(error)))
    yield page
    context.close()
