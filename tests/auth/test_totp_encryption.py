"""Two-factor secrets are encrypted at rest under TOTP_ENCRYPTION_KEY, and the key rotates.

A copy of the users table must not be enough to generate anyone's codes: it holds Fernet
tokens, never a base32 secret. `flask totp rotate-key` re-encrypts every secret under the
first key, after which the old key alone opens nothing and sign-in goes on working.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from config import INSECURE_DEV_TOTP_KEY, TestConfig
from provider_portal import create_app
from provider_portal.auth.two_factor import services
from provider_portal.auth.two_factor.keys import reveal, seal
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from tests.auth.test_two_factor import code_at
from tests.helpers import PortalClient, plain_totp_secret, throwaway_database, totp_code

BASE32 = re.compile(r"[A-Z2-7]+=*")
NEW_KEY = "Xd0yWq4P1r3k3yZ4n5JmWq8hQJx6F2bL9oVt7cS1uEg="  # fixed: test ids must not vary


def stored_secrets() -> dict[int, str]:
    """user id -> what the database holds in totp_secret, read with plain SQL."""
    db.session.commit()
    rows = db.session.execute(
        sa.text("SELECT id, totp_secret FROM user_account WHERE totp_secret IS NOT NULL")
    )
    return {row.id: row.totp_secret for row in rows}


def store(user: User, value: str) -> None:
    """Write totp_secret as it is, past the portal's encryption."""
    db.session.execute(sa.update(User).where(User.id == user.id).values(totp_secret=value))
    db.session.commit()


def test_the_users_table_holds_no_plain_secret(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    from_factory = make.user(Role.MANAGER, totp=True)
    user = make.user(Role.PRACTITIONER)
    client = PortalClient(app)
    client.enter_password(user)
    shown = client.page("/sign-in/set-up-two-factor").find(id="totp-secret").get_text()
    secret = shown.replace(" ", "")
    assert BASE32.fullmatch(secret)
    confirmed = client.post("/sign-in/set-up-two-factor", {"code": code_at(user, 0)})
    assert "Save your recovery codes" in confirmed.get_data(as_text=True)

    stored = stored_secrets()
    assert set(stored) == {from_factory.id, user.id}
    for value in stored.values():
        assert value.startswith("gAAAAA") and not BASE32.fullmatch(value)
    assert not any(secret in value for value in stored.values())
    assert Fernet(INSECURE_DEV_TOTP_KEY).decrypt(stored[user.id].encode()).decode() == secret
    # Signing in with the app's code still works, for both.
    client.sign_out()
    assert PortalClient(app).sign_in(user).headers["Location"] == "/provider/home"
    assert PortalClient(app).sign_in(from_factory).status_code == 303


def rotate(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["totp", "rotate-key"])
    db.session.rollback()
    return result.exit_code, result.output


def test_rotating_the_key_keeps_sign_in_working(app, make, monkeypatch):
    old_key = app.config["TOTP_ENCRYPTION_KEY"]
    users = [make.user(Role.MANAGER, totp=True) for _ in range(2)]
    secrets = [plain_totp_secret(user) for user in users]
    # One secret from before encryption, still in plain text.
    legacy = make.user(Role.MANAGER, totp_confirmed_at=users[0].totp_confirmed_at)
    legacy_secret = pyotp.random_base32()
    db.session.execute(
        sa.update(User).where(User.id == legacy.id).values(totp_secret=legacy_secret)
    )
    db.session.commit()

    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEY", f"{NEW_KEY}, {old_key}")
    status, output = rotate(app)
    assert status == 0, output
    assert "Re-encrypted 2 two-factor secrets under the first of 2 keys" in output
    assert "encrypted 1 stored in plain text" in output

    stored = stored_secrets()
    for user, secret in zip(users, secrets, strict=True):
        assert Fernet(NEW_KEY).decrypt(stored[user.id].encode()).decode() == secret
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(stored[user.id].encode())
    assert Fernet(NEW_KEY).decrypt(stored[legacy.id].encode()).decode() == legacy_secret
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "totp_key_rotated"))
    assert event.detail == "re-encrypted=2 plain_encrypted=1 changed_meanwhile=0 unreadable=0"

    # The old key can go: with the new one alone, everyone still signs in.
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEY", NEW_KEY)
    for user in users:
        assert PortalClient(app).sign_in(user).status_code == 303
    assert PortalClient(app).sign_in(legacy, totp_secret=legacy_secret).status_code == 303


def test_a_plain_secret_is_never_used_as_it_is(app, make):
    """Until it is encrypted (migration 0008, or rotate-key), a plain secret signs nobody in."""
    user = make.user(Role.MANAGER, totp=True)
    secret = plain_totp_secret(user)
    store(user, secret)
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/two-factor", {"code": totp_code(user, secret)})
    assert "Enter a correct code" in response.get_data(as_text=True)


