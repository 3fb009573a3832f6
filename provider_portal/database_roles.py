"""Two database roles on PostgreSQL: one owns the tables, the portal connects as the other.

The owner (MIGRATION_DATABASE_URL) runs `flask db upgrade` and so owns every table, trigger
and sequence. The portal itself (DATABASE_URL) connects as a role that owns nothing: it may
read and write the working tables, only read and add to the audit trail, and only read which
migration the database is at. Not owning audit_event, it cannot disable or drop the trigger
that refuses changes to it; without UPDATE, DELETE or TRUNCATE on it, the database refuses
those before the trigger is even asked. A stolen application connection cannot rewrite
history.

`grant_app_role` sets all that up and can be run any number of times: `flask db upgrade`
runs it after migrating whenever the two URLs name different roles, and
`flask db grant-app-role ROLE` runs it by hand. Default privileges give the role the same
read and write access to tables a later migration creates, so a deployment whose grant step
was forgotten still works; the next upgrade narrows any new append-only table again.
SQLite has one user: there the triggers alone keep the audit trail append-only.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from provider_portal.errors import DatabaseRoleError
from provider_portal.settings import setting

# Tables the portal may only read and add to.
APPEND_ONLY_TABLES = ("audit_event",)
# Tables the portal may only read: which migration the database is at.
READ_ONLY_TABLES = ("alembic_version",)
WORKING_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def _statements(role: str, tables: set[str]) -> list[str]:
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT {WORKING_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # For what the owner creates from now on (the next migrations' tables).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {WORKING_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {role}",
    ]
    for table in APPEND_ONLY_TABLES:
        if table in tables:
            statements += [
                f"REVOKE ALL ON {table} FROM {role}",
                f"GRANT SELECT, INSERT ON {table} TO {role}",
            ]
    for table in READ_ONLY_TABLES:
        if table in tables:
            statements += [
                f"REVOKE ALL ON {table} FROM {role}",
                f"GRANT SELECT ON {table} TO {role}",
            ]
    return statements


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Give the application's role exactly what it needs on every table, as the tables' owner;
    returns the statements run. The caller commits (a migration run commits with its own)."""
    if connection.dialect.name != "postgresql":
        raise DatabaseRoleError("Separate database roles are for PostgreSQL only")
    found = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).one_or_none()
    if found is None:
        raise DatabaseRoleError(f"There is no database role called {role}")
    if found.rolsuper:
        raise DatabaseRoleError(
            f"{role} is a superuser: it could change the audit trail whatever it is granted"
        )
    owned = list(
        connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND pg_has_role(:role, tableowner, 'MEMBER')"
            ),
            {"role": role},
        ).scalars()
    )
    if owned:
        raise DatabaseRoleError(
            f"{role} owns (or is a member of the owner of) {', '.join(sorted(owned))}: "
            "connect the portal as a role that owns nothing"
        )
    tables = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
    )
    quoted = connection.dialect.identifier_preparer.quote(role)
    statements = _statements(quoted, tables)
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements


def owner_url() -> str:
    """The URL of the role that owns the tables: MIGRATION_DATABASE_URL, or the portal's own
    DATABASE_URL where one role does everything (SQLite, development)."""
    return str(setting("MIGRATION_DATABASE_URL") or setting("SQLALCHEMY_DATABASE_URI"))


@click.command("grant-app-role")
@click.argument("role")
@with_appcontext
def grant_app_role_command(role: str) -> None:
    """Give ROLE, the portal's own database role, its privileges (as the tables' owner)."""
    engine = create_engine(owner_url(), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            statements = grant_app_role(connection, role)
    except DatabaseRoleError as error:
        raise click.ClickException(error.message) from error
    finally:
        engine.dispose()
    for statement in statements:
        click.echo(statement)
