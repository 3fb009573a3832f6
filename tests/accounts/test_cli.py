"""`flask users create` applies the password policy and records when the password was set."""

from __future__ import annotations

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import User


def create(app, monkeypatch, password: str, email: str):
    monkeypatch.setenv("PORTAL_PASSWORD", password)
    return app.test_cli_runner().invoke(
        args=["users", "create", "--email", email, "--role", "manager"]
    )


def test_the_cli_refuses_common_passwords(app, monkeypatch):
    result = create(app, monkeypatch, "Password1234", "common@example.test")
    assert result.exit_code != 0
    assert "Choose a password that is harder to guess" in result.output
    assert db.session.scalar(select(User)) is None


def test_the_cli_records_when_the_password_was_set(app, monkeypatch):
    result = create(app, monkeypatch, "granite meadow seventy", "first@example.test")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "first@example.test"))
    assert user.password_set_at is not None
    assert user.password_hash.startswith("$argon2id$")


def test_the_cli_creates_through_create_user_and_says_which_option_is_wrong(app, monkeypatch, make):
    from provider_portal.models import AuditEvent

    result = create(app, monkeypatch, "granite meadow seventy", "made@example.test")
    assert result.exit_code == 0, result.output
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_created"))
    assert event.detail == "role=manager via=cli"

    make.provider("Northbrook")
    runner = app.test_cli_runner()
    council = runner.invoke(
        args=["users", "create", "--email", "c@x.example", "--role", "admin"]
        + ["--provider", "Northbrook"]
    )
    assert council.exit_code != 0
    assert "--provider" in council.output and "belong to a provider" in council.output
    bad_email = runner.invoke(args=["users", "create", "--email", "nope", "--role", "admin"])
    assert bad_email.exit_code != 0
    assert "--email" in bad_email.output and "correct format" in bad_email.output
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "c@x.example")) is None
