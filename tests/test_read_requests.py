"""Requests that only read (GET, HEAD) never wait for a long report or for a writer; their
audit rows are written after the page is built, in a short transaction of their own, and a
page whose audit row cannot be written is not sent.

These run on a file database (SQLite in WAL mode, or PostgreSQL), against a second portal
with two routes of its own: one that reads for as long as it is told, holding its
transaction open, as the all-providers pack does.
"""

from __future__ import annotations

import contextvars
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy import event, func, select, text

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Case, Role
from provider_portal.permissions import requires
from tests.factories import Factory
from tests.helpers import PortalClient

SLOW_SECONDS = 2.0
# A page that waited for the slow report would take about SLOW_SECONDS longer.
ALLOWED_DELAY = 0.2


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _with_slow_read(portal: Flask, started: threading.Event) -> Flask:
    """The portal with /test-read?seconds=N: one query on a table, taking N seconds."""
    with portal.app_context():
        if db.engine.dialect.name == "sqlite":

            @event.listens_for(db.engine, "connect")
            def add_sleep(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
                dbapi_connection.create_function("portal_sleep", 1, _sleep)

            statement = text("SELECT portal_sleep(:seconds) FROM work_type LIMIT 1")
        else:
            statement = text("SELECT pg_sleep(:seconds) FROM work_type LIMIT 1")
        db.engine.dispose()

    @requires("public")
    def test_read() -> str:
        started.set()
        db.session.execute(statement, {"seconds": float(request.args["seconds"])})
        db.session.commit()
        return "read"

    portal.add_url_rule("/test-read", "test_read", test_read)
    return portal


def _get(portal: Flask, url: str) -> float:
    """GET the url as a separate visitor would; the seconds it took."""
    began = time.perf_counter()
    response = contextvars.Context().run(portal.test_client().get, url)
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - began


def _timed(get: Callable[[], object]) -> float:
    began = time.perf_counter()
    get()
    return time.perf_counter() - began


@contextmanager
def _writer_holding_the_lock(app: Flask, seconds: float) -> Iterator[threading.Thread]:
    """Another connection holds the write lock (SQLite) or a lock that keeps anyone else
    from adding audit rows (PostgreSQL) for `seconds`, or until the block ends if sooner,
    then commits."""
    holding = threading.Event()
    release = threading.Event()
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def hold() -> None:
        if url.startswith("sqlite"):
            connection = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            holding.set()
            release.wait(seconds)
            connection.execute("COMMIT")
            connection.close()
            return
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.execute(text("LOCK TABLE audit_event IN EXCLUSIVE MODE"))
            holding.set()
            release.wait(seconds)
        engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    try:
        yield thread
    finally:
        release.set()
        thread.join(30)


def _viewed(case_id: int) -> int:
    db.session.rollback()  # a fresh snapshot: what the requests committed
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "case_viewed", AuditEvent.case_id == case_id)
    )


@pytest.fixture
def slow_portal(other_portal: Callable[..., Flask]) -> tuple[Flask, threading.Event]:
    started = threading.Event()
    return _with_slow_read(other_portal(), started), started


def _manager_on(portal: Flask, make: Factory) -> PortalClient:
    client = PortalClient(portal)
    client.sign_in(make.user(Role.MANAGER))
    return client


def test_a_page_does_not_wait_for_a_long_report_on_another_connection(
    slow_portal: tuple[Flask, threading.Event], make: Factory
) -> None:
    portal, started = slow_portal
    manager = _manager_on(portal, make)
    case = make.case()
    page = f"/cases/{case.id}"
    alone = statistics.median(_timed(lambda: manager.page(page)) for _ in range(3))

    report = threading.Thread(target=_get, args=(portal, f"/test-read?seconds={SLOW_SECONDS}"))
    report.start()
    assert started.wait(10)
    time.sleep(0.2)  # well inside the report's query
    during = _timed(lambda: manager.page(page))
    still_running = report.is_alive()
    report.join(30)

    assert still_running, "the report finished before the page was asked for"
    assert during - alone < ALLOWED_DELAY, (alone, during)
    assert _viewed(case.id) == 4  # every view audited, the one during the report too


