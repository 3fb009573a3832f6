"""A provider's team mailbox: set and removed by its administrators, in lower case, audited;
seen by the council's administrators; and sent a copy of the organisation's work mail."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from provider_portal.allocations.services import withdraw
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, OutboxMessage, Role
from tests.factories import Factory


def _audit() -> list[tuple[str, int | None, int | None]]:
    return [
        (e.action, e.actor_id, e.provider_id)
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("team_mailbox%"))
            .order_by(AuditEvent.id)
        )
    ]


def test_an_administrator_sets_and_removes_the_team_mailbox(make: Factory, client_for) -> None:
    provider = make.provider("Northbrook")
    p_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    team = p_admin.page("/admin/team")
    assert "None" in team.select_one("#team-mailbox").get_text()
    assert team.select_one("#team-mailbox a")["href"] == "/admin/team/mailbox"

    response = p_admin.post("/admin/team/mailbox", {"mailbox": "  CaseWork@Northbrook.Example "})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/team"
    db.session.refresh(provider)
    assert provider.team_mailbox == "casework@northbrook.example"
    team = p_admin.page("/admin/team")
    assert "casework@northbrook.example" in team.select_one("#team-mailbox").get_text()
    assert "Copies will go to" in team.select_one(".govuk-notification-banner").get_text()
    form = p_admin.page("/admin/team/mailbox")
    assert form.select_one("#mailbox")["value"] == "casework@northbrook.example"

    assert p_admin.post("/admin/team/mailbox", {"mailbox": ""}).status_code == 303
    db.session.refresh(provider)
    assert provider.team_mailbox is None
    # Nothing to remove: nothing changes, nothing is audited.
    assert p_admin.post("/admin/team/mailbox", {"mailbox": ""}).status_code == 303
    who = p_admin.user.id
    assert _audit() == [
        ("team_mailbox_set", who, provider.id),
        ("team_mailbox_removed", who, provider.id),
    ]


def test_an_unusable_address_is_refused(make: Factory, client_for) -> None:
    provider = make.provider(team_mailbox="team@provider.example")
    p_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    for address, message in [
        ("not an address", "Enter an email address in the correct format"),
        ("a" * 320 + "@example.com", "Email address must be"),
    ]:
        response = p_admin.post("/admin/team/mailbox", {"mailbox": address})
        assert response.status_code == 200
        soup = p_admin.soup(response)
        summary = soup.select_one(".govuk-error-summary__list a")
        assert summary.get_text().startswith(message) and summary["href"] == "#mailbox"
    db.session.refresh(provider)
    assert provider.team_mailbox == "team@provider.example"
    assert _audit() == []


def test_only_the_providers_administrators_change_it(make: Factory, client_for) -> None:
    provider = make.provider()
    practitioner = client_for(Role.PRACTITIONER, provider=provider)
    assert practitioner.get("/admin/team/mailbox").status_code == 403
    assert practitioner.post("/admin/team/mailbox", {"mailbox": "x@y.example"}).status_code == 403
    manager = client_for(Role.MANAGER)
    assert manager.post("/admin/team/mailbox", {"mailbox": "x@y.example"}).status_code == 403
    # Another provider's administrator sets their own organisation's, never this one's.
    other = client_for(Role.PROVIDER_ADMIN)
    assert other.post("/admin/team/mailbox", {"mailbox": "x@y.example"}).status_code == 303
    db.session.refresh(provider)
    assert provider.team_mailbox is None
    assert other.user.provider.team_mailbox == "x@y.example"


def test_the_council_sees_it_on_the_providers_page(make: Factory, client_for) -> None:
    provider = make.provider(team_mailbox="casework@northbrook.example")
    admin = client_for(Role.ADMIN)
    summary = admin.page(f"/admin/providers/{provider.id}").select_one(".govuk-summary-list")
    assert "Team mailbox" in summary.get_text()
    assert "casework@northbrook.example" in summary.get_text()


def test_the_mailbox_set_on_the_page_gets_the_copy(make: Factory, client_for) -> None:
    provider = make.provider()
    p_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    p_admin.post("/admin/team/mailbox", {"mailbox": "Team@Provider.Example"})
    allocation = make.allocation(provider=provider, allocated_on=date(2024, 8, 1))
    withdraw(allocation, "Family moved away", actor=make.user(Role.MANAGER))
    db.session.commit()
    assert sorted(m.to_address for m in db.session.scalars(select(OutboxMessage))) == sorted(
        [p_admin.user.email, "team@provider.example"]
    )
