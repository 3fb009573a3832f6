"""Administrators add providers and deactivate or reactivate them."""

from __future__ import annotations

from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Provider, Role


def test_adding_a_provider(app, make, client_for):
    admin = client_for(Role.ADMIN)
    page = admin.page("/admin/providers")
    assert "There are no providers yet" in page.get_text()
    admin.page("/admin/providers/new")
    response = admin.post("/admin/providers/new", {"name": "  Riverside   Therapy  "})
    assert response.status_code == 303
    provider = db.session.scalar(select(Provider))
    assert provider.name == "Riverside Therapy" and provider.active
    assert response.headers["Location"] == f"/admin/providers/{provider.id}"
    shown = admin.page(response.headers["Location"])
    assert shown.h1.get_text(strip=True) == "Riverside Therapy"
    assert "Riverside Therapy has been added" in shown.get_text()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_created"))
    assert event.object_id == provider.id and event.provider_id == provider.id
    assert event.actor_id == admin.user.id
    listed = admin.page("/admin/providers")
    assert "Riverside Therapy" in listed.find("table", id="provider-list").get_text()


def test_provider_names_are_unique_and_required(app, make, client_for):
    make.provider("Riverside Therapy")
    admin = client_for(Role.ADMIN)
    for name, message in (
        ("RIVERSIDE therapy", "A provider with this name already exists"),
        ("", "Enter the name of the provider"),
        ("x" * 201, "Name of the provider must be 200 characters or fewer"),
        ("Bad\tName", "Enter the name using letters, numbers, spaces and punctuation only"),
    ):
        response = admin.post("/admin/providers/new", {"name": name})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert message in text and "<title>Error: Add a provider" in text
        assert 'href="#name"' in text
    assert db.session.scalar(select(func.count()).select_from(Provider)) == 1


def test_deactivating_and_reactivating_a_provider(app, make, client_for):
    provider = make.provider("Lakeside EP")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    admin = client_for(Role.ADMIN)
    confirm = admin.page(f"/admin/providers/{provider.id}/deactivate")
    assert "it has 1 active account" in confirm.get_text()
    assert admin.post(f"/admin/providers/{provider.id}/deactivate").status_code == 303
    db.session.refresh(provider)
    assert not provider.active
    # Nobody can be invited to it any more.
    invite = admin.page("/admin/users/invite")
    assert "Lakeside EP" not in invite.find("select", id="provider").get_text()
    response = admin.post(
        "/admin/users/invite",
        {
            "name": "Late Joiner",
            "email": "late@example.test",
            "role": "practitioner",
            "provider": str(provider.id),
        },
    )
    assert "Select the provider the person works for" in response.get_data(as_text=True)
    # Its people keep their accounts until deactivated themselves.
    db.session.refresh(practitioner)
    assert practitioner.active

    page = admin.page(f"/admin/providers/{provider.id}")
    assert "Deactivated" in page.get_text()
    assert admin.post(f"/admin/providers/{provider.id}/reactivate").status_code == 303
    db.session.refresh(provider)
    assert provider.active
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "provider")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["provider_deactivated", "provider_reactivated"]
    assert admin.get("/admin/providers/999999").status_code == 404


def test_an_account_of_a_deactivated_provider_is_reactivated_after_it(app, make, client_for):
    provider = make.provider("Closed Ltd", active=False)
    person = make.user(Role.PRACTITIONER, provider=provider, active=False)
    admin = client_for(Role.ADMIN)
    response = admin.post(f"/admin/users/{person.id}/reactivate")
    assert response.status_code == 303
    assert "Reactivate Closed Ltd before its accounts" in admin.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    db.session.refresh(person)
    assert not person.active
