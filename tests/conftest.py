"""Fixtures: the app on the database chosen by DATABASE_URL, a clean database per test,
signed-in clients per role, and small factories."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import freezegun
import pytest
from flask import Flask
from sqlalchemy import event

from config import Config, TestConfig
from provider_portal import create_app
from provider_portal.extensions import db, limiter
from provider_portal.models import DEFAULT_WORK_TYPES, WorkType, WorkTypePaperKind
from provider_portal.quality.reasons import ensure_default_reasons
from provider_portal.reports.pack.cache import forget_packs
from tests.helpers import PortalClient, throwaway_database

# The kinds of paper migration 0011 gave every work type by default.
DEFAULT_PAPER_KINDS = ("request_for_assessment", "parental_views", "consent_to_share")

pytest_plugins = [
    "tests.factories",
    "tests.mail_server",
    "tests.clamd",
    "tests.job_runners",
    "tests.object_store",
    "pytester",
]

# pytest times every setup, call and teardown with the clock functions in _pytest.timing.
# A freeze_time that starts in a fixture patches those too (freezegun's own ignore entry,
# "_pytest.runner.", matches nothing), so --durations printed the frozen date as seconds
# (1.7e9 s). Leaving that one module alone keeps pytest's clock real and every frozen test
# frozen. It must be set before the test modules are imported: freeze_time() copies the
# list when it is called, and @freeze_time is called at import.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="portal-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(tmp_root: Path) -> Iterator[str]:
    yield from throwaway_database(tmp_root, "portal_test")


def _commit_without_fsync(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """A test database need not survive a power cut: an fsync on each of some 12,000 commits
    a run costs 0.7 ms here, more on a busy machine."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_root: Path) -> Iterator[Flask]:
    class SuiteConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_FOLDER = str(tmp_root / "uploads")
        MAX_UPLOAD_MB = 1
        MAX_CONTENT_LENGTH = 1024 * 1024 + 64 * 1024

    application = create_app(SuiteConfig)
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _commit_without_fsync)
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_database() -> None:
    db.session.rollback()
    # Each test starts from an empty database in the same process, which a server never
    # sees: packs kept from the last test's data must not meet the next test's.
    forget_packs()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    for code, name, days in DEFAULT_WORK_TYPES:
        work_type = WorkType(code=code, name=name, turnaround_days=days)
        db.session.add(work_type)
        db.session.flush()
        # As migration 0011 gave every work type: the papers each takes by default.
        for kind in DEFAULT_PAPER_KINDS:
            db.session.add(WorkTypePaperKind(work_type_id=work_type.id, kind=kind))
    ensure_default_reasons()  # as migration 0015 seeds them
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_state(app: Flask) -> Iterator[None]:
    """Every test starts with an empty database (plus the default work types) and no files."""
    with app.app_context():
        _empty_database()
        upload = Path(app.config["UPLOAD_FOLDER"])
        shutil.rmtree(upload, ignore_errors=True)
        upload.mkdir(parents=True, exist_ok=True)
        yield
        db.session.remove()


@pytest.fixture
def other_portal(app: Flask) -> Iterator[Callable[..., Flask]]:
    """other_portal(RATELIMIT_STORAGE_URI=..., base=TestConfig): another app on the suite's
    database and upload folder, with some settings changed.

    Flask-Limiter's limiter is one object for every app, and each new app points it at that
    app's store; afterwards it is pointed back at the suite app's store.
    """
    made: list[Flask] = []

    def build(base: type[Config] = TestConfig, **settings: Any) -> Flask:
        values = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
            **settings,
        }
        config = type("OtherConfig", (base,), values)
        # Flask-Limiter keeps the first RATELIMIT_KEY_PREFIX it is given: forget it, so each
        # portal counts under its own.
        limiter._key_prefix = ""
        portal = create_app(config)
        made.append(portal)
        return portal

    yield build
    for portal in made:
        with portal.app_context():
            db.engine.dispose()
    # A store that was down must not leave the suite app's limiter on its memory fallback.
    limiter._storage_dead = False
    limiter._key_prefix = ""
    limiter.init_app(app)
    limiter.reset()


@pytest.fixture
def client(app: Flask) -> PortalClient:
    return PortalClient(app)


@pytest.fixture
def count_queries(app: Flask) -> Iterator[list[str]]:
    """A list that collects every SQL statement run while it is in use, but the BEGIN that
    starts a transaction on SQLite (PostgreSQL's driver sends its own, unseen)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    yield statements
    event.remove(db.engine, "before_cursor_execute", before)


# Settings ProductionConfig insists on; a test that starts the portal as production uses these.
PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "k" * 40,
    "TOTP_ENCRYPTION_KEY": "t1vD1HgPpiwH8TtS_BXpu0ARbqJ8Bm5-hJX6c3NdEuM=",
    "PORTAL_URL": "https://portal.council.example",
    "COUNCIL_CONTACT": "the SEND assessment team on 01632 960000",
}


@pytest.fixture
def production_environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment variables production needs to start, set for this test."""
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return dict(PRODUCTION_ENVIRONMENT)
