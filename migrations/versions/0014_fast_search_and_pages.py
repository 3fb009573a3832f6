"""Fast name and reference search, and deep pages of the allocations list.

On PostgreSQL, trigram (pg_trgm) GIN indexes on the two expressions the case search matches
(cases.services.matching), so a search for part of a name or reference reads the index
instead of every case. SQLite has no trigram index: there the search reads the table as
before. pg_trgm must be installed in the database: the migration creates it if it can (the
role running the migration, MIGRATION_DATABASE_URL, needs CREATE on the database; pg_trgm
is a trusted extension from PostgreSQL 13) and stops with a clear message if it cannot,
rather than leave the search slow without saying so.

On both databases, an index on the allocations list's order (allocated_on, id), so a page
deep in the list finds its ids from the index alone (pagination.paginate); and the partial
index of open cases by request date also holds closed_on, so the board counts its cases from
the index alone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The expressions must stay exactly those cases.services.matching() compares, or PostgreSQL
# will not use the indexes.
TRIGRAM_INDEXES = {
    "ix_case_ref_trgm": "lower(case_ref)",
    "ix_case_child_name_trgm": "lower(first_name || ' ' || last_name)",
}
NO_EXTENSION = (
    "Migration 0014 needs the PostgreSQL extension pg_trgm for the case search indexes, and "
    "the role running the migration could not create it ({error}). Ask the database's "
    "administrator to run CREATE EXTENSION pg_trgm; in this database (or to grant this "
    "role CREATE on it), then run flask db upgrade again."
)


def _create_trigram_extension(connection) -> None:
    installed = connection.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    ).scalar()
    if installed:
        return
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        raise RuntimeError(NO_EXTENSION.format(error=error.orig)) from error


OPEN_CASES = sa.text("final_plan_issued_on IS NULL")


def _open_cases_index(columns: list[str]) -> None:
    op.drop_index("ix_case_open_by_request", table_name="case")
    op.create_index(
        "ix_case_open_by_request",
        "case",
        columns,
        sqlite_where=OPEN_CASES,
        postgresql_where=OPEN_CASES,
    )


def upgrade():
    op.create_index("ix_allocation_allocated_on_id", "allocation", ["allocated_on", "id"])
    _open_cases_index(["request_received_on", "closed_on"])
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    _create_trigram_extension(connection)
    for name, expression in TRIGRAM_INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON "case" USING gin (({expression}) gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
    _open_cases_index(["request_received_on"])
    op.drop_index("ix_allocation_allocated_on_id", table_name="allocation")