def test_a_read_does_not_wait_for_a_writer(
    slow_portal: tuple[Flask, threading.Event], make: Factory
) -> None:
    portal, _started = slow_portal
    alone = statistics.median(_get(portal, "/test-read?seconds=0") for _ in range(3))
    with _writer_holding_the_lock(portal, SLOW_SECONDS) as writer:
        during = _get(portal, "/test-read?seconds=0")
        still_writing = writer.is_alive()
    assert still_writing
    assert during - alone < ALLOWED_DELAY, (alone, during)


def test_a_page_whose_audit_row_waits_for_a_writer_still_records_it(
    app: Flask, client_for: Callable[..., PortalClient], make: Factory
) -> None:
    manager = client_for(Role.MANAGER)
    case = make.case()
    with _writer_holding_the_lock(app, 1.0) as writer:
        soup = manager.page(f"/cases/{case.id}")
        assert not writer.is_alive(), "the page was sent before its audit row could be written"
    assert case.last_name in soup.get_text()
    assert _viewed(case.id) == 1


def test_a_page_whose_audit_row_cannot_be_written_is_not_sent(
    other_portal: Callable[..., Flask], make: Factory
) -> None:
    portal = other_portal(PROPAGATE_EXCEPTIONS=False)  # answered as in real use
    with portal.app_context():
        sqlite = db.engine.dialect.name == "sqlite"

        @event.listens_for(db.engine, "connect")
        def short_waits(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            if sqlite:
                cursor.execute("PRAGMA busy_timeout=200")
            else:
                cursor.execute("SET lock_timeout = '200ms'")
            cursor.close()
            if not sqlite:
                dbapi_connection.commit()

        db.engine.dispose()
    manager = _manager_on(portal, make)
    case = make.case(last_name="Unseenchild")

    # Held for as long as the page takes, however slow the machine: the audit row cannot be
    # written within its 200 ms.
    with _writer_holding_the_lock(portal, 60):
        response = manager.get(f"/cases/{case.id}")

    assert response.status_code == 503  # the database is busy: try again
    assert "Unseenchild" not in response.get_data(as_text=True)
    assert _viewed(case.id) == 0


def test_a_request_that_only_reads_may_not_change_a_row(
    other_portal: Callable[..., Flask], make: Factory
) -> None:
    portal = other_portal(PROPAGATE_EXCEPTIONS=False)  # answered as in real use
    case_id = make.case(last_name="Before").id

    @requires("public")
    def rename() -> str:
        case = db.session.get(Case, case_id)
        assert case is not None
        case.last_name = "After"
        db.session.commit()
        return "renamed"

    portal.add_url_rule("/test-rename", "test_rename", rename, methods=["GET", "POST"])
    portal.config["WTF_CSRF_ENABLED"] = False

    assert PortalClient(portal).get("/test-rename").status_code == 500
    db.session.rollback()
    assert db.session.get(Case, case_id).last_name == "Before"  # type: ignore[union-attr]

    assert PortalClient(portal).http.post("/test-rename").status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case_id).last_name == "After"  # type: ignore[union-attr]


def test_a_read_requests_commits_leave_what_it_loaded_as_loaded(
    other_portal: Callable[..., Flask], make: Factory
) -> None:
    """A request that only reads cannot have changed what it loaded, so ending its read
    transaction does not expire it (no reload, no refresh query); a POST's commit does, and
    whichever ran last, the next request's session starts expiring again."""
    portal = other_portal()
    case_id = make.case(last_name="Loaded").id
    seen: dict[str, object] = {}

    @requires("public")
    def commit_then_look() -> str:
        case = db.session.get(Case, case_id)
        assert case is not None
        db.session.commit()
        seen[request.method] = "last_name" in sa.inspect(case).unloaded
        return "looked"

    portal.add_url_rule("/test-look", "test_look", commit_then_look, methods=["GET", "POST"])
    portal.config["WTF_CSRF_ENABLED"] = False
    assert PortalClient(portal).get("/test-look").status_code == 200
    assert PortalClient(portal).http.post("/test-look").status_code == 200
    assert seen == {"GET": False, "POST": True}
    with portal.app_context():
        assert db.session().expire_on_commit is True
