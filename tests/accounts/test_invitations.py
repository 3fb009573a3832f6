"""Invitations: an administrator invites, the email arrives, the link sets the first password."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.accounts.tokens import hash_token
from provider_portal.auth.services import authenticate
from provider_portal.extensions import db
from provider_portal.models import AccountToken, AuditEvent, Role, User
from tests.helpers import PortalClient

NEW_PASSWORD = "lantern orbit kettle moss"
EXPIRED = "This link has expired or has already been used"


def normalised(text: str) -> str:
    """A page without what differs per request by design: the CSP nonce and the CSRF token."""
    text = re.sub(r'nonce="[^"]+"', "", text)
    text = re.sub(r"X-CSRFToken(\"|&#34;): (\"|&#34;)[^\"&]+", "", text)
    return re.sub(r'(id|name)="csrf_token"[^>]*value="[^"]+"', "", text)


def invite(admin, provider, email="New.Person@Example.test", role="practitioner"):
    return admin.post(
        "/admin/users/invite",
        {
            "name": "Nia Newcomer",
            "email": email,
            "role": role,
            "provider": str(provider.id) if provider else "",
        },
    )


def test_the_whole_invitation_journey(app, make, client_for, mail_server):
    provider = make.provider("Northbrook Psychology")
    admin = client_for(Role.ADMIN)
    admin.page("/admin/users/invite")

    response = invite(admin, provider)
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "new.person@example.test"))
    assert user is not None  # stored in lower case
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert user.role is Role.PRACTITIONER and user.provider_id == provider.id
    assert user.active and user.password_set_at is None
    assert not user.password_hash.startswith("$argon2")  # no password yet
    assert "Invitation sent to new.person@example.test" in admin.get(
        response.headers["Location"]
    ).get_data(as_text=True)

    message = mail_server.wait_for(1)[0]
    assert message["To"] == "new.person@example.test"
    assert message["From"] == app.config["MAIL_SENDER"]
    body = mail_server.body(message)
    assert "Northbrook Psychology" in body and "72 hours" in body
    assert "Nia" not in body and "Newcomer" not in body  # no names in emails
    link = mail_server.link_in(message)
    assert link.startswith("/account/invitation/")
    raw_token = link.rsplit("/", 1)[1]

    # Only the hash of the token is stored.
    token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert token.purpose == "invitation" and token.token_hash == hash_token(raw_token)
    assert raw_token not in token.token_hash
    assert token.expires_at - token.created_at == timedelta(hours=72)

    # Before accepting, nothing signs in.
    assert authenticate(user.email, NEW_PASSWORD) is None
    assert authenticate(user.email, "!invited") is None

    newcomer = PortalClient(app)
    page = newcomer.page(link)
    assert page.h1.get_text(strip=True) == "Set your password"
    assert "new.person@example.test" in page.get_text()
    response = newcomer.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in"
    assert "Your password has been set" in newcomer.get("/sign-in").get_data(as_text=True)

    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert user.password_set_at is not None
    db.session.refresh(token)
    assert token.used_at is not None
    newcomer.sign_in(user, NEW_PASSWORD)
    assert newcomer.get("/provider/allocations").status_code == 200

    events = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    actions = [event.action for event in events]
    assert actions[:2] == ["user_invited", "invitation_accepted"]
    assert events[0].actor_id == admin.user.id and events[1].actor_id == user.id
    assert all("@" not in (event.detail or "") for event in events)


def test_a_link_works_once(app, make, client_for, mail_server):
    admin = client_for(Role.ADMIN)
    assert invite(admin, None, email="once@example.test", role="manager").status_code == 303
    link = mail_server.link_in(mail_server.wait_for(1)[0])
    first = PortalClient(app)
    assert first.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303

    second = PortalClient(app)
    page = second.page(link, status=404)
    assert page.h1.get_text(strip=True) == EXPIRED
    response = second.post(link, {"password": "another long password", "confirm": "x"})
    assert response.status_code == 404
    user = db.session.scalar(select(User).where(User.email == "once@example.test"))
    assert authenticate(user.email, NEW_PASSWORD) is not None


def test_a_link_expires_after_72_hours_and_says_nothing_about_the_account(
    app, make, client_for, mail_server
):
    admin = client_for(Role.ADMIN)
    assert invite(admin, None, email="late@example.test", role="monitor").status_code == 303
    link = mail_server.link_in(mail_server.wait_for(1)[0])
    visitor = PortalClient(app)
    now = datetime.now(UTC)
    with freeze_time(now + timedelta(hours=71, minutes=59)):
        assert visitor.get(link).status_code == 200
    with freeze_time(now + timedelta(hours=72, minutes=1)):
        expired = visitor.get(link)
        refused = visitor.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        unknown = visitor.get("/account/invitation/" + "x" * 43)
    assert expired.status_code == refused.status_code == unknown.status_code == 404
    text = expired.get_data(as_text=True)
    assert EXPIRED in text and "late@example.test" not in text
    assert normalised(text) == normalised(unknown.get_data(as_text=True))
    user = db.session.scalar(select(User).where(User.email == "late@example.test"))
    assert user.password_set_at is None


def test_the_set_password_page_applies_the_policy(app, make, client_for, mail_server):
    admin = client_for(Role.ADMIN)
    assert invite(admin, None, email="policy@example.test", role="manager").status_code == 303
    link = mail_server.link_in(mail_server.wait_for(1)[0])
    newcomer = PortalClient(app)
    cases = [
        ({"password": "", "confirm": ""}, ["Enter a password", "Enter the password again"]),
        ({"password": "x7Gq2mV9pLw", "confirm": "x7Gq2mV9pLw"}, ["12 characters or more"]),
        ({"password": "Password1234", "confirm": "Password1234"}, ["harder to guess"]),
        ({"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}, ["do not match"]),
    ]
    for data, messages in cases:
        response = newcomer.post(link, data)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "<title>Error: Set your password" in text
        assert (
            'class="govuk-error-summary"' in text
            and 'href="#password"' in text
            or ('href="#confirm"' in text)
        )
        for message in messages:
            assert message in text
    assert newcomer.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == (
        303
    )


def test_a_failed_email_saves_nothing(app, make, client_for, no_mail_server):
    admin = client_for(Role.ADMIN)
    admin.token()  # read from the home page, the backlog: an audited view of its own
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = invite(admin, None, email="nowhere@example.test", role="manager")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "could not be sent, so nothing was saved" in text
    assert db.session.scalar(select(User).where(User.email == "nowhere@example.test")) is None
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_an_existing_email_is_refused_whatever_its_case(app, make, client_for, mail_server):
    make.user(Role.MANAGER, email="taken@example.test")
    admin = client_for(Role.ADMIN)
    response = invite(admin, None, email="  TAKEN@Example.TEST ", role="manager")
    assert response.status_code == 200
    assert "An account with this email address already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert mail_server.settle() == []


def test_the_invite_form_explains_every_problem(app, make, client_for):
    provider = make.provider()
    admin = client_for(Role.ADMIN)
    empty = admin.post("/admin/users/invite", {})
    text = empty.get_data(as_text=True)
    assert "<title>Error: Invite a person" in text
    for message in (
        "Enter the person’s full name",
        "Enter the person’s email address",
        "Select the person’s role",
    ):
        assert message in text
    assert 'href="#name"' in text and 'href="#email"' in text and 'href="#role"' in text

    bad = invite(admin, None, email="not-an-email", role="practitioner")
    text = bad.get_data(as_text=True)
    assert "Enter an email address in the correct format, like name@example.com" in text
    assert "Select the provider the person works for" in text

    council_with_provider = invite(admin, provider, email="m@example.test", role="manager")
    assert "only provider roles belong to a provider" in council_with_provider.get_data(
        as_text=True
    )
    nul = admin.post(
        "/admin/users/invite",
        {"name": "Ni\ta", "email": "nul@example.test", "role": "manager", "provider": ""},
    )
    assert nul.status_code == 200
    assert "letters, spaces and punctuation only" in nul.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_resending_an_invitation_makes_the_earlier_link_stop_working(
    app, make, client_for, mail_server
):
    admin = client_for(Role.ADMIN)
    assert invite(admin, None, email="again@example.test", role="manager").status_code == 303
    first_link = mail_server.link_in(mail_server.wait_for(1)[0])
    user = db.session.scalar(select(User).where(User.email == "again@example.test"))
    admin.page(f"/admin/users/{user.id}")
    response = admin.post(f"/admin/users/{user.id}/invitation")
    assert response.status_code == 303
    assert "A new invitation has been sent" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    second_link = mail_server.link_in(mail_server.wait_for(2)[1])
    assert second_link != first_link
    visitor = PortalClient(app)
    assert visitor.get(first_link).status_code == 404
    assert visitor.get(second_link).status_code == 200
    assert db.session.scalar(
        select(AuditEvent.actor_id).where(AuditEvent.action == "invitation_resent")
    ) == (admin.user.id)


def test_an_account_with_a_password_gets_no_new_invitation(app, make, client_for, mail_server):
    admin = client_for(Role.ADMIN)
    user = make.user(Role.MANAGER)
    response = admin.post(f"/admin/users/{user.id}/invitation")
    assert response.status_code == 303
    assert "already set a password" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert mail_server.settle() == []
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0


def test_a_deactivated_invitee_cannot_use_the_link(app, make, client_for, mail_server):
    admin = client_for(Role.ADMIN)
    assert invite(admin, None, email="gone@example.test", role="manager").status_code == 303
    link = mail_server.link_in(mail_server.wait_for(1)[0])
    user = db.session.scalar(select(User).where(User.email == "gone@example.test"))
    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 303
    assert PortalClient(app).get(link).status_code == 404
