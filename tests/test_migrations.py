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
from tests.helpers import throwaway_database


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_path, "portal_migrations")


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(empty_database_url, tmp_path):
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
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
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() in ([], ["alembic_version"])
        upgrade()
        with db.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM work_type")).scalar()
            assert count == 6
        db.session.remove()
        db.engine.dispose()
