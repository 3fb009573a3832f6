"""A provider administrator's team: their own organisation only; anything else is 404."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from provider_portal.accounts.services import (
    COUNCIL_DEACTIVATED,
    deactivated_by_council,
    reactivate,
)
from provider_portal.errors import AccountError
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from tests.accounts.test_invitations import normalised
from tests.helpers import PortalClient


@pytest.fixture
def teams(make, client_for):
    p = make.provider("Provider P")
    q = make.provider("Provider Q")
    people = {
        "p_admin": make.user(Role.PROVIDER_ADMIN, provider=p, name="Pat Admin"),
        "p_admin_2": make.user(Role.PROVIDER_ADMIN, provider=p, name="Pip Admin"),
        "p_practitioner": make.user(Role.PRACTITIONER, provider=p, name="Pia Practitioner"),
        "q_practitioner": make.user(Role.PRACTITIONER, provider=q, name="Quin Practitioner"),
        "q_admin": make.user(Role.PROVIDER_ADMIN, provider=q, name="Quincy Admin"),
        "manager": make.user(Role.MANAGER, name="Max Manager"),
        "admin": make.user(Role.ADMIN, name="Ada Admin"),
    }
    return p, q, people, client_for(people["p_admin"])


def test_the_team_page_lists_only_the_organisation(app, teams):
    p, q, people, p_admin = teams
    page = p_admin.page("/admin/team")
    names = [
        row.find("td").get_text(strip=True)
        for row in page.find("table", id="team-list").tbody.find_all("tr")
    ]
    assert names == ["Pat Admin", "Pia Practitioner", "Pip Admin"]
    assert "Your team" in [a.get_text(strip=True) for a in page.find_all("a")]
    p_admin.page(f"/admin/team/{people['p_practitioner'].id}")
    fellow = p_admin.page(f"/admin/team/{people['p_admin_2'].id}")
    assert "Deactivate account" not in fellow.get_text()  # only practitioners


@pytest.mark.parametrize("outsider", ["q_practitioner", "q_admin", "manager", "admin", "missing"])
def test_anyone_outside_the_organisation_is_404_by_any_id(app, teams, outsider):
    p, q, people, p_admin = teams
    user_id = 999999 if outsider == "missing" else people[outsider].id
    missing_page = p_admin.get("/admin/team/999998")
    for method, path in (
        ("GET", f"/admin/team/{user_id}"),
        ("GET", f"/admin/team/{user_id}/deactivate"),
        ("POST", f"/admin/team/{user_id}/deactivate"),
        ("POST", f"/admin/team/{user_id}/reactivate"),
        ("POST", f"/admin/team/{user_id}/invitation"),
    ):
        response = p_admin.get(path) if method == "GET" else p_admin.post(path)
        assert response.status_code == 404, (method, path)
        if method == "GET" and path.count("/") == 3:
            assert normalised(response.get_data(as_text=True)) == normalised(
                missing_page.get_data(as_text=True)
            )
    if outsider != "missing":
        db.session.refresh(people[outsider])
        assert people[outsider].active
    changes = ("user_deactivated", "user_reactivated", "invitation_resent")
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.in_(changes))
        )
        == 0
    )


def test_a_fellow_provider_administrator_cannot_be_deactivated(app, teams):
    p, q, people, p_admin = teams
    fellow = people["p_admin_2"]
    assert p_admin.post(f"/admin/team/{fellow.id}/deactivate").status_code == 404
    db.session.refresh(fellow)
    assert fellow.active


def test_deactivating_a_practitioner_signs_them_out(app, teams, client_for):
    p, q, people, p_admin = teams
    practitioner = people["p_practitioner"]
    their_browser = client_for(practitioner)
    assert their_browser.get("/provider/allocations").status_code == 200
    page = p_admin.page(f"/admin/team/{practitioner.id}/deactivate")
    assert page.h1.get_text(strip=True) == "Deactivate Pia Practitioner’s account"
    response = p_admin.post(f"/admin/team/{practitioner.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/team/{practitioner.id}"
    assert their_browser.get("/provider/allocations").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_deactivated"))
    assert event.actor_id == people["p_admin"].id and event.provider_id == p.id
    assert p_admin.post(f"/admin/team/{practitioner.id}/reactivate").status_code == 303
    db.session.refresh(practitioner)
    assert practitioner.active
    PortalClient(app).sign_in(practitioner)


def test_inviting_a_practitioner_ignores_role_and_provider_in_the_request(app, teams, mail_server):
    p, q, people, p_admin = teams
    p_admin.page("/admin/team/invite")
    response = p_admin.post(
        "/admin/team/invite",
        {
            "name": "Mal Assignment",
            "email": "mal@example.test",
            "role": "admin",
            "provider": str(q.id),
            "provider_id": str(q.id),
            "is_admin": "true",
            "active": "false",
        },
    )
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "mal@example.test"))
    assert user.role is Role.PRACTITIONER
    assert user.provider_id == p.id
    assert user.active
    assert response.headers["Location"] == f"/admin/team/{user.id}"
    message = mail_server.wait_for(1)[0]
    assert "Provider P" in mail_server.body(message)

    link = mail_server.link_in(message)
    newcomer = PortalClient(app)
    password = "marble otter window nine"
    assert newcomer.post(link, {"password": password, "confirm": password}).status_code == 303
    newcomer.sign_in(user, password)
    assert newcomer.get("/provider/allocations").status_code == 200
    assert newcomer.get("/admin/team").status_code == 403


def test_the_practitioner_invite_form_explains_problems(app, teams):
    p, q, people, p_admin = teams
    response = p_admin.post("/admin/team/invite", {})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Invite a practitioner" in text
    assert "Enter the person’s full name" in text and "Enter the person’s email address" in text
    taken = p_admin.post(
        "/admin/team/invite", {"name": "Dup", "email": people["q_admin"].email.upper()}
    )
    assert "An account with this email address already exists" in taken.get_data(as_text=True)


def test_an_inactive_organisation_cannot_invite(app, teams, mail_server):
    p, q, people, p_admin = teams
    p.active = False
    db.session.commit()
    response = p_admin.post("/admin/team/invite", {"name": "New", "email": "new@example.test"})
    assert response.status_code == 200
    assert "Your organisation is not active" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new@example.test")) is None


def test_resending_a_practitioners_invitation(app, teams, mail_server):
    p, q, people, p_admin = teams
    assert (
        p_admin.post(
            "/admin/team/invite", {"name": "Slow Starter", "email": "slow@example.test"}
        ).status_code
        == 303
    )
    first = mail_server.link_in(mail_server.wait_for(1)[0])
    user = db.session.scalar(select(User).where(User.email == "slow@example.test"))
    page = p_admin.page(f"/admin/team/{user.id}")
    assert "Send a new invitation" in page.get_text()
    assert p_admin.post(f"/admin/team/{user.id}/invitation").status_code == 303
    second = mail_server.link_in(mail_server.wait_for(2)[1])
    visitor = PortalClient(app)
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200


# --- an account the council deactivated -------------------------------------------------


def reactivations() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "user_reactivated")
        )
        or 0
    )


def test_the_provider_cannot_reactivate_whom_the_council_deactivated(app, teams, client_for):
    p, q, people, p_admin = teams
    practitioner = people["p_practitioner"]
    council = client_for(people["admin"])
    assert council.post(f"/admin/users/{practitioner.id}/deactivate").status_code == 303
    db.session.refresh(practitioner)
    assert not practitioner.active and practitioner.deactivated_by_id == people["admin"].id

    page = p_admin.page(f"/admin/team/{practitioner.id}")
    text = page.get_text(" ", strip=True)
    assert "The council deactivated this account, so only the council can reactivate it." in text
    assert page.find("button", string="Reactivate account") is None

    # The button's request, sent anyway, is refused with the same message.
    response = p_admin.post(f"/admin/team/{practitioner.id}/reactivate")
    assert response.status_code == 303
    banner = p_admin.page(response.headers["Location"]).select_one(".govuk-notification-banner")
    assert COUNCIL_DEACTIVATED in banner.get_text(" ", strip=True)
    db.session.refresh(practitioner)
    assert not practitioner.active
    assert reactivations() == 0

    # The council still can.
    assert council.post(f"/admin/users/{practitioner.id}/reactivate").status_code == 303
    db.session.refresh(practitioner)
    assert practitioner.active and practitioner.deactivated_by_id is None
    assert reactivations() == 1


def test_the_provider_can_undo_its_own_deactivation(app, teams):
    p, q, people, p_admin = teams
    practitioner = people["p_practitioner"]
    assert p_admin.post(f"/admin/team/{practitioner.id}/deactivate").status_code == 303
    db.session.refresh(practitioner)
    assert practitioner.deactivated_by_id == people["p_admin"].id
    assert not deactivated_by_council(practitioner)
    page = p_admin.page(f"/admin/team/{practitioner.id}")
    assert page.find("button", string="Reactivate account") is not None
    assert p_admin.post(f"/admin/team/{practitioner.id}/reactivate").status_code == 303
    db.session.refresh(practitioner)
    assert practitioner.active


@pytest.mark.parametrize("deactivated_by", ["admin", "manager", "nobody known", "q_admin"])
def test_anyone_but_the_providers_own_side_counts_as_the_council(app, teams, deactivated_by):
    """Accounts deactivated before who did it was recorded, or by no one known, count as the
    council's: the provider may not undo what nobody can vouch for."""
    p, q, people, p_admin = teams
    practitioner = people["p_practitioner"]
    practitioner.active = False
    by = people.get(deactivated_by)
    practitioner.deactivated_by_id = by.id if by else None
    db.session.commit()
    assert deactivated_by_council(practitioner)
    with pytest.raises(AccountError, match="only the council can reactivate it"):
        reactivate(practitioner, people["p_admin"])
    db.session.rollback()
    reactivate(practitioner, people["admin"])
    assert practitioner.active


def test_a_fellow_provider_administrators_deactivation_can_be_undone(app, teams):
    p, q, people, p_admin = teams
    practitioner = people["p_practitioner"]
    practitioner.active = False
    practitioner.deactivated_by_id = people["p_admin_2"].id
    db.session.commit()
    assert not deactivated_by_council(practitioner)
    reactivate(practitioner, people["p_admin"])
    assert practitioner.active
