"""Migration 0014: PostgreSQL answers the case search from its trigram indexes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestConfig
from provider_portal import create_app
from provider_portal.cases.services import matching
from provider_portal.extensions import db
from provider_portal.models import Case
from provider_portal.models.cases import MIGRATION_ONLY_INDEXES
from tests.helpers import query_plan, throwaway_database


@pytest.fixture
def migrated_url(tmp_path: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_path, "portal_search_index")


def test_the_search_uses_the_trigram_indexes_on_postgresql(migrated_url, tmp_path):
    """With the table scan ruled out, the plan for the search reads both trigram indexes:
    the expressions matching() compares are exactly those the migration indexed."""
    if not migrated_url.startswith("postgresql"):
        pytest.skip("trigram indexes are PostgreSQL's; SQLite reads the table")

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = migrated_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade()
        query = matching(sa.select(Case.id), "Smi_th%")
        with db.engine.begin() as connection:
            indexes = connection.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'case'")
            ).scalars()
            assert MIGRATION_ONLY_INDEXES <= set(indexes)
            plan = query_plan(connection, query)
        assert "ix_case_ref_trgm" in plan
        assert "ix_case_child_name_trgm" in plan
        db.session.remove()
        db.engine.dispose()
