"""The migrations build exactly the models' schema, seed the work types, and go down cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from provider_portal.models.cases import MIGRATION_ONLY_INDEXES
from provider_portal.quality.reasons import DEFAULT_REASONS
from tests.helpers import throwaway_database


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """As migrations/env.py: the trigram indexes only migration 0014 makes are compared apart
    (test_search_index.py)."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_path, "portal_migrations")


SEED_0001 = [
    "INSERT INTO provider (id, name, active, created_at) VALUES (1, 'Northbrook', true, "
    "'2024-08-01 09:00:00+00:00')",
    'INSERT INTO "case" (id, case_ref, first_name, last_name, date_of_birth, '
    "request_received_on, looked_after, timescale_exception, created_at, updated_at, version) "
    "VALUES (1, 'EHC1', 'Alex', 'Smith', '2016-10-01', '2024-03-01', false, 'school_holiday', "
    "'2024-08-01 09:00:00+00:00', '2024-08-01 09:00:00+00:00', 1)",
    'INSERT INTO "case" (id, case_ref, first_name, last_name, date_of_birth, '
    "request_received_on, looked_after, created_at, updated_at, version) "
    "VALUES (2, 'EHC2', 'Sam', 'Jones', '2016-03-01', '2024-03-01', false, "
    "'2024-08-01 09:00:00+00:00', '2024-08-01 09:00:00+00:00', 1)",
    "INSERT INTO allocation (id, case_id, provider_id, work_type_id, status, allocated_on, "
    "due_on, amendment_count, created_at, updated_at, version) VALUES (1, 1, 1, 1, "
    "'allocated', '2024-08-01', '2024-09-12', 0, '2024-08-01 09:00:00+00:00', "
    "'2024-08-01 09:00:00+00:00', 1)",
]


def test_migrations_round_trip_on_seeded_data(empty_database_url, tmp_path):
    """upgrade → (schema equals the models) → downgrade base → upgrade, with rows in place."""

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            for statement in SEED_0001:
                connection.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(
                    connection,
                    opts={"compare_type": True, "include_object": include_object},
                ),
                db.metadata,
            )
            assert diff == []
            codes = connection.execute(sa.text("SELECT code FROM work_type ORDER BY code"))
            assert [row[0] for row in codes] == [
                "ep_advice",
                "health_advice",
                "ot_advice",
                "plan_writing",
                "salt_advice",
                "social_care_advice",
            ]
            # The send-back reasons the migration seeds are the ones the portal calls its
            # defaults (a migration keeps its own copy, never importing code that may change).
            reasons = connection.execute(
                sa.text(
                    "SELECT code, label, applies_to FROM sendback_reason ORDER BY display_order"
                )
            ).all()
            assert [tuple(row) for row in reasons] == list(DEFAULT_REASONS)
            ledger = connection.execute(
                sa.text("SELECT case_id, applies_to, reason FROM case_exception")
            ).all()
            assert [tuple(row) for row in ledger] == [(1, "final_plan", "school_holiday")]
            years = connection.execute(
                sa.text('SELECT case_ref, reception_year FROM "case" ORDER BY case_ref')
            ).all()
            assert [tuple(row) for row in years] == [("EHC1", 2021), ("EHC2", 2020)]
        # The audit trail is append-only in the database itself.
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (occurred_at, action) "
                    "VALUES ('2024-08-01 09:00:00+00:00', 'sign_in')"
                )
            )
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with db.engine.begin() as connection:
                    connection.execute(sa.text(statement))
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with db.engine.begin() as connection:
                    connection.execute(sa.text("TRUNCATE audit_event"))
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 1
        downgrade(revision="0001")
        with db.engine.connect() as connection:
            flag = connection.execute(
                sa.text('SELECT timescale_exception FROM "case" WHERE id = 1')
            ).scalar()
            assert flag == "school_holiday"
            assert connection.execute(sa.text("SELECT count(*) FROM allocation")).scalar() == 1
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() in ([], ["alembic_version"])
        upgrade()
        with db.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM work_type")).scalar()
            assert count == 6
        db.session.remove()
        db.engine.dispose()
