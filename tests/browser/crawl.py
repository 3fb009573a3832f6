"""The pages the accessibility crawl visits: every GET route in the app's url_map, as every
role the permissions table lets see it, with the ids of the permissions test's real rows.

A new route is crawled without editing anything here, once tests/test_permissions.py says who
may see it; a route that is not a page (a download, a redirect) is listed below with a reason.
"""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page

from tests.browser.accessibility import AccessibilityLog
from tests.browser.test_whole_loop import sign_in
from tests.test_permissions import EXPECTED, PUBLIC_FILES, _url

# Roles as people hold them; q_admin is another provider's administrator, the same pages as
# p_admin with another organisation's (empty) data.
CRAWLED_ROLES = ("anonymous", "admin", "manager", "monitor", "p_admin", "p_practitioner")

EXCLUDED = {
    "auth.home": "a redirect to the person's home page, which is crawled",
    "cases.download_case_paper": "a file download",
    "cases.download_family_letter": "a file download",
    "allocations.download": "a file download",
    "provider.download": "a file download",
    "provider.download_paper": "a file download",
    "reports.monthly_csv": "a CSV download",
    "reports.compliance_csv": "a CSV download",
    "reports.compliance_chart": "an SVG chart, shown with alt text on the compliance page",
    "reports.pack_csv": "a CSV download",
    "reports.pack_xlsx": "a spreadsheet download",
    "reports.pack_chart": "an SVG chart, shown with alt text in the pack",
    "reports.spend_csv": "a CSV download",
    "reports.providers_csv": "a CSV download",
    "reports.providers_stages_csv": "a CSV download",
    "reports.providers_chart": "an SVG chart, shown with its table beside it on the league page",
    "reports.foi_csv": "a CSV download",
    "reports.sen2_csv": "a CSV download",
    "reports.sen2_validation_csv": "a CSV download",
    "audit_log.export": "a CSV download",
}

# Pages reached only part way through a journey (a one-time link, a sign-in step): the
# journeys in test_axe_public.py open them in a real state and check them there.
JOURNEY_PAGES = {
    "auth.two_factor": "the second sign-in step, for a person with two-factor set up",
    "auth.recovery_code": "the recovery-code sign-in step",
    "auth.set_up_two_factor": "setting up two-factor when the portal requires it at sign-in",
    "accounts.accept_invitation": "an invitation link, with a real token",
    "accounts.reset_password": "a password reset link, with a real token",
}


def get_endpoints(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set()) and rule.endpoint not in PUBLIC_FILES
    }


def crawled_endpoints(who: str) -> list[str]:
    """The GET routes the permissions table lets this person see, but downloads."""
    return sorted(
        endpoint
        for (endpoint, method), statuses in EXPECTED.items()
        if method == "GET"
        and statuses.get(who) == 200
        and endpoint not in EXCLUDED
        and endpoint not in JOURNEY_PAGES
    )


def crawl(
    page: Page, app: Flask, who: str, email: str | None, ids: dict[str, int]
) -> AccessibilityLog:
    """Sign in as the person (once) and check every page they may see at both widths."""
    log = AccessibilityLog()
    if email is not None:
        sign_in(page, email)
    for endpoint in crawled_endpoints(who):
        url = _url(app, endpoint, ids)
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{who} {endpoint} {url}"
        content_type = response.headers.get("content-type", "")
        assert content_type.startswith("text/html"), f"{endpoint} is {content_type}: exclude it"
        log.check_widths(page, f"{who} {endpoint} {url}")
    return log
