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
