"""Migrations 0019, 0020 and 0021 count the quality checks and the work already recorded,
exactly as the application counts them as it writes (check-summaries finds no difference
after them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestConfig
from provider_portal import create_app
from provider_portal.allocations import summary as work_counts
from provider_portal.extensions import db
from provider_portal.quality import summary as quality_counts
from provider_portal.quality.rubric import SECTION_CODES
from provider_portal.summaries import differences
from tests.helpers import throwaway_database

STAMP = "'2024-08-01 09:00:00+00:00'"


def _allocation(
    n: int, case_id: int, code: str, price: str, status: str = "allocated", **dates: str
) -> str:
    columns = ["allocated_on", "returned_on", "accepted_on", "withdrawn_on", "declined_on"]
    values = [f"'{dates[c]}'" if c in dates else "NULL" for c in columns]
    return (
        "INSERT INTO allocation (id, case_id, provider_id, work_type_id, unit_price, status, "
        f"due_on, amendment_count, created_at, updated_at, version, {', '.join(columns)}) "
        f"VALUES ({n}, {case_id}, {1 + n % 2}, (SELECT id FROM work_type WHERE code = '{code}'), "
        f"{price}, '{status}', '2024-09-01', 0, {STAMP}, {STAMP}, 1, {', '.join(values)})"
    )


@pytest.fixture
def migrated_url(tmp_path: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_path, "portal_migration_summaries")


def test_the_summaries_count_what_was_recorded_before_them(migrated_url, tmp_path) -> None:
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = migrated_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade(revision="0018")
        statements = [
            *(
                f"INSERT INTO provider (id, name, active, created_at) "
                f"VALUES ({n}, 'Provider {n}', true, {STAMP})"
                for n in (1, 2)
            ),
            *(
                'INSERT INTO "case" (id, case_ref, first_name, last_name, date_of_birth, '
                "request_received_on, looked_after, created_at, updated_at, version) VALUES "
                f"({n}, 'EHC{n}', 'Alex', 'Smith', '2016-10-01', '2024-01-01', false, "
                f"{STAMP}, {STAMP}, 1)"
                for n in range(1, 8)
            ),
            # Across the financial year's turn, priced and not, ended each way and not at all,
            # one withdrawn before the day it was allocated, one withdrawn with no date.
            _allocation(1, 1, "ep_advice", "90000", allocated_on="2024-03-28",
                        returned_on="2024-04-20", accepted_on="2024-04-25"),
            _allocation(2, 2, "plan_writing", "NULL", allocated_on="2024-04-02",
                        returned_on="2024-05-01"),
            _allocation(3, 3, "ep_advice", "120050", "withdrawn", allocated_on="2024-04-02",
                        withdrawn_on="2024-04-01"),
            _allocation(4, 4, "ot_advice", "80000", "declined", allocated_on="2024-05-10",
                        declined_on="2024-05-12"),
            _allocation(7, 7, "ot_advice", "NULL", "withdrawn", allocated_on="2024-07-01",
                        returned_on="2024-07-10"),
            _allocation(5, 5, "plan_writing", "180000", allocated_on="2024-06-01"),
            _allocation(6, 6, "plan_writing", "180000", allocated_on="2024-02-01",
                        returned_on="2024-03-01", accepted_on="2024-03-02"),
            "INSERT INTO quality_check (id, allocation_id, checked_on, created_at) "
            f"VALUES (1, 6, '2024-03-02', {STAMP})",
            *(
                "INSERT INTO quality_score (quality_check_id, section, score) "
                f"VALUES (1, '{code}', {n % 3})"
                for n, code in enumerate(SECTION_CODES)
            ),
        ]  # fmt: skip
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
        upgrade()
        assert differences(work_counts.SUMMARY) == []
        assert differences(quality_counts.SUMMARY) == []
        assert differences(work_counts.COHORT) == []
        with db.engine.connect() as connection:
            work_rows = connection.execute(sa.text("SELECT count(*) FROM allocation_day")).scalar()
            cohort_rows = connection.execute(sa.text("SELECT count(*) FROM cohort_day")).scalar()
            score_rows = connection.execute(
                sa.text("SELECT count(*) FROM quality_score_day")
            ).scalar()
        # allocated 7, accepted 2, withdrawn 1, declined 1, ended 6 and settled 4, all on
        # different keys; 12 sections and the check itself; the cohort's allocated 7, left 3
        # (the one with no date on its allocation day), returned 4 and returned-and-left 1.
        assert (work_rows, score_rows, cohort_rows) == (21, len(SECTION_CODES) + 1, 15)
        db.session.remove()
        db.engine.dispose()
