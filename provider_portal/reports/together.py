"""Independent parts of a report read at the same time, each on a database connection of its
own, all from the one snapshot of the data the request's transaction sees.

A report such as the monitoring pack is a dozen or more statements that do not depend on each
other, each reading most of the allocations. On PostgreSQL they can run side by side on the
server's cores: the request's transaction exports its snapshot (pg_export_snapshot), and each
lane's transaction imports it (SET TRANSACTION SNAPSHOT, at REPEATABLE READ), so every lane
sees exactly the same rows, as if the statements ran one after the other in one transaction;
more exactly, in fact, than a READ COMMITTED transaction running them one by one, whose
statements each see what was committed when they began.

SQLite's connections cannot share a snapshot, but in WAL mode they read side by side, and
Python lets go of its lock while SQLite works, so the lanes run at once there too, each on a
read transaction of its own. To be sure they all read the same data as the caller, every lane
first reads the count of changes to the tables the reports read (changes.changes_counted, kept
by every transaction that writes to them), which fixes its snapshot, and so does the caller:
when all agree, no change was committed between them and the lanes' results stand; when one
differs (someone's change was committed as they began), the parts are read again one after the
other in the caller's transaction.

They run one after the other in a transaction that has written (a lane could not see its
uncommitted rows), inside a lane, on a SQLite database in memory, and when REPORT_LANES is
below 2.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import text

from provider_portal.changes import changes_counted, has_written
from provider_portal.database import in_memory
from provider_portal.extensions import db
from provider_portal.settings import running_app, setting

T = TypeVar("T")

# What pg_export_snapshot() returns, e.g. 00000003-0000001B-1: checked before it goes into SQL.
SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")

# The SQLite lanes' reads of the count of changes are labelled so.
AGREE = "lanes_agree"

_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()
_in_lane = threading.local()


def _pool(lanes: int) -> ThreadPoolExecutor:
    """This process's lane threads (a forked server worker makes its own)."""
    with _pools_lock:
        pool: ThreadPoolExecutor | None = _pools.get("pool")
        if pool is None or _pools.get("pid") != os.getpid() or _pools.get("lanes") != lanes:
            pool = ThreadPoolExecutor(lanes, thread_name_prefix="report-lane")
            _pools.update(pool=pool, pid=os.getpid(), lanes=lanes)
        return pool


def _shared_snapshot() -> str | None:
    """The request transaction's snapshot, exported for the lanes; None when the lanes could
    not share it: a transaction that has written (its rows are not in the snapshot another
    transaction imports)."""
    snapshot, wrote = db.session.execute(
        text("SELECT pg_export_snapshot(), pg_current_xact_id_if_assigned() IS NOT NULL")
    ).one()
    if wrote or not SNAPSHOT_ID.fullmatch(snapshot):
        return None
    return str(snapshot)


def _run_lane(app: Flask, snapshot: str | None, call: Callable[[], T]) -> tuple[int | None, T]:
    """The call's result in a transaction of its own: on PostgreSQL reading the exported
    snapshot; on SQLite (snapshot None) its own, fixed by its first read, the count of changes
    it returns with the result."""
    _in_lane.active = True
    try:
        with app.app_context():
            try:
                if snapshot is None:
                    return changes_counted(AGREE), call()
                db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                db.session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
                # The lanes are the parallelism: a parallel plan's workers as well would make
                # more processes than cores (measured slower, FOI 475 -> 386 ms in lanes).
                db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                return None, call()
            finally:
                db.session.rollback()
    finally:
        _in_lane.active = False


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Each call's result, in order; the calls run at once where they can (see above).

    A call must only read, and must not use the ORM objects of the caller's session (their
    session belongs to the caller's thread): pass ids, and load what a call needs in it.
    """
    lanes = int(setting("REPORT_LANES"))
    if len(calls) < 2 or lanes < 2 or getattr(_in_lane, "active", False):
        return [call() for call in calls]
    connection = db.session.connection()
    if has_written(connection):
        return [call() for call in calls]
    snapshot: str | None = None
    counted: int | None = None
    if connection.dialect.name == "sqlite":
        if in_memory(connection.engine.url):
            return [call() for call in calls]
        counted = changes_counted(AGREE)  # the caller's snapshot (fixed now if not already)
    else:
        snapshot = _shared_snapshot()
        if snapshot is None:
            return [call() for call in calls]
    app = running_app()
    futures = [_pool(lanes).submit(_run_lane, app, snapshot, call) for call in calls]
    found = [future.result() for future in futures]
    if any(lane_counted != counted for lane_counted, _result in found):
        # SQLite: a change was committed as the lanes began; their snapshots may differ.
        return [call() for call in calls]
    return [result for _lane_counted, result in found]
