"""create_user: the one way an account comes to be, whichever door it comes through."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from provider_portal.accounts.services import (
    EMAIL_EXISTS,
    INVITED_MARKER,
    NEEDS_PROVIDER,
    NO_PROVIDER,
    create_user,
)
from provider_portal.auth.services import authenticate
from provider_portal.errors import AccountError, AlreadyExists
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from provider_portal.passwords import TOO_COMMON, TOO_SHORT

PASSWORD = "granite meadow seventy"


def _refusal(**changes: Any) -> AccountError:
    """The error create_user raises with these changes to a valid account; nothing is saved."""
    values: dict[str, Any] = {
        "email": "someone@example.test",
        "name": "Sam Someone",
        "role": Role.MANAGER,
        "provider": None,
        "password": PASSWORD,
    }
    values.update(changes)
    before = db.session.scalar(select(func.count()).select_from(User))
    with pytest.raises(AccountError) as caught:
        create_user(**values, actor=None, via="cli")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    return caught.value


def test_an_account_with_a_password(app, make):
    provider = make.provider("Northbrook")
    user = create_user(
        "  Pat.Person@Example.TEST ",
        " Pat Person ",
        Role.PRACTITIONER,
        provider,
        password=PASSWORD,
        actor=None,
        via="cli",
    )
    db.session.commit()
    assert (user.email, user.name, user.provider_id) == (
        "pat.person@example.test",
        "Pat Person",
        provider.id,
    )
    assert user.password_hash.startswith("$argon2id$") and user.password_set_at is not None
    assert authenticate("PAT.person@example.test", PASSWORD).id == user.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == user.id))
    assert (event.action, event.detail, event.actor_id, event.provider_id) == (
        "user_created",
        "role=practitioner via=cli",
        None,
        provider.id,
    )


def test_an_invited_account_waits_for_its_password(app, make):
    admin = make.user(Role.ADMIN)
    user = create_user(
        "new@example.test", "New Person", Role.MONITOR, password=None, actor=admin, via="invitation"
    )
    db.session.commit()
    assert user.password_hash == INVITED_MARKER and user.password_set_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == user.id))
    assert (event.action, event.detail) == ("user_invited", "role=monitor")
    assert event.actor_id == admin.id


def test_an_address_has_one_account_whatever_its_case(app, make):
    make.user(Role.MANAGER, email="taken@example.test")
    error = _refusal(email="TAKEN@Example.test")
    assert isinstance(error, AlreadyExists)
    assert (error.message, error.field) == (EMAIL_EXISTS, "email")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Enter an email address in the correct format"),
        ({"email": "x@" + "y" * 320 + ".test"}, "email", "320 characters or fewer"),
        ({"name": "   "}, "name", "Enter the person’s full name"),
        ({"name": "x" * 201}, "name", "Full name must be 200 characters or fewer"),
        ({"name": "Bad\x00Name"}, "name", "using letters, spaces and punctuation only"),
        ({"role": Role.PRACTITIONER}, "provider", NEEDS_PROVIDER),
        ({"password": "too short"}, "password", TOO_SHORT),
        ({"password": "Password1234"}, "password", TOO_COMMON),
    ],
)
def test_what_is_refused_names_its_field(app, changes, field, message):
    error = _refusal(**changes)
    assert error.field == field and message in error.message


def test_council_roles_belong_to_no_provider(app, make):
    provider = make.provider()
    error = _refusal(role=Role.ADMIN, provider=provider)
    assert (error.field, error.message) == ("provider", NO_PROVIDER)
