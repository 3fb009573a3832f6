"""Database engine settings that keep writes safe on SQLite as well as PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from provider_portal.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

# Set by a background job that writes (an import): its transactions begin as a request's do.
_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=False)
# Set for the length of a web request that only reads (GET, HEAD): see read_request().
_read_request: ContextVar[bool] = ContextVar("read_request", default=False)

# The methods that never change anything: their requests read a snapshot and write only
# their audit rows, afterwards, in a transaction of their own (audit.write_pending).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteInReadRequest(RuntimeError):
    """A GET or HEAD request tried to change a row in its read transaction."""


# How much of a SQLite database file is read through memory mapping (PRAGMA mmap_size).
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def in_memory(url: URL) -> bool:
    """A SQLite database held in memory (no file named): each connection has its own."""
    return url.database in (None, "", ":memory:")


def start_request(method: str) -> Token[bool]:
    """At the start of a web request: mark it as one that only reads, or not, by its method."""
    return _read_request.set(method.upper() in READ_METHODS)


def end_request(token: Token[bool]) -> None:
    """At the end of a web request: forget what start_request() marked."""
    _read_request.reset(token)


def read_request() -> bool:
    """Whether the code runs in a web request that only reads and outside a write block.

    Such a request's transactions begin deferred (plain BEGIN): on SQLite in WAL mode it reads
    a snapshot and neither waits for a writer nor holds one up. It may not write in that
    transaction: a deferred transaction that has read and then writes fails at once
    (SQLITE_BUSY) if another connection committed in between, whatever the busy timeout.
    Its audit rows are kept aside and written after the response is built, in a short
    transaction of their own (audit.write_pending).
    """
    return _read_request.get() and not _begin_immediate.get()


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


def writes_when_read(view: F) -> F:
    """For a route whose GET must change something (a two-factor set-up page issues the
    secret it shows): the request's read transaction ends, and the view runs in transactions
    that take the write lock at once, as a POST's do, so it reads what it changes afresh."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        db.session.rollback()
        db.session().expire_on_commit = True  # as a POST's: see web.read_requests_read_only
        with immediate_transactions():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def configure_database(app: Flask) -> None:
    """SQLite: foreign keys, WAL, a busy timeout, and transactions SQLAlchemy controls.

    pysqlite's own transaction handling breaks SAVEPOINTs and lets two requests read the
    same snapshot and then race to write; so the driver's handling is switched off and each
    web request that may write (POST and the rest) begins with BEGIN IMMEDIATE: requests that
    write queue behind each other (waiting up to the busy timeout) and always read what the
    previous one committed. A request that only reads (GET, HEAD) begins a deferred
    transaction instead, so it never waits for a writer or for another reader
    (read_request()); on every database, such a request may not write in it.
    """
    with app.app_context():
        engine = db.engine
        if not event.contains(Session, "before_flush", _refuse_writes_in_read_request):
            event.listen(Session, "before_flush", _refuse_writes_in_read_request)
        if engine.dialect.name != "sqlite":
            return

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if not in_memory(engine.url):
                cursor.execute("PRAGMA journal_mode=WAL")
                # Read the file through memory mapping, not a read() call per page: the reports
                # that read every allocation run about a quarter faster at 100,000 cases.
                # SQLite maps for reading only; writes still go through its journal.
                cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def sqlite_begin(connection: Any) -> None:
            immediate = _begin_immediate.get() or (has_request_context() and not read_request())
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _refuse_writes_in_read_request(session: Session, _context: Any, _instances: Any) -> None:
    """A GET that changed a row would, on SQLite, fail at random under load (see
    read_request()); refuse it on every database, so a test finds it."""
    if read_request() and (session.new or session.dirty or session.deleted):
        raise WriteInReadRequest(
            "A request that only reads changed the database: record an audit row with "
            "audit.record(), or make the change in a POST"
        )
