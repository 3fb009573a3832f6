"""Report parts read at once (reports.together): on PostgreSQL each lane is a connection of its
own reading the request's snapshot; on SQLite each reads its own, used only when no change was
committed between them and the caller's; after a write, they run one by one."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import func, insert, select

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from provider_portal.models import Provider
from provider_portal.reports.pack.figures import build_pack
from provider_portal.reports.scope import EVERYTHING, Scope
from provider_portal.reports.together import together


def _providers() -> int:
    return db.session.scalar(select(func.count()).select_from(Provider)) or 0


def _lane() -> tuple[str, int]:
    return threading.current_thread().name, _providers()


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _add_provider(name: str) -> None:
    """Committed on another connection (counted as a change, as the application's are)."""
    with db.engine.begin() as other:
        other.execute(
            insert(Provider.__table__).values(
                name=name, active=True, created_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )


def test_every_lane_reads_the_snapshot_of_the_callers_transaction(make):
    make.provider("Before")
    db.session.commit()
    seen_by_caller = _providers()  # the caller's transaction has begun, and read

    added: list[bool] = []

    def add_then_count() -> tuple[str, int]:
        if not added:  # once: on SQLite the parts may be read again (see below)
            _add_provider("During")  # while the lanes run: after the snapshot
            added.append(True)
        return _lane()

    results = together(add_then_count, _lane, _lane)
    counts = [count for _name, count in results]
    assert counts == [seen_by_caller] * 3
    if _on_postgresql():
        assert all(name.startswith("report-lane") for name, _count in results)
    db.session.rollback()
    assert _providers() == seen_by_caller + 1


def test_a_change_committed_before_the_lanes_begin(make):
    """On SQLite the caller's snapshot was fixed by its first read: lanes begun after a change
    count a different number of changes, and the parts are read again in the caller's
    transaction. On PostgreSQL the caller's snapshot is the one it exports (READ COMMITTED:
    each statement's own), taken after the change, and the lanes read it."""
    make.provider("Before")
    db.session.commit()
    seen_by_caller = _providers()
    _add_provider("Between")
    results = together(_lane, _lane)
    if _on_postgresql():
        assert [count for _name, count in results] == [seen_by_caller + 1] * 2
        assert all(name.startswith("report-lane") for name, _count in results)
    else:
        assert results == [(threading.current_thread().name, seen_by_caller)] * 2
    db.session.rollback()


def test_with_nothing_committed_meanwhile_the_lanes_stand(make):
    make.provider("Before")
    db.session.commit()
    seen_by_caller = _providers()
    results = together(_lane, _lane)
    assert [count for _name, count in results] == [seen_by_caller] * 2
    assert all(name.startswith("report-lane") for name, _count in results)
    db.session.rollback()


def test_sqlite_in_memory_runs_the_parts_one_by_one(tmp_path):
    """A SQLite database in memory is one per connection: a lane would see none of it."""

    class InMemory(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(InMemory)
    with app.app_context():
        db.create_all()
        db.session.add(Provider(name="Only here"))
        db.session.commit()
        assert together(_lane, _lane) == [(threading.current_thread().name, 1)] * 2
        db.session.remove()
        db.engine.dispose()


def test_after_a_write_the_parts_run_in_the_callers_transaction_and_see_it(make):
    make.provider("Before")
    db.session.add(Provider(name="Not yet committed"))
    db.session.flush()
    results = together(_lane, _lane)
    assert results == [(threading.current_thread().name, 2)] * 2
    db.session.rollback()


def test_a_lanes_error_reaches_the_caller():
    def broken() -> None:
        raise LookupError("no such figure")

    with pytest.raises(LookupError, match="no such figure"):
        together(_lane, broken)
    db.session.rollback()


def test_one_lane_runs_the_parts_one_by_one(app, make):
    make.provider("Before")
    app.config["REPORT_LANES"] = 1
    try:
        assert together(_lane, _lane) == [(threading.current_thread().name, 1)] * 2
    finally:
        app.config["REPORT_LANES"] = 2


@freeze_time("2025-05-10")
@pytest.mark.parametrize("scoped", ["everything", "contract", "provider"])
def test_the_pack_is_the_same_read_in_lanes_or_one_by_one(app, make, scoped):
    provider = make.provider("Acme")
    contract = make.contract(provider=provider, prices={"ep_advice": "900"})
    for month in range(1, 5):
        make.allocation(
            case=make.case(),
            provider=provider,
            contract=contract,
            allocated_on=date(2025, month, 3),
            returned_on=date(2025, month, 20) if month % 2 else None,
        )
    scope = {
        "everything": EVERYTHING,
        "contract": Scope(contract=contract),
        "provider": Scope(provider=provider),
    }[scoped]
    in_lanes = build_pack(scope, date(2025, 1, 1), date(2025, 5, 1), date(2025, 5, 10))
    app.config["REPORT_LANES"] = 1
    try:
        one_by_one = build_pack(scope, date(2025, 1, 1), date(2025, 5, 1), date(2025, 5, 10))
    finally:
        app.config["REPORT_LANES"] = 2
    assert in_lanes == one_by_one
    assert sum(row.allocated for row in in_lanes.cohort) == 4
    db.session.rollback()
