"""Administrators: the accounts list, a person's page, deactivation, two-factor resets."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from provider_portal.auth.services import authenticate
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, RecoveryCode, Role, User
from provider_portal.models.types import utcnow
from tests.helpers import TEST_PASSWORD, PortalClient


def rows(soup, table_id):
    table = soup.find("table", id=table_id)
    if table is None:
        return []
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in table.tbody.find_all("tr")
    ]


def test_the_accounts_list_filters_by_role_provider_and_status(app, make, client_for):
    north = make.provider("North")
    south = make.provider("South")
    make.user(Role.PRACTITIONER, provider=north, name="Nadia North")
    make.user(Role.PRACTITIONER, provider=south, name="Sam South", active=False)
    invited = make.user(Role.PROVIDER_ADMIN, provider=south, name="Ivy Invited")
    invited.password_hash = "!invited"
    db.session.commit()
    make.user(Role.MANAGER, name="Mo Manager")
    admin = client_for(make.user(Role.ADMIN, name="Ada Admin"))

    page = admin.page("/admin/users")
    names = [row[0] for row in rows(page, "user-list")]
    assert names == ["Ada Admin", "Ivy Invited", "Mo Manager", "Nadia North", "Sam South"]
    statuses = {row[0]: row[4] for row in rows(page, "user-list")}
    assert statuses["Ivy Invited"] == "Invited" and statuses["Sam South"] == "Deactivated"
    assert statuses["Nadia North"] == "Active"

    def names_for(query):
        return [row[0] for row in rows(admin.page(f"/admin/users?{query}"), "user-list")]

    assert names_for("role=practitioner") == ["Nadia North", "Sam South"]
    assert names_for(f"provider={south.id}") == ["Ivy Invited", "Sam South"]
    assert names_for("status=deactivated") == ["Sam South"]
    assert names_for("status=invited") == ["Ivy Invited"]
    assert names_for(f"status=active&provider={north.id}") == ["Nadia North"]
    assert names_for("role=nonsense&status=%27%20or%201=1&provider=x") == names
    fragment = admin.page("/admin/users?role=manager", htmx=True)
    assert [row[0] for row in rows(fragment, "user-list")] == ["Mo Manager"]


def test_the_accounts_list_shows_50_a_page(app, make, client_for, count_queries):
    provider = make.provider()
    for n in range(55):
        make.user(Role.PRACTITIONER, provider=provider, name=f"Person {n:02d}")
    admin = client_for(Role.ADMIN)
    count_queries.clear()
    first = admin.page("/admin/users")
    queries = len(count_queries)
    assert len(rows(first, "user-list")) == 50
    assert "56 accounts" in first.get_text()
    second = admin.page("/admin/users?page=2")
    assert len(rows(second, "user-list")) == 6
    assert queries < 15  # bounded: not one query per person


def test_a_persons_page(app, make, client_for):
    provider = make.provider("Harbour Therapy")
    person = make.user(
        Role.PROVIDER_ADMIN,
        provider=provider,
        name="Hana Harbour",
        totp_secret=pyotp.random_base32(),
        totp_confirmed_at=utcnow(),
        last_sign_in_at=utcnow(),
    )
    admin = client_for(Role.ADMIN)
    page = admin.page(f"/admin/users/{person.id}")
    summary = {
        row.find("dt").get_text(strip=True): row.find("dd").get_text(" ", strip=True)
        for row in page.find_all("div", class_="govuk-summary-list__row")
    }
    assert summary["Name"] == "Hana Harbour"
    assert summary["Email address"] == person.email
    assert summary["Role"] == "Provider administrator"
    assert summary["Provider"] == "Harbour Therapy"
    assert summary["Status"] == "Active"
    assert summary["Two-factor sign-in set up"] == "Yes"
    assert " at " in summary["Last signed in"]
    assert admin.get("/admin/users/999999").status_code == 404


def test_deactivation_signs_the_person_out_at_once(app, make, client_for):
    person = make.user(Role.MANAGER, name="Dee Parted")
    their_browser = client_for(person)
    assert their_browser.get("/cases").status_code == 200
    admin = client_for(Role.ADMIN)
    page = admin.page(f"/admin/users/{person.id}/deactivate")
    assert page.h1.get_text(strip=True) == "Deactivate Dee Parted’s account"

    response = admin.post(f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    assert "account has been deactivated" in admin.get(f"/admin/users/{person.id}").get_data(
        as_text=True
    )
    next_request = their_browser.get("/cases")
    assert next_request.status_code == 302
    assert next_request.headers["Location"].startswith("/sign-in")
    db.session.refresh(person)
    assert not person.active and person.deactivated_at is not None
    assert authenticate(person.email, TEST_PASSWORD) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert event.object_id == person.id and event.actor_id == admin.user.id

    # And back again.
    assert admin.post(f"/admin/users/{person.id}/reactivate").status_code == 303
    db.session.refresh(person)
    assert person.active and person.deactivated_at is None
    PortalClient(app).sign_in(person)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "user_reactivated")
        )
        == 1
    )


def test_an_administrator_cannot_deactivate_themselves(app, make, client_for):
    admin = client_for(Role.ADMIN)
    me = admin.user
    page = admin.page(f"/admin/users/{me.id}")
    assert "Deactivate account" not in page.get_text()
    confirm = admin.page(f"/admin/users/{me.id}/deactivate")
    assert "You cannot deactivate your own account" in confirm.get_text()
    assert confirm.find("button", string=lambda s: s and "Deactivate" in s) is None
    response = admin.post(f"/admin/users/{me.id}/deactivate")
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.active
    assert admin.get("/admin/users").status_code == 200


def test_resetting_two_factor(app, make, client_for):
    person = make.user(
        Role.PRACTITIONER, totp_secret=pyotp.random_base32(), totp_confirmed_at=utcnow()
    )
    person.totp_last_step = 123
    db.session.add_all([RecoveryCode(user_id=person.id, code_hash="x" * 20) for _ in range(3)])
    db.session.commit()
    their_browser = client_for(person)
    admin = client_for(Role.ADMIN)
    page = admin.page(f"/admin/users/{person.id}/two-factor")
    assert page.h1.get_text(strip=True).startswith("Reset two-factor sign-in")
    assert admin.post(f"/admin/users/{person.id}/two-factor").status_code == 303
    db.session.refresh(person)
    assert person.totp_secret is None and person.totp_confirmed_at is None
    assert person.totp_last_step is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert their_browser.get("/provider/allocations").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
    assert event.object_id == person.id and event.actor_id == admin.user.id
    summary = admin.page(f"/admin/users/{person.id}").get_text(" ", strip=True)
    assert "Two-factor sign-in set up No" in summary


def test_account_changes_are_audited_without_names_or_addresses(app, make, client_for):
    person = make.user(Role.MANAGER, name="Quentin Quiet", email="quentin@example.test")
    admin = client_for(Role.ADMIN)
    admin.post(f"/admin/users/{person.id}/deactivate")
    admin.post(f"/admin/users/{person.id}/reactivate")
    admin.post(f"/admin/users/{person.id}/two-factor")
    for event in db.session.scalars(select(AuditEvent)):
        assert "quentin" not in (event.detail or "").lower()


def test_council_users_other_than_administrators_are_refused(app, make, client_for):
    person = make.user(Role.PRACTITIONER)
    for role in (Role.MANAGER, Role.MONITOR, Role.PROVIDER_ADMIN, Role.PRACTITIONER):
        client = client_for(role)
        assert client.get("/admin/users").status_code == 403
        assert client.post(f"/admin/users/{person.id}/deactivate").status_code == 403
    db.session.refresh(person)
    assert person.active
    assert db.session.scalar(select(func.count()).select_from(User)) == 5
