"""Database engine settings that keep writes safe on SQLite as well as PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from provider_portal.extensions import db


def configure_database(app: Flask) -> None:
    """SQLite: foreign keys on, WAL and a busy timeout so concurrent writers wait, not fail."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
