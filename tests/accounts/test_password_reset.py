"""Forgotten passwords: one answer for every address, a single-use link, every session ends."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AccountToken, AuditEvent, Role
from provider_portal.models.types import utcnow
from tests.accounts.test_invitations import EXPIRED, normalised
from tests.helpers import TEST_PASSWORD, PortalClient

NEW_PASSWORD = "pebble harbour sixty lamps"
CONFIRMATION = (
    "If an account exists for that email address, we have sent a link to reset the password"
)


def ask(app, email: str):
    """Request a reset from a fresh browser: the POST answer and the page it leads to."""
    client = PortalClient(app)
    client.page("/account/password-reset")
    response = client.post("/account/password-reset", {"email": email})
    followed = client.get(response.headers.get("Location", "/nowhere"))
    return response, followed


def test_known_and_unknown_addresses_get_identical_answers(app, make, mail_server):
    known = make.user(Role.PRACTITIONER, email="known@example.test")
    deactivated = make.user(Role.MANAGER, email="left@example.test", active=False)
    invited = make.user(Role.MANAGER, email="invited@example.test")
    invited.password_hash = "!invited"
    db.session.commit()

    answers = {
        email: ask(app, email)
        for email in (
            "known@example.test",
            "nobody@example.test",
            "left@example.test",
            "invited@example.test",
        )
    }
    reference, reference_page = answers["nobody@example.test"]
    assert reference.status_code == 303
    assert reference.headers["Location"] == "/account/password-reset/sent"
    for response, page in answers.values():
        assert response.status_code == reference.status_code
        assert response.get_data() == reference.get_data()
        assert sorted(k for k, _ in response.headers) == sorted(k for k, _ in reference.headers)
        assert response.headers["Location"] == reference.headers["Location"]
        assert page.status_code == 200
        assert normalised(page.get_data(as_text=True)) == normalised(
            reference_page.get_data(as_text=True)
        )
    assert CONFIRMATION in reference_page.get_data(as_text=True)

    messages = mail_server.settle()
    assert [m["To"] for m in messages] == ["known@example.test"]

    requested = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.actor_id, AuditEvent.detail).where(
            AuditEvent.action == "password_reset_requested"
        )
    ).all()
    assert {row.object_id for row in requested} == {known.id, deactivated.id, invited.id}
    assert all(row.actor_id is None for row in requested)
    assert all("@" not in (row.detail or "") for row in requested)
    tokens = db.session.scalars(select(AccountToken)).all()
    assert [token.user_id for token in tokens] == [known.id]


def test_the_reset_journey_ends_every_other_session(app, make, client_for, mail_server):
    user = make.user(
        Role.MANAGER, email="reset@example.test", failed_sign_ins=4, locked_until=utcnow()
    )
    elsewhere = client_for(user)
    assert elsewhere.get("/cases").status_code == 200

    visitor = PortalClient(app)
    assert visitor.post("/account/password-reset", {"email": "Reset@Example.test"}).status_code == (
        303
    )
    message = mail_server.wait_for(1)[0]
    assert message["Subject"] == "Reset your password"
    assert "2 hours" in mail_server.body(message)
    link = mail_server.link_in(message)
    assert link.startswith("/account/password-reset/")

    page = visitor.page(link)
    assert page.h1.get_text(strip=True) == "Choose a new password"
    short = visitor.post(link, {"password": "too short", "confirm": "too short"})
    assert "Your password must be 12 characters or more" in short.get_data(as_text=True)
    response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
    assert "Your password has been reset" in visitor.get("/sign-in").get_data(as_text=True)

    # The session signed in before the reset has ended.
    assert elsewhere.get("/cases").status_code == 302
    db.session.refresh(user)
    assert user.failed_sign_ins == 0 and user.locked_until is None
    assert user.password_hash.startswith("$argon2id$")
    refused = PortalClient(app).post("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert refused.status_code == 200
    PortalClient(app).sign_in(user, NEW_PASSWORD)

    # The link is spent.
    again = PortalClient(app)
    assert again.page(link, status=404).h1.get_text(strip=True) == EXPIRED
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == user.id).order_by(AuditEvent.id)
    ).all()
    assert "password_reset_requested" in actions and "password_reset" in actions


def test_a_newer_link_replaces_an_older_one_and_a_reset_spends_every_link(app, make, mail_server):
    user = make.user(Role.MANAGER, email="twice@example.test")
    visitor = PortalClient(app)
    visitor.post("/account/password-reset", {"email": user.email})
    first = mail_server.link_in(mail_server.wait_for(1)[0])
    visitor.post("/account/password-reset", {"email": user.email})
    second = mail_server.link_in(mail_server.wait_for(2)[1])
    assert visitor.get(first).status_code == 404
    assert visitor.post(
        second, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    ).status_code == (303)
    unused = db.session.scalar(
        select(func.count()).select_from(AccountToken).where(AccountToken.used_at.is_(None))
    )
    assert unused == 0


def test_a_reset_link_expires(app, make, mail_server):
    user = make.user(Role.MANAGER, email="slow@example.test")
    visitor = PortalClient(app)
    visitor.post("/account/password-reset", {"email": user.email})
    link = mail_server.link_in(mail_server.wait_for(1)[0])
    now = datetime.now(UTC)
    with freeze_time(now + timedelta(hours=1, minutes=59)):
        assert visitor.get(link).status_code == 200
    with freeze_time(now + timedelta(hours=2, minutes=1)):
        response = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 404
        assert EXPIRED in response.get_data(as_text=True)


def test_requests_are_rate_limited_but_empty_forms_do_not_count(app, make):
    client = PortalClient(app)
    for _ in range(10):
        assert client.post("/account/password-reset", {"email": ""}).status_code == 200
    for n in range(5):
        response = client.post("/account/password-reset", {"email": f"n{n}@example.test"})
        assert response.status_code == 303
    assert client.post("/account/password-reset", {"email": "n9@example.test"}).status_code == 429


def test_one_address_is_limited_wherever_the_requests_come_from(app, make, monkeypatch):
    user = make.user(Role.MANAGER, email="target@example.test")
    for n in range(5):
        client = PortalClient(app)
        response = client.post(
            "/account/password-reset",
            {"email": user.email},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        assert response.status_code == 303
    response = PortalClient(app).post(
        "/account/password-reset", {"email": user.email}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert response.status_code == 429


def test_a_mail_failure_gives_the_same_answer_and_is_logged_by_user_id(
    app, make, no_mail_server, caplog
):
    user = make.user(Role.MANAGER, email="unlucky@example.test")
    caplog.set_level(logging.INFO, logger="provider_portal.mail")
    response, page = ask(app, user.email)
    assert response.status_code == 303
    assert CONFIRMATION in page.get_data(as_text=True)
    from provider_portal.mail import wait_for_background_mail

    wait_for_background_mail()
    assert f"user {user.id} not sent" in caplog.text
    assert "unlucky" not in caplog.text


def test_the_request_form_explains_problems(client):
    page = client.page("/account/password-reset")
    assert page.h1.get_text(strip=True) == "Reset your password"
    for email, message in (
        ("", "Enter your email address"),
        ("no-at-sign", "Enter an email address in the correct format"),
        ("bad\t@example.test", "Enter an email address in the correct format"),
    ):
        response = client.post("/account/password-reset", {"email": email})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert message in text and "<title>Error: Reset your password" in text
        assert 'href="#email"' in text


def test_the_confirmation_page(client):
    page = client.page("/account/password-reset/sent")
    assert page.h1.get_text(strip=True) == "Check your email"


def test_the_sign_in_page_links_to_the_reset_page(client):
    page = client.page("/sign-in")
    assert page.find("a", href="/account/password-reset") is not None
