"""Changes to the data the reports are worked out from, counted as they are written.

Each transaction that writes to one of the tables the reports read (REPORT_TABLES) adds to a
count (DataChanges), in the same transaction, once however many rows it writes. The
count's sum on a snapshot of the database therefore changes exactly when a change to those
tables has been committed, and stays the same otherwise (a transaction rolled back takes its
count with it). Two things read it: the pack cache, whose data marker it is (a kept pack is
reused while the data it came from is unchanged: reports.pack.cache), and SQLite's report
lanes, which each read their own snapshot and stand only when they all read the same count
as the caller (reports.together). has_written() says whether a connection's transaction has
written anything at all, for the lanes to know they could not see it.

Every statement the application sends through SQLAlchemy is seen (the ORM's flushes, bulk
INSERT, UPDATE and DELETE statements, on any connection), at the engine, after it ran: the
first one in a transaction that writes to a report table also updates the count. The count
is kept on SHARDS rows, one picked at random for each transaction, so that on PostgreSQL two
writers wait for each other only when they pick the same row, and then only until the first
commits; a transaction keeps its row (a savepoint rolled back and written again updates the
same one), so two writers never wait for each other's count rows the other way round.

Each transaction adds a random number, not 1 (step()): a database restored from a backup and
written to again never comes back to a sum it had before with other data, so figures kept
under an earlier sum (the charts' figures shared in Redis) are never taken for the restored
data's.

Not seen: SQL written as text (the application writes none to these tables) and changes made
outside the application (by hand in psql, say), as with the summary tables. Migrations do not
count (they run before the table exists, and the application restarts after them).
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select

from provider_portal.extensions import db
from provider_portal.models import DataChanges
from provider_portal.summaries import add_to_rows

# The tables the reports are worked out from (the monitoring pack, its charts and downloads,
# FOI): the summary tables too, which check-summaries --rebuild writes on their own.
REPORT_TABLES = frozenset(
    {
        "allocation",
        "allocation_day",
        "case",
        "case_exception",
        "cohort_day",
        "contract",
        "contract_price",
        "contract_turnaround",
        "contract_variation",
        "provider",
        "quality_check",
        "quality_score",
        "quality_score_day",
        "sendback",
        "sendback_reason",
        "sendback_reason_link",
        "work_type",
    }
)
SHARDS = 32
# An execution option that turns the counting off on a connection (the migrations set it).
UNCOUNTED = "uncounted_changes"
# In the DBAPI connection's info, for the transaction under way: the shard it counts on,
# whether it has counted since it began (or since a savepoint of it was rolled back), and
# whether it has written anything at all (to any table).
_SHARD, _COUNTED, _WROTE = "data_changes_shard", "data_changes_counted", "data_changes_wrote"


def changes_counted(label: str = "changes") -> int:
    """The count (in the session's snapshot): the sum of what each transaction that changed
    the report tables added. `label` names the figure in the SQL, for whoever reads the
    statements."""
    total = func.coalesce(func.sum(DataChanges.changes), 0).label(label)
    return int(db.session.scalar(select(total)) or 0)


def has_written(connection: Connection) -> bool:
    """Whether the connection's transaction has written anything (through SQLAlchemy)."""
    return bool(connection.info.get(_WROTE))


def step() -> int:
    """What one transaction adds to the count: a random positive number (2**31 at most, so
    the 64-bit sum lasts some four thousand million transactions)."""
    return random.randrange(1, 2**31)


def _count(connection: Connection) -> None:
    shard = connection.info.setdefault(_SHARD, random.randrange(SHARDS))
    add_to_rows(connection, DataChanges.__table__, [{"shard": shard, "changes": step()}])


def _after_execute(
    connection: Connection,
    statement: Any,
    _multiparams: Any,
    _params: Any,
    execution_options: Any,
    _result: Any,
) -> None:
    if not getattr(statement, "is_dml", False):
        return
    connection.info[_WROTE] = True
    if connection.info.get(_COUNTED):
        return
    if getattr(getattr(statement, "table", None), "name", None) not in REPORT_TABLES:
        return
    if execution_options.get(UNCOUNTED):  # the statement's, merged with its connection's
        return
    connection.info[_COUNTED] = True
    _count(connection)


def _transaction_ends(connection: Connection) -> None:
    if connection.invalidated:
        return  # its DBAPI connection is gone, with what it noted
    for name in (_SHARD, _COUNTED, _WROTE):
        connection.info.pop(name, None)


def _savepoint_rolled_back(connection: Connection, _name: Any, _context: Any) -> None:
    # Its count went with it: the next write counts again, on the same row.
    if not connection.invalidated:
        connection.info.pop(_COUNTED, None)


def listen() -> None:
    """Count with every engine's statements (called once, when the app is made)."""
    if event.contains(Engine, "after_execute", _after_execute):
        return
    event.listen(Engine, "after_execute", _after_execute)
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, _transaction_ends)
    event.listen(Engine, "rollback_savepoint", _savepoint_rolled_back)
