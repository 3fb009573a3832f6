"""The audit trail against its own application (security.md H.59): on PostgreSQL the portal
connects as a role that owns nothing, so it can add audit rows but cannot update, delete or
truncate them, nor switch off or drop the trigger that refuses those changes.

The test makes a throwaway owner role, app role and database on the suite's PostgreSQL
server (unique names, dropped afterwards), migrates as the owner (MIGRATION_DATABASE_URL),
then uses the portal as the app role (DATABASE_URL). SQLite has one user: its triggers are
tested in test_migrations.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db, limiter
from provider_portal.models import Role
from tests.helpers import PortalClient

SERVER_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SERVER_URL.startswith("postgresql"), reason="database roles are PostgreSQL's"
)

REFUSED = [
    "UPDATE audit_event SET action = 'edited'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_no_change ON audit_event",
    "DROP TABLE audit_event",
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
    "BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE audit_event_copy (id integer)",
]


class Roles:
    def __init__(self, suffix: str) -> None:
        self.owner = f"portal_owner_{suffix}"
        self.app = f"portal_app_{suffix}"
        self.database = f"portal_roles_{suffix}"
        server = sa.engine.make_url(SERVER_URL).set(database=self.database)
        self.owner_url = server.set(username=self.owner).render_as_string(hide_password=False)
        self.app_url = server.set(username=self.app).render_as_string(hide_password=False)


@pytest.fixture
def roles() -> Iterator[Roles]:
    made = Roles(uuid.uuid4().hex[:10])
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {made.owner} LOGIN")
        connection.exec_driver_sql(f"CREATE ROLE {made.app} LOGIN")
        connection.exec_driver_sql(f"CREATE DATABASE {made.database} OWNER {made.owner}")
    try:
        yield made
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {made.app}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {made.owner}")
        admin.dispose()


@pytest.fixture
def two_role_portal(app: Flask, roles: Roles, tmp_path: Path) -> Iterator[Flask]:
    """The portal as the app role, its database migrated by `flask db upgrade` as the owner."""

    class TwoRoleConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = roles.app_url
        MIGRATION_DATABASE_URL = roles.owner_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    portal = create_app(TwoRoleConfig)
    with portal.app_context():
        upgrade()
        yield portal
        db.session.remove()
        db.engine.dispose()
    limiter.init_app(app)  # the limiter is one object: back to the suite app's store
    limiter.reset()


def _refused(engine: sa.Engine, statement: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as raised:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    return str(raised.value.orig)


def test_the_app_role_can_add_to_the_audit_trail_and_nothing_more(two_role_portal, roles, make):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_user").scalar() == roles.app
        owner = connection.exec_driver_sql(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'"
        ).scalar()
        assert owner == roles.owner

    # The portal works as the app role: sign in and allocate, each audited.
    manager = PortalClient(two_role_portal)
    manager.sign_in(make.user(Role.MANAGER))
    case_id, provider_id = make.case().id, make.provider().id
    response = manager.post(
        f"/cases/{case_id}/allocations",
        {"work_type": "ep_advice", "provider": str(provider_id), "contract": ""},
    )
    assert response.status_code == 303
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO audit_event (occurred_at, action) VALUES (now(), 'by_hand')"
        )
        actions = connection.exec_driver_sql("SELECT action FROM audit_event").scalars().all()
    assert {"sign_in", "allocation_created", "by_hand"} <= set(actions)

    # Everything else on the audit trail, its trigger and the migration record is refused,
    # by the privileges themselves (not only by the trigger, which the owner could drop).
    for statement in REFUSED:
        message = _refused(db.engine, statement)
        assert "permission denied" in message or "must be owner" in message, (statement, message)
    with db.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM audit_event").scalar()
    assert count == len(actions)

    # A table a later migration adds (as the owner) is the app's to use at once.
    owner_engine = sa.create_engine(roles.owner_url, poolclass=sa.pool.NullPool)
    with owner_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE later_table (id serial PRIMARY KEY, note text)")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO later_table (note) VALUES ('a')")
        connection.exec_driver_sql("UPDATE later_table SET note = 'b'")
        connection.exec_driver_sql("DELETE FROM later_table")
    assert "permission denied" in _refused(db.engine, "TRUNCATE later_table")
    owner_engine.dispose()


def test_grant_app_role_refuses_a_role_that_could_undo_it(two_role_portal, roles):
    runner = two_role_portal.test_cli_runner()
    result: Result = runner.invoke(args=["db", "grant-app-role", roles.owner])
    assert result.exit_code != 0
    assert "owns (or is a member of the owner of)" in result.output
    result = runner.invoke(args=["db", "grant-app-role", "postgres"])
    assert result.exit_code != 0 and "is a superuser" in result.output
    result = runner.invoke(args=["db", "grant-app-role", "nobody_at_all"])
    assert result.exit_code != 0 and "no database role called" in result.output
    result = runner.invoke(args=["db", "grant-app-role", roles.app])
    assert result.exit_code == 0, result.output
    assert f"GRANT SELECT, INSERT ON audit_event TO {roles.app}" in result.output
