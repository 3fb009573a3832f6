"""Production refuses an unsafe secret key; `flask users create` makes the first account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from config import ProductionConfig
from provider_portal import create_app
from provider_portal.auth.services import authenticate
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User


@pytest.mark.parametrize("key", [None, "", "dev-only-not-secret", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, key):
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_secure_cookies(production_environment, tmp_path):

    class Prod(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/sign-in")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_users_create(app, monkeypatch, make):
    monkeypatch.setenv("PORTAL_PASSWORD", "a long enough passphrase")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Admin@Council.example",
            "--role",
            "admin",
            "--name",
            "Ada Admin",
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "admin@council.example"))
    assert user.role is Role.ADMIN and user.name == "Ada Admin"
    assert user.password_hash.startswith("$argon2id$")
    assert authenticate("admin@council.example", "a long enough passphrase").id == user.id
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == user.id)) == (
        "user_created"
    )

    again = runner.invoke(
        args=["users", "create", "--email", "admin@council.example", "--role", "admin"]
    )
    assert again.exit_code != 0 and "already exists" in again.output

    no_provider = runner.invoke(
        args=["users", "create", "--email", "p@x.example", "--role", "practitioner"]
    )
    assert no_provider.exit_code != 0 and "--provider" in no_provider.output

    make.provider("Northbrook")
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "p@x.example",
            "--role",
            "practitioner",
            "--provider",
            "Northbrook",
        ]
    )
    assert ok.exit_code == 0, ok.output

    monkeypatch.setenv("PORTAL_PASSWORD", "too short")
    short = runner.invoke(args=["users", "create", "--email", "s@x.example", "--role", "admin"])
    assert short.exit_code != 0 and "12 characters" in short.output
