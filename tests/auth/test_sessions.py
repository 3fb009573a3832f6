"""How long a session lasts (idle limit, absolute cap, polling) and its cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from config import ProductionConfig
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from tests.helpers import PortalClient, totp_code

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDLE_MESSAGE = "You were signed out because you had not used the portal for 30 minutes"
CAP_MESSAGE = "You were signed out because you had been signed in for 8 hours"


def signed_in(response) -> bool:
    """Whether a GET of / went home (signed in) rather than to sign in."""
    assert response.status_code == 302
    return not response.headers["Location"].startswith("/sign-in")


def expiries() -> list[tuple[str | None, int | None]]:
    rows = db.session.execute(
        select(AuditEvent.detail, AuditEvent.actor_id).where(AuditEvent.action == "session_expired")
    ).all()
    return [(row.detail, row.actor_id) for row in rows]


def test_idle_for_29_minutes_is_fine_31_is_not(app, make, client_for):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    user = make.user(Role.MANAGER)
    with freeze_time(START) as clock:
        client = client_for(user)
        clock.tick(timedelta(minutes=29))
        assert client.get("/cases").status_code == 200
        clock.tick(timedelta(minutes=29))  # 58 minutes in, but only 29 since the last request
        assert client.get("/cases").status_code == 200
        clock.tick(timedelta(minutes=31))
        response = client.get("/cases?page=2")
        assert response.status_code == 302
        assert response.headers["Location"] == "/sign-in?next=/cases?page%3D2"
        page = client.page(response.headers["Location"])
        banner = page.select_one(".govuk-notification-banner").get_text(" ", strip=True)
        assert IDLE_MESSAGE in banner
        # The session is over: the same cookie no longer signs anyone in.
        assert client.get("/cases").status_code == 302
    assert expiries() == [("idle", user.id)]


def test_absolute_cap_despite_activity_every_ten_minutes(app, make, client_for):
    user = make.user(Role.MANAGER)
    with freeze_time(START) as clock:
        client = client_for(user)
        for _ in range(48):  # every 10 minutes for 8 hours
            clock.tick(timedelta(minutes=10))
            assert signed_in(client.get("/"))
        clock.tick(timedelta(minutes=10))
        response = client.get("/")
        assert not signed_in(response)
        page = client.page("/sign-in")
        assert CAP_MESSAGE in page.select_one(".govuk-notification-banner").get_text()
    assert expiries() == [("absolute", user.id)]


@pytest.mark.parametrize(
    "poll_headers",
    [{"X-Portal-Poll": "1"}, {"HX-Trigger-Name": "poll"}],
    ids=["X-Portal-Poll", "HX-Trigger-Name"],
)
def test_polling_does_not_keep_a_session_alive(app, make, client_for, poll_headers):
    user = make.user(Role.MANAGER)
    with freeze_time(START) as clock:
        client = client_for(user)
        for _ in range(5):  # a poll every 5 minutes, 25 minutes in all
            clock.tick(timedelta(minutes=5))
            response = client.get("/cases", htmx=True, headers=poll_headers)
            assert response.status_code == 200
            assert "Set-Cookie" not in response.headers  # the session is not touched
        clock.tick(timedelta(minutes=5, seconds=1))  # 30 minutes since the person did anything
        response = client.get("/cases", htmx=True, headers=poll_headers)
        assert response.status_code == 401
        assert response.headers["HX-Redirect"] == "/sign-in"
        page = client.page("/sign-in")
        assert IDLE_MESSAGE in page.select_one(".govuk-notification-banner").get_text()
    assert expiries() == [("idle", user.id)]


def test_ordinary_htmx_requests_do_count_as_activity(app, make, client_for):
    user = make.user(Role.MANAGER)
    with freeze_time(START) as clock:
        client = client_for(user)
        for _ in range(4):
            clock.tick(timedelta(minutes=20))
            assert client.get("/cases", htmx=True).status_code == 200


def test_expired_session_during_htmx_request_gets_401_not_a_page(app, make, client_for):
    with freeze_time(START) as clock:
        client = client_for(Role.MANAGER)
        clock.tick(timedelta(minutes=31))
        response = client.get("/cases", htmx=True)
        assert response.status_code == 401
        assert response.headers["HX-Redirect"] == "/sign-in"
        assert response.get_data() == b""


def test_files_never_end_or_extend_a_session(app, make, client_for):
    with freeze_time(START) as clock:
        client = client_for(Role.MANAGER)
        clock.tick(timedelta(minutes=29))
        response = client.get("/static/portal.css")
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        clock.tick(timedelta(minutes=2))
        assert client.get("/static/portal.css").status_code == 200
        assert not signed_in(client.get("/"))


def cookie_attributes(header: str) -> tuple[str, set[str]]:
    name = header.split("=", 1)[0]
    attributes = {part.strip() for part in header.split(";")[1:]}
    return name, attributes


def test_session_cookie_flags(app, make):
    """Security check 32 (development and tests run on http, so no Secure here)."""
    client = PortalClient(app)
    response = client.sign_in(make.user(Role.MANAGER))
    headers = response.headers.getlist("Set-Cookie")
    assert len(headers) == 1
    name, attributes = cookie_attributes(headers[0])
    assert name == "session"
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= attributes
    assert not any(a.lower().startswith("domain=") for a in attributes)
    assert "Secure" not in attributes


def test_production_session_cookie(app, production_environment, other_portal):
    portal = other_portal(ProductionConfig)
    response = portal.test_client().get("/sign-in")
    name, attributes = cookie_attributes(response.headers["Set-Cookie"])
    # A __Host- cookie: browsers insist on Secure, Path=/ and no Domain.
    assert name == "__Host-session"
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= attributes
    assert not any(a.lower().startswith("domain=") for a in attributes)


def test_no_remember_me_cookie_ever(app, make):
    password_only = make.user(Role.MANAGER)
    with_code = make.user(Role.MANAGER, totp=True)
    for user in (password_only, with_code):
        client = PortalClient(app)
        client.sign_in(user)
        client.get("/cases")
        client.sign_out()
        assert client.http.get_cookie("remember_token") is None
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(0)


def test_session_cookie_changes_at_each_sign_in_step(app, make):
    """Security check 28: a new session after the password, and again after the code."""
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.token()
    cookies = [client.http.get_cookie("session").value]
    client.enter_password(user)
    cookies.append(client.http.get_cookie("session").value)
    client.post("/sign-in/two-factor", {"code": totp_code(user)})
    cookies.append(client.http.get_cookie("session").value)
    assert len(set(cookies)) == 3
    with client.http.session_transaction() as session:
        assert "pending_sign_in" not in session
        assert session["signed_in_at"] == session["last_seen"]
