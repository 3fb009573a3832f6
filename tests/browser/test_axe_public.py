"""axe-core at WCAG 2.2 AA, and reflow at 320 px, on the pages seen before signing in and part
way through a journey (sign-in steps, invitation and reset links); and the check that every
GET route in the app is either crawled or excluded with a reason."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from playwright.sync_api import Page, expect

from provider_portal.accounts import tokens
from provider_portal.accounts.services import INVITED_MARKER
from provider_portal.extensions import db
from provider_portal.models import Role
from tests.browser.accessibility import AccessibilityLog
from tests.browser.conftest import PageProblems
from tests.browser.crawl import (
    CRAWLED_ROLES,
    EXCLUDED,
    JOURNEY_PAGES,
    crawl,
    crawled_endpoints,
    get_endpoints,
)
from tests.factories import Factory
from tests.helpers import TEST_PASSWORD, totp_code

pytestmark = pytest.mark.browser


def test_every_get_route_is_crawled_or_excluded_with_a_reason(app: Flask) -> None:
    crawled = {endpoint for who in CRAWLED_ROLES for endpoint in crawled_endpoints(who)}
    routes = get_endpoints(app)
    neither = routes - crawled - set(EXCLUDED) - set(JOURNEY_PAGES)
    assert not neither, f"GET routes neither crawled nor excluded with a reason: {neither}"
    stale = (set(EXCLUDED) | set(JOURNEY_PAGES)) - routes
    assert not stale, f"excluded routes the app no longer has: {stale}"
    assert all(reason.strip() for reason in (EXCLUDED | JOURNEY_PAGES).values())
    assert not crawled & set(EXCLUDED), "a route is both crawled and excluded"


def test_every_page_before_sign_in_passes_axe_at_both_widths(
    page: Page, page_problems: PageProblems, app: Flask, world
) -> None:
    _users, ids, _ = world
    log = crawl(page, app, "anonymous", None, ids)
    assert len(log.checked) >= 6, log.checked
    log.assert_none()
    page_problems.assert_none()


def _password_step(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_steps_and_account_links_pass_axe_at_both_widths(
    page: Page,
    page_problems: PageProblems,
    make: Factory,
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = AccessibilityLog()
    manager = make.user(Role.MANAGER, email="manager@council.test", totp=True)
    newcomer = make.user(Role.MANAGER, email="newcomer@council.test")
    invited = make.user(Role.PRACTITIONER, provider=make.provider())
    invited.password_hash = INVITED_MARKER  # invited, not yet accepted
    invitation = tokens.issue(invited, tokens.INVITATION, 72)
    reset = tokens.issue(manager, tokens.PASSWORD_RESET, 1)
    db.session.commit()
    # Two-factor: the code step, with an error, then the recovery-code step.
    _password_step(page, manager.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your authenticator app")
    log.check_widths(page, "auth.two_factor")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    log.check_widths(page, "auth.two_factor with an error")
    page.goto("/sign-in/recovery-code")
    expect(page.locator("h1")).to_be_visible()
    log.check_widths(page, "auth.recovery_code")
    db.session.commit()
    page.goto("/sign-in/two-factor")
    page.fill("#code", totp_code(manager))
    db.session.commit()  # the read is over: the portal may write
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.context.clear_cookies()

    # Setting up two-factor at sign-in, when the portal requires it.
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    _password_step(page, newcomer.email)
    expect(page).to_have_url("/sign-in/set-up-two-factor")
    log.check_widths(page, "auth.set_up_two_factor")
    page.context.clear_cookies()
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", False)

    # An invitation and a password reset link, each with a real token.
    for where, token in (
        ("accounts.accept_invitation", invitation),
        ("accounts.reset_password", reset),
    ):
        with app.test_request_context():
            url = url_for(where, token=token)
        response = page.goto(url)
        assert response is not None and response.status == 200, where
        log.check_widths(page, where)
    log.assert_none()
    page_problems.assert_none()
