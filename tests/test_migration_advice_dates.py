"""Migration 0010 gives advice already recorded its statutory due date, moved by the advice
exceptions already in its case's ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from freezegun import freeze_time

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from tests.helpers import throwaway_database

STAMP = "'2024-08-01 09:00:00+00:00'"
BEFORE_0010 = [
    f"INSERT INTO provider (id, name, active, created_at) VALUES (1, 'Northbrook', true, {STAMP})",
    'INSERT INTO "case" (id, case_ref, first_name, last_name, date_of_birth, '
    "request_received_on, looked_after, created_at, updated_at, version) "
    f"VALUES (1, 'EHC1', 'Alex', 'Smith', '2016-10-01', '2024-03-01', false, {STAMP}, {STAMP}, 1)",
]


def _allocation(allocation_id: int, code: str, allocated_on: str, returned_on: str) -> str:
    return (
        "INSERT INTO allocation (id, case_id, provider_id, work_type_id, status, allocated_on, "
        "due_on, returned_on, amendment_count, created_at, updated_at, version) VALUES "
        f"({allocation_id}, 1, 1, (SELECT id FROM work_type WHERE code = '{code}'), 'allocated', "
        f"'{allocated_on}', '{allocated_on}', {returned_on}, 0, {STAMP}, {STAMP}, 1)"
    )


def _exception(allocation_id: int, starts_on: str, ends_on: str) -> str:
    return (
        "INSERT INTO case_exception (case_id, applies_to, allocation_id, reason, starts_on, "
        f"ends_on, recorded_at) VALUES (1, 'advice', {allocation_id}, 'missed_appointment', "
        f"'{starts_on}', {ends_on}, {STAMP})"
    )


@pytest.fixture
def migrated_url(tmp_path: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_path, "portal_migration_advice")


@freeze_time("2024-09-20 12:00:00")
def test_advice_with_exceptions_has_its_statutory_date_moved(migrated_url, tmp_path) -> None:
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = migrated_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade(revision="0009")
        statements = [
            *BEFORE_0010,
            # 1: two overlapping periods, 5 to 12 August: 8 days.
            _allocation(1, "ep_advice", "2024-08-01", "NULL"),
            _exception(1, "2024-08-05", "'2024-08-09'"),
            _exception(1, "2024-08-08", "'2024-08-12'"),
            # 2: no exception: 6 weeks.
            _allocation(2, "ot_advice", "2024-08-01", "NULL"),
            # 3: open-ended from 10 August, back on the 19th: 10 days.
            _allocation(3, "salt_advice", "2024-08-01", "'2024-08-19'"),
            _exception(3, "2024-08-10", "NULL"),
            # 4: open-ended from 15 September and still out on the day of the migration: 6 days.
            _allocation(4, "health_advice", "2024-08-10", "NULL"),
            _exception(4, "2024-09-15", "NULL"),
            # 5: not advice: no statutory date of its own.
            _allocation(5, "plan_writing", "2024-08-01", "NULL"),
        ]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, statutory_due_on FROM allocation ORDER BY id")
            ).all()
        found = {
            allocation_id: None if due is None else date.fromisoformat(str(due)[:10])
            for allocation_id, due in rows
        }
        assert found == {
            1: date(2024, 9, 20),
            2: date(2024, 9, 12),
            3: date(2024, 9, 22),
            4: date(2024, 9, 27),
            5: None,
        }
        db.session.remove()
        db.engine.dispose()
