"""create_provider from every door: the page (with a contact email), the CLI, and the service."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from provider_portal.admin.services import PROVIDER_EXISTS, create_provider
from provider_portal.errors import AccountError, AlreadyExists
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Provider, Role

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


def _providers() -> int:
    return db.session.scalar(select(func.count()).select_from(Provider)) or 0


def test_the_service_tidies_the_name_and_audits_how_it_was_made(app):
    provider = create_provider(
        "  Lakeside   EP ", actor=None, contact_email=" Office@Lakeside.EXAMPLE ", via="cli"
    )
    db.session.commit()
    assert (provider.name, provider.contact_email, provider.active) == (
        "Lakeside EP",
        "office@lakeside.example",
        True,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_created"))
    assert (event.object_id, event.provider_id, event.detail, event.actor_id) == (
        provider.id,
        provider.id,
        "via=cli",
        None,
    )
    assert create_provider("Hillside", actor=None, contact_email="  ").contact_email is None


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("lakeside ep", None, "name", PROVIDER_EXISTS),
        ("", None, "name", "Enter the name of the provider"),
        ("x" * 201, None, "name", "Name of the provider must be 200 characters or fewer"),
        ("Bad\x01Name", None, "name", "using letters, numbers, spaces and punctuation only"),
        ("Hillside", "office at hillside", "contact_email", EMAIL_FORMAT),
    ],
)
def test_the_service_refuses_with_the_field_at_fault(app, make, name, email, field, message):
    make.provider("Lakeside EP")
    with pytest.raises(AccountError) as caught:
        create_provider(name, actor=None, contact_email=email)
    db.session.rollback()
    assert caught.value.field == field and message in caught.value.message
    assert isinstance(caught.value, AlreadyExists) == (message == PROVIDER_EXISTS)
    assert _providers() == 1


def test_the_page_takes_an_optional_contact_email(app, make, client_for):
    admin = client_for(Role.ADMIN)
    form = admin.page("/admin/providers/new")
    assert form.find("input", id="contact_email") is not None
    response = admin.post(
        "/admin/providers/new", {"name": "Riverside Therapy", "contact_email": "bad address"}
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert EMAIL_FORMAT in text and 'href="#contact_email"' in text
    assert _providers() == 0

    response = admin.post(
        "/admin/providers/new",
        {"name": "Riverside Therapy", "contact_email": "Team@Riverside.example"},
    )
    assert response.status_code == 303
    shown = admin.page(response.headers["Location"])
    assert "team@riverside.example" in shown.find("dl").get_text()

    response = admin.post("/admin/providers/new", {"name": "No Email Ltd", "contact_email": ""})
    assert response.status_code == 303
    assert (
        db.session.scalar(select(Provider.contact_email).where(Provider.name == "No Email Ltd"))
        is None
    )
    assert "Not given" in admin.page(response.headers["Location"]).find("dl").get_text()


def _cli(app, *args: str):
    result = app.test_cli_runner().invoke(args=["providers", *args])
    db.session.rollback()
    return result


def test_providers_create_on_the_command_line(app):
    result = _cli(app, "create", "--name", "Northbrook Psychology", "--email", "ops@nb.example")
    assert result.exit_code == 0, result.output
    assert "Created provider Northbrook Psychology" in result.output
    provider = db.session.scalar(select(Provider))
    assert (provider.name, provider.contact_email) == ("Northbrook Psychology", "ops@nb.example")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_created"))
    assert event.detail == "via=cli" and event.provider_id == provider.id

    again = _cli(app, "create", "--name", "NORTHBROOK psychology")
    assert again.exit_code != 0 and PROVIDER_EXISTS in again.output
    bad_email = _cli(app, "create", "--name", "Other Ltd", "--email", "nope")
    assert bad_email.exit_code != 0
    assert "--email" in bad_email.output and "correct format" in bad_email.output
    assert _providers() == 1


def test_providers_list_in_name_order_with_status_email_and_accounts(app, make):
    assert _cli(app, "list").output == "name\tstatus\tcontact_email\tactive_accounts\n"
    north = make.provider("northbrook", contact_email="a@north.example")
    make.provider("Clearwater", active=False)
    make.user(Role.PRACTITIONER, provider=north)
    make.user(Role.PROVIDER_ADMIN, provider=north)
    make.user(Role.PRACTITIONER, provider=north, active=False)
    result = _cli(app, "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "Clearwater\tinactive\t\t0",
        "northbrook\tactive\ta@north.example\t2",
    ]
