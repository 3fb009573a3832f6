"""Migration 0011 installs the family letters' default wording, and takes it out going down."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from provider_portal.letters import DEFAULT_TEMPLATES
from tests.test_migrations import empty_database_url  # noqa: F401 (a fixture)


def test_the_default_letters_are_installed(empty_database_url: str, tmp_path: Path) -> None:  # noqa: F811
    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade()
        query = sa.text("SELECT kind, title, body, version FROM letter_template ORDER BY id")
        with db.engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(query)]
        assert rows == [(kind, title, body, 1) for kind, (title, body) in DEFAULT_TEMPLATES.items()]
        downgrade(revision="0010")
        with db.engine.connect() as connection:
            assert "letter_template" not in sa.inspect(connection).get_table_names()
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM letter_template")).scalar() == 2
        db.session.remove()
        db.engine.dispose()
