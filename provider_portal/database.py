"""Database engine settings that keep writes safe on SQLite as well as PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, has_request_context
from sqlalchemy import event

from provider_portal.extensions import db

# Set by a background job that writes (an import): its transactions begin as a request's do.
_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)


@contextmanager
def immediate_transactions() -> Iterator[None]:
    """SQLite: transactions begun inside this block take the write lock at once (BEGIN
    IMMEDIATE), as a web request's do. A job that reads and then writes needs it: begun
    deferred, its read snapshot goes stale when another connection commits in between, and its
    first write then fails at once instead of waiting its turn."""
    token = _begin_immediate.set(True)
    try:
        yield
    finally:
        _begin_immediate.reset(token)


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
            immediate = has_request_context() or _begin_immediate.get()
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
