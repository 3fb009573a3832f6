"""Signing in and out, sessions that really end, and safe redirects."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from provider_portal.auth.routes import safe_next
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from provider_portal.permissions import requires
from tests.helpers import PortalClient


def test_sign_in_sends_each_role_home(app, make):
    expectations = {
        Role.MANAGER: "/home",
        Role.ADMIN: "/home",
        Role.MONITOR: "/reports/",
        Role.PROVIDER_ADMIN: "/provider/home",
        Role.PRACTITIONER: "/provider/home",
    }
    for role, path in expectations.items():
        client = PortalClient(app)
        response = client.sign_in(make.user(role))
        assert response.headers["Location"] == path


def test_wrong_password_and_unknown_email_get_the_same_answer(app, make):
    user = make.user(Role.MANAGER)
    answers = []
    for email, password in ((user.email, "wrong password here"), ("nobody@example.test", "x" * 12)):
        client = PortalClient(app)
        response = client.post("/sign-in", {"email": email, "password": password})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "Enter a correct email address and password" in text
        assert "<title>Error: Sign in" in text
        answers.append(response.status_code)
    assert answers[0] == answers[1]
    failures = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sign_in_failed")
    ).all()
    assert len(failures) == 2
    assert all(event.detail is None for event in failures)  # no email addresses in the audit


def test_empty_sign_in_shows_error_summary(client):
    response = client.post("/sign-in", {"email": "", "password": ""})
    text = response.get_data(as_text=True)
    assert "Enter your email address" in text and "Enter your password" in text
    assert 'href="#email"' in text


def test_deactivated_user_cannot_sign_in_and_is_signed_out(app, make, client_for):
    user = make.user(Role.MANAGER)
    manager = client_for(user)
    assert manager.get("/cases").status_code == 200
    user.active = False
    db.session.commit()
    assert manager.get("/cases").status_code == 302
    response = PortalClient(app).post("/sign-in", {"email": user.email, "password": "x" * 12})
    assert response.status_code == 200


def test_sign_out_ends_the_session_on_the_server(app, make, client_for):
    manager = client_for(Role.MANAGER)
    cookie = manager.http._client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    assert manager.sign_out().status_code == 303
    replay = PortalClient(app)
    replay.http._client.set_cookie("session", stolen)
    response = replay.get("/cases")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_session_cookie_changes_at_sign_in(app, make):
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    client.token()
    before = client.http._client.get_cookie("session").value
    client.sign_in(user)
    after = client.http._client.get_cookie("session").value
    assert before != after


def test_signed_out_visitor_is_sent_to_sign_in_and_back(app, make):
    user = make.user(Role.MANAGER)
    client = PortalClient(app)
    response = client.get("/allocations?status=returned")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/allocations?status%3Dreturned"
    client.token()
    response = client.http.post(
        "/sign-in?next=/allocations?status%3Dreturned",
        data={
            "email": user.email,
            "password": "correct horse battery staple",
            "csrf_token": client.token(),
        },
    )
    assert response.headers["Location"] == "/allocations?status=returned"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/%09/evil.example".replace("%09", "\t"),
        "",
        None,
        "evil",
    ],
)
def test_next_only_allows_paths_on_this_site(target):
    assert safe_next(target) is None


def test_next_allows_a_local_path():
    assert safe_next("/cases?page=2") == "/cases?page=2"


def test_security_headers_on_pages_and_errors(client):
    for url in ("/sign-in", "/no-such-page"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "HX-Request" in response.headers["Vary"]
    assert client.get("/no-such-page").status_code == 404


def test_forgotten_password_link_only_when_that_page_exists(other_portal):
    with_page = other_portal()
    if "accounts.forgotten_password" not in with_page.view_functions:
        with_page.add_url_rule(
            "/forgotten-password",
            endpoint="accounts.forgotten_password",
            view_func=requires("public")(lambda: "the reset page"),
        )
    with with_page.test_request_context():
        expected = url_for("accounts.forgotten_password")
    link = PortalClient(with_page).page("/sign-in").find("a", string="Forgotten your password?")
    assert link is not None and link["href"] == expected

    without_page = other_portal()
    without_page.view_functions.pop("accounts.forgotten_password", None)
    soup = PortalClient(without_page).page("/sign-in")
    assert soup.find("a", string="Forgotten your password?") is None


def test_sign_in_audit_says_how(app, make):
    user = make.user(Role.MANAGER)
    PortalClient(app).sign_in(user)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in"))
    assert (event.actor_id, event.object_id, event.detail) == (user.id, user.id, None)
    assert event.ip_address == "127.0.0.1"
    db.session.refresh(user)
    assert user.last_sign_in_at is not None
