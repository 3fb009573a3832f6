"""Database engine settings that keep writes safe on SQLite as well as PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context
from sqlalchemy import event

from provider_portal.extensions import db


def configure_database(app: Flask) -> None:
    """SQLite: foreign keys, WAL, a busy timeout, and transactions SQLAlchemy controls.

    pysqlite's own transaction handling breaks SAVEPOINTs and lets two requests read the
    same snapshot and then race to write; so the driver's handling is switched off and each
    web request begins with BEGIN IMMEDIATE: requests that write queue behind each other
    (waiting up to the busy timeout) and always read what the previous one committed.
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if has_request_context() else "BEGIN")
