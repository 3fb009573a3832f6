"""Report parts read at once (reports.together): on PostgreSQL each lane is a connection of its
own reading the request's snapshot; elsewhere, or after a write, they run one by one."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, text

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


def test_every_lane_reads_the_snapshot_of_the_callers_transaction(make):
    make.provider("Before")
    db.session.commit()
    seen_by_caller = _providers()  # the caller's transaction has begun, and read

    def add_then_count() -> tuple[str, int]:
        # Committed on another connection while the lanes run: after the snapshot.
        with db.engine.begin() as other:
            other.execute(
                text("INSERT INTO provider (name, active, created_at) VALUES (:n, true, :t)"),
                {"n": "During", "t": "2026-01-01 00:00:00+00:00"},
            )
        return _lane()

    results = together(add_then_count, _lane, _lane)
    counts = [count for _name, count in results]
    assert counts == [seen_by_caller] * 3
    lanes = {name for name, _count in results}
    if _on_postgresql():
        assert all(name.startswith("report-lane") for name in lanes)
    else:
        assert lanes == {threading.current_thread().name}
    db.session.rollback()
    assert _providers() == seen_by_caller + 1


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
