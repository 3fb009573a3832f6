"""Changing your own password: this session carries on, every other one ends, an email says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provider_portal.auth.services import authenticate
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from tests.helpers import TEST_PASSWORD, PortalClient

NEW_PASSWORD = "velvet compass tide 42"


def change(client, current=TEST_PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        {
            "current_password": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_changing_the_password_ends_other_sessions_only(app, make, client_for, mail_server):
    user = make.user(Role.PRACTITIONER, name="Priya Practitioner")
    here = client_for(user)
    elsewhere = client_for(user)
    page = here.page("/account/password")
    assert page.h1.get_text(strip=True) == "Change your password"

    response = change(here)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    landing = here.get("/", follow_redirects=True)
    assert landing.status_code == 200
    assert "Your password has been changed" in landing.get_data(as_text=True)
    assert here.get("/account/password").status_code == 200  # still signed in here
    assert elsewhere.get("/account/password").status_code == 302  # signed out there

    assert authenticate(user.email, TEST_PASSWORD) is None
    assert authenticate(user.email, NEW_PASSWORD) is not None
    db.session.refresh(user)
    assert user.password_set_at is not None

    message = mail_server.wait_for(1)[0]
    assert message["To"] == user.email
    assert message["Subject"] == "Your password was changed"
    body = mail_server.body(message)
    assert "Your password was changed. If this was not you, contact your administrator." in body
    assert "Priya" not in body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_changed"))
    assert event.actor_id == user.id and event.object_id == user.id and event.detail is None


def test_a_wrong_current_password_changes_nothing(app, make, client_for, mail_server):
    user = make.user(Role.MANAGER)
    client = client_for(user)
    response = change(client, current="not my password at all")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Your current password is incorrect" in text
    assert "<title>Error: Change your password" in text and 'href="#current_password"' in text
    assert authenticate(user.email, TEST_PASSWORD) is not None
    assert client.get("/account/password").status_code == 200
    assert mail_server.settle() == []


def test_the_new_password_must_meet_the_policy(app, make, client_for):
    client = client_for(Role.MONITOR)
    for new, confirm, message in (
        ("", "", "Enter a password"),
        ("elevenchars", "elevenchars", "Your password must be 12 characters or more"),
        ("x" * 257, "x" * 257, "Your password must be 256 characters or fewer"),
        ("qwertyuiopas", "qwertyuiopas", "this one is too common"),
        (NEW_PASSWORD, "something else entirely", "The passwords do not match"),
    ):
        response = change(client, new=new, confirm=confirm)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    empty = client.post("/account/password", {})
    text = empty.get_data(as_text=True)
    for message in ("Enter your current password", "Enter a password", "Enter the new password"):
        assert message in text


def test_long_passwords_are_not_truncated(app, make, client_for):
    user = make.user(Role.MANAGER)
    client = client_for(user)
    long = "the ferry leaves at nine and the tide turns at ten past, said the harbourmaster"
    long = (long + " and again and again and again")[:100]
    assert len(long) == 100
    assert change(client, new=long).status_code == 303
    assert authenticate(user.email, long) is not None
    assert authenticate(user.email, long[:72]) is None
    refused = PortalClient(app).post("/sign-in", {"email": user.email, "password": long[:72]})
    assert refused.status_code == 200
    PortalClient(app).sign_in(user, long)


@pytest.mark.parametrize("new", ["🦊 quietly 🌙 reads 📚", "all lower case words here"])
def test_spaces_emoji_and_lower_case_are_fine(app, make, client_for, new):
    user = make.user(Role.MANAGER)
    assert change(client_for(user), new=new).status_code == 303
    assert authenticate(user.email, new) is not None


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_guessing_the_current_password_is_rate_limited(app, make, client_for):
    client = client_for(Role.MANAGER)
    for _ in range(10):
        assert change(client, current="a wrong guess here").status_code == 200
    assert change(client, current="a wrong guess here").status_code == 429
