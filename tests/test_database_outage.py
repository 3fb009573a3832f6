"""PostgreSQL restarted or down while a manager is allocating (security.md, Reliability R2).

The portal runs against a PostgreSQL cluster this test makes with initdb and restarts itself
(tests/servers.py), never the shared server the rest of the suite uses. A request while the
database is down gets the GOV.UK 503 page with a reference (the htmx branch too), the pool
recovers by itself once the server is back (pool_pre_ping, no restart of the portal), and
every allocation the manager saw acknowledged is there exactly once, with its audit row.
"""

from __future__ import annotations

import contextvars
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import event, func, select

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db, limiter
from provider_portal.models import DEFAULT_WORK_TYPES, Allocation, AuditEvent, Role, WorkType
from tests.helpers import PortalClient
from tests.servers import OwnPostgres, own_postgres

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="runs once, in the PostgreSQL run of the suite (it starts its own PostgreSQL)",
)


@pytest.fixture
def outage(app: Flask, tmp_path: Path) -> Iterator[tuple[OwnPostgres, Flask]]:
    """The portal on its own PostgreSQL, with the tables and work types made; its app context
    is the current one for the test."""
    with own_postgres() as server:

        class OutageConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = server.url
            UPLOAD_FOLDER = str(tmp_path / "uploads")

        portal = create_app(OutageConfig)
        with portal.app_context():
            db.create_all()
            for code, name, days in DEFAULT_WORK_TYPES:
                db.session.add(WorkType(code=code, name=name, turnaround_days=days))
            db.session.commit()
            yield server, portal
            db.session.remove()
            db.engine.dispose()
    # The limiter is one object for every app: point it back at the suite app's store.
    limiter.init_app(app)
    limiter.reset()


def _allocate(manager: PortalClient, case_id: int, provider_id: int, htmx: bool = False) -> Any:
    return manager.post(
        f"/cases/{case_id}/allocations",
        {"work_type": "ep_advice", "provider": str(provider_id), "contract": ""},
        htmx=htmx,
    )


def _assert_unavailable_page(response: Any, htmx: bool = False) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    text = response.get_data(as_text=True)
    soup = BeautifulSoup(text, "html.parser")
    assert soup.h1 is not None
    assert soup.h1.get_text(strip=True) == "The service is not available at the moment"
    assert "quote reference" in text
    assert "Traceback" not in text and "psycopg" not in text and "OperationalError" not in text
    assert response.headers["Retry-After"] == "30"
    if htmx:
        assert soup.find("html") is None  # a fragment, swapped into the main area
        assert response.headers["HX-Retarget"] == "#main-content"
    else:
        assert soup.title is not None
        assert soup.title.get_text().startswith("The service is not available at the moment")


def test_allocating_through_a_restart_and_an_outage(outage, make):
    server, portal = outage
    manager_user = make.user(Role.MANAGER)
    provider_id = make.provider().id
    case_ids = [make.case().id for _ in range(3)]
    manager = PortalClient(portal)
    manager.sign_in(manager_user)
    acknowledged: list[int] = []

    def allocated(response: Any, case_id: int) -> None:
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        acknowledged.append(case_id)

    allocated(_allocate(manager, case_ids[0], provider_id), case_ids[0])

    # 1. Restarted while nobody was using it: the pooled connection is dead, and the next
    #    request must not find out the hard way (pool_pre_ping tests it at checkout).
    db.session.remove()
    server.restart()
    allocated(_allocate(manager, case_ids[1], provider_id), case_ids[1])

    # 2. Restarted in the middle of an allocation (just before its INSERT): that request
    #    gets the 503 page and leaves nothing behind.
    def restart_mid_request(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO allocation"):
            server.restart()

    event.listen(db.engine, "before_cursor_execute", restart_mid_request)
    try:
        _assert_unavailable_page(_allocate(manager, case_ids[2], provider_id))
    finally:
        event.remove(db.engine, "before_cursor_execute", restart_mid_request)

    # 3. Down: pages and htmx requests get the 503 page, not a traceback.
    db.session.remove()
    server.stop()
    _assert_unavailable_page(manager.get(f"/cases/{case_ids[2]}"))
    _assert_unavailable_page(_allocate(manager, case_ids[2], provider_id, htmx=True), htmx=True)
    _assert_unavailable_page(manager.get("/sign-in"))

    # 4. Back: the same portal object carries on, and the manager is still signed in.
    server.start()
    allocated(_allocate(manager, case_ids[2], provider_id), case_ids[2])
    assert manager.get(f"/cases/{case_ids[2]}").status_code == 200

    # Every acknowledged allocation is there once, with its audit row; nothing else is.
    rows = db.session.execute(select(Allocation.case_id).order_by(Allocation.case_id)).all()
    assert [row.case_id for row in rows] == sorted(acknowledged) == case_ids
    audited = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "allocation_created")
    )
    assert audited == len(acknowledged)


def test_an_unreachable_database_answers_503_after_the_connect_timeout(app, tmp_path):
    """A server that never answers (a host gone from the network, say), rather than one that
    refuses: the request gives up after DATABASE_CONNECT_TIMEOUT, with the 503 page."""
    answers: list[Any] = []
    # The kernel completes connections to a listening socket; nobody ever reads from them.
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:

        class SilentConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = (
                f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"
            )
            DATABASE_CONNECT_TIMEOUT = 2
            UPLOAD_FOLDER = str(tmp_path / "uploads")

        portal = create_app(SilentConfig)
        visitor = PortalClient(portal)
        visitor.token()  # the sign-in page itself needs no database

        def sign_in() -> None:
            with portal.app_context():
                answers.append(visitor.post("/sign-in", {"email": "a@b.test", "password": "x"}))

        started = time.monotonic()
        thread = threading.Thread(target=contextvars.Context().run, args=(sign_in,))
        thread.start()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the request hung on a database that never answers"
    assert time.monotonic() - started < 10
    _assert_unavailable_page(answers[0])
    limiter.init_app(app)
    limiter.reset()