def test_a_secret_no_key_opens_is_reported_and_left_alone(app, make, caplog):
    user = make.user(Role.MANAGER, totp=True)
    secret = plain_totp_secret(user)
    lost = Fernet(Fernet.generate_key()).encrypt(secret.encode()).decode()
    store(user, lost)

    status, output = rotate(app)
    assert status == 1
    assert (
        f"1 secrets could not be decrypted with any key in TOTP_ENCRYPTION_KEY (accounts {user.id})"
        in (" ".join(output.split()))
    )
    assert stored_secrets()[user.id] == lost

    caplog.set_level(logging.ERROR)
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/two-factor", {"code": totp_code(user, secret)})
    assert "Enter a correct code" in response.get_data(as_text=True)
    assert f"two-factor secret of account {user.id} cannot be decrypted" in caplog.text
    assert secret not in caplog.text and lost not in caplog.text


def test_a_secret_replaced_during_rotation_is_left_as_written(app, make, monkeypatch):
    """Someone sets up their app while the key rotates: their new secret is kept."""
    user = make.user(Role.MANAGER, totp=True)
    meanwhile = seal(pyotp.random_base32())
    real_reseal = services.reseal

    def reseal_while_someone_sets_up(stored: str) -> str:
        db.session.execute(sa.update(User).where(User.id == user.id).values(totp_secret=meanwhile))
        return real_reseal(stored)

    monkeypatch.setattr(services, "reseal", reseal_while_someone_sets_up)
    status, output = rotate(app)
    assert status == 0 and "1 replaced meanwhile" in output
    assert stored_secrets()[user.id] == meanwhile


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "at least one Fernet key"),
        ("not-a-key", "key 1 is not one"),
        (f"{NEW_KEY},{NEW_KEY[:-4]}", "key 2 is not one"),
    ],
)
def test_an_unreadable_key_list_stops_the_start(app, other_portal, value, problem):
    with pytest.raises(RuntimeError, match=problem) as refused:
        other_portal(TOTP_ENCRYPTION_KEY=value)
    if value:
        assert value.split(",")[-1] not in str(refused.value)  # the key is never printed


def test_reveal_needs_a_configured_key(app):
    token = Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXP").decode()
    assert reveal(token) is None
    assert reveal(seal("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"
    assert reveal("JBSWY3DPEHPK3PXP") is None and reveal(None) is None


def test_migration_0008_encrypts_what_was_there_and_0007_finds_who_deactivated(tmp_path: Path):
    """Going up encrypts every plain secret and fills deactivated_by from the audit trail;
    going down gives the plain secrets back."""
    urls = throwaway_database(tmp_path, "portal_totp_migration")
    url = next(urls)

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    portal = create_app(MigrationConfig)
    secret = pyotp.random_base32()
    people = (
        "INSERT INTO user_account (id, email, name, role, password_hash, active, session_token, "
        "created_at, failed_sign_ins, totp_secret) VALUES "
        f"(1, 'a@example.test', 'Ada', 'admin', 'x', true, 't1', '2024-08-01 09:00:00+00:00', "
        f"0, '{secret}'), "
        "(2, 'b@example.test', 'Bo', 'manager', 'x', false, 't2', '2024-08-01 09:00:00+00:00', "
        "0, NULL), "
        "(3, 'c@example.test', 'Cy', 'manager', 'x', false, 't3', '2024-08-01 09:00:00+00:00', "
        "0, NULL)"
    )
    trail = (
        "INSERT INTO audit_event (occurred_at, actor_id, action, object_type, object_id) VALUES "
        "('2024-08-02 09:00:00+00:00', 1, 'user_deactivated', 'user', 2)"
    )
    with portal.app_context():
        try:
            upgrade(revision="0006")
            with db.engine.begin() as connection:
                connection.execute(sa.text(people))
                connection.execute(sa.text(trail))
            upgrade(revision="0008")
            with db.engine.connect() as connection:
                rows = connection.execute(
                    sa.text(
                        "SELECT id, totp_secret, deactivated_by_id FROM user_account ORDER BY id"
                    )
                ).all()
            assert rows[0].totp_secret.startswith("gAAAAA")
            assert Fernet(INSECURE_DEV_TOTP_KEY).decrypt(rows[0].totp_secret.encode()).decode() == (
                secret
            )
            # Deactivated by the administrator, by the trail; and by nobody known.
            assert [row.deactivated_by_id for row in rows] == [None, 1, None]
            downgrade(revision="0006")
            with db.engine.connect() as connection:
                back = connection.execute(
                    sa.text("SELECT totp_secret FROM user_account WHERE id = 1")
                ).scalar()
            assert back == secret
        finally:
            db.session.remove()
            db.engine.dispose()
            for _ in urls:  # drops a PostgreSQL database
                pass
