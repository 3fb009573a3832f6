"""Brute force: a lockout per account, a rate limit per address, and one answer for every
refusal so nobody can tell which accounts exist or are locked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import select
from werkzeug.test import TestResponse

from provider_portal.auth import services
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from provider_portal.models.types import utcnow
from tests.helpers import TEST_PASSWORD, PortalClient, check_page_hygiene

WRONG = "not the right password"


def attempt(client: PortalClient, email: str, password: str, address: str, **kw) -> TestResponse:
    return client.post(
        "/sign-in",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def normalised(response: TestResponse, email: str) -> str:
    """The body without what differs by design: the CSRF token, the CSP nonce and the email
    address the visitor typed (shown back to them in the form)."""
    text = response.get_data(as_text=True)
    text = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', text)
    text = re.sub(r"(X-CSRFToken&#34;: &#34;)[^&]+", r"\1", text)
    text = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", text)
    return text.replace(email, "EMAIL")


def lock(user: User, client: PortalClient) -> None:
    """Ten wrong passwords, each from a different address (so the per-address limit is not
    what stops them)."""
    for n in range(10):
        response = attempt(client, user.email, WRONG, f"198.51.100.{n + 1}")
        assert response.status_code == 200
    db.session.refresh(user)


def test_ten_failures_lock_the_account(app, make):
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    for n in range(9):
        attempt(client, user.email, WRONG, f"198.51.100.{n + 1}")
    db.session.refresh(user)
    assert user.failed_sign_ins == 9 and user.locked_until is None
    attempt(client, user.email, WRONG, "198.51.100.10")
    db.session.refresh(user)
    assert user.failed_sign_ins == 10
    expected = utcnow() + timedelta(minutes=app.config["SIGN_IN_LOCKOUT_MINUTES"])
    assert abs(user.locked_until - expected) < timedelta(seconds=30)
    locks = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account_locked")
    ).all()
    assert [(e.object_id, e.detail) for e in locks] == [(user.id, "10 failed sign-ins")]

    # Now even the right password is refused.
    response = attempt(client, user.email, TEST_PASSWORD, "198.51.100.11")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert client.get("/cases").status_code == 302
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sign_in_failed").order_by(AuditEvent.id)
    ).all()
    assert refused[-1].detail == "locked" and refused[-1].object_id == user.id


def test_locked_unknown_wrong_and_deactivated_get_the_same_answer(app, make):
    """Security check 19: the same status and body whichever the reason."""
    locked = make.user(Role.MANAGER)
    other = make.user(Role.MANAGER)
    gone = make.user(Role.MANAGER, active=False)
    client = PortalClient(app)
    lock(locked, client)
    tries = {
        "locked, right password": (locked.email, TEST_PASSWORD),
        "locked, wrong password": (locked.email, WRONG),
        "wrong password": (other.email, WRONG),
        "unknown email": ("nobody@example.test", TEST_PASSWORD),
        "deactivated": (gone.email, TEST_PASSWORD),
    }
    answers = {}
    for n, (name, (email, password)) in enumerate(tries.items()):
        response = attempt(PortalClient(app), email, password, f"203.0.113.{n + 1}")
        answers[name] = (response.status_code, normalised(response, email))
    assert {status for status, _ in answers.values()} == {200}
    bodies = {body for _, body in answers.values()}
    assert len(bodies) == 1, "the answers differ"
    soup = BeautifulSoup(bodies.pop(), "html.parser")
    check_page_hygiene(soup)
    assert soup.select_one(".govuk-error-summary").get_text(" ", strip=True) == (
        "There is a problem Enter a correct email address and password"
    )


def test_every_refusal_checks_a_password_hash(app, make, monkeypatch):
    """The time an answer takes does not give the reason away: every path verifies one
    argon2 hash (a dummy one for an unknown email), even for a locked account."""
    locked = make.user(Role.MANAGER)
    gone = make.user(Role.MANAGER, active=False)
    client = PortalClient(app)
    lock(locked, client)
    verified: list[str] = []

    class CountingHasher:
        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return real.verify(stored, password)

    real = services._hasher
    monkeypatch.setattr(services, "_hasher", CountingHasher())
    for n, (email, password) in enumerate(
        [
            (locked.email, TEST_PASSWORD),
            ("nobody@example.test", TEST_PASSWORD),
            (gone.email, TEST_PASSWORD),
            (locked.email, WRONG),
        ]
    ):
        verified.clear()
        attempt(client, email, password, f"192.0.2.{n + 1}")
        assert len(verified) == 1, email
        assert verified[0].startswith("$argon2id$")


def test_lockout_ends_after_its_time_and_the_count_starts_again(app, make):
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    with freeze_time(utcnow()) as clock:
        lock(user, client)
        clock.tick(timedelta(minutes=app.config["SIGN_IN_LOCKOUT_MINUTES"], seconds=1))
        attempt(client, user.email, WRONG, "198.51.100.20")
        db.session.refresh(user)
        assert user.failed_sign_ins == 1
        assert user.locked_until is None or user.locked_until < utcnow()
        response = attempt(client, user.email, TEST_PASSWORD, "198.51.100.21")
        assert response.status_code == 303
    db.session.refresh(user)
    assert user.failed_sign_ins == 0 and user.locked_until is None


def test_a_successful_sign_in_resets_the_count(app, make):
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    for n in range(9):
        attempt(client, user.email, WRONG, f"198.51.100.{n + 1}")
    client.sign_in(user)
    db.session.refresh(user)
    assert user.failed_sign_ins == 0


def test_eleventh_attempt_from_one_address_is_refused(app, make):
    """Security check 17: the per-address limit answers 429 before an eleventh guess."""
    users = [make.user(Role.MANAGER) for _ in range(11)]
    client = PortalClient(app)
    # Different accounts each time: the limit is on the address, whoever is guessed.
    for user in users[:10]:
        assert attempt(client, user.email, WRONG, "192.0.2.50").status_code == 200
    response = attempt(client, users[10].email, WRONG, "192.0.2.50")
    assert response.status_code == 429
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_page_hygiene(soup)
    assert soup.h1.get_text(strip=True) == "Too many attempts"
    # Only attempts are counted: the page still loads, and other addresses still get in.
    assert client.get("/sign-in", environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code == 200
    assert attempt(client, users[10].email, TEST_PASSWORD, "192.0.2.51").status_code == 303


def test_rotating_x_forwarded_for_changes_nothing(app, make):
    """Security check 18: spoofed forwarding headers are ignored by both limits."""
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    for n in range(10):
        response = client.post(
            "/sign-in",
            {"email": user.email, "password": WRONG},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}", "X-Real-IP": f"203.0.113.{n + 1}"},
        )
        assert response.status_code == 200
    db.session.refresh(user)
    assert user.locked_until is not None  # the per-account lockout holds
    response = client.post(
        "/sign-in",
        {"email": user.email, "password": TEST_PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert response.status_code == 429  # and so does the per-address limit
    addresses = db.session.scalars(
        select(AuditEvent.ip_address).where(AuditEvent.action == "sign_in_failed")
    ).all()
    assert set(addresses) == {"127.0.0.1"}


def test_second_step_has_its_own_limit_shared_by_both_code_pages(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    for n in range(10):
        url = "/sign-in/two-factor" if n % 2 else "/sign-in/recovery-code"
        code = "000000" if n % 2 else "aaaa-bbbb-cccc"
        assert client.post(url, {"code": code}).status_code == 200
    assert client.post("/sign-in/two-factor", {"code": "000000"}).status_code == 429
    assert client.post("/sign-in/recovery-code", {"code": "aaaa-bbbb-cccc"}).status_code == 429


@pytest.mark.parametrize("htmx", [False, True])
def test_too_many_attempts_page_for_htmx_too(app, make, htmx):
    client = PortalClient(app)
    for _ in range(10):
        client.post("/sign-in", {"email": "x@example.test", "password": WRONG}, htmx=htmx)
    response = client.post("/sign-in", {"email": "x@example.test", "password": WRONG}, htmx=htmx)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
