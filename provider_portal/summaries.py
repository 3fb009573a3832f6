"""Summary tables: counts kept beside the rows they count, so a report over months reads a
few thousand counts instead of every row, and the same figures.

A summary is a table whose primary key is what is counted by (a day, a provider, ...) and
whose other columns are its measures: `count`, how many source rows have that key, and
perhaps a sum. It is kept in the same transaction as its source (quality.summary and
allocations.summary keep theirs with every flush), so it is never behind. A key whose rows
are all gone keeps measures of 0, which read as nothing.

Each summary is listed by summaries() with the statement that works its counts out from the
source rows. `flask report check-summaries` compares the two (differences) and, asked to,
writes the table again from the source (rebuild_summary).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from provider_portal import audit
from provider_portal.extensions import db


@dataclass(frozen=True)
class Summary:
    """A summary table (`model`: its primary key is what is counted by, its other columns the
    measures, such as `count`) and `source`, a statement giving the key columns and then the
    measures, in the table's order, worked out from the rows (the filters given to it limit
    the rows it reads, as rebuild_summary's `where` limits the table)."""

    name: str
    model: Any
    source: Callable[..., Any]

    @property
    def key_columns(self) -> list[Any]:
        return list(self.model.__table__.primary_key.columns)

    @property
    def measures(self) -> list[Any]:
        return [c for c in self.model.__table__.columns if not c.primary_key]


Key = tuple[Any, ...]


def add_counts(
    connection: Connection, summary: Summary, changes: Mapping[Key, Sequence[Any]]
) -> None:
    """Add each change (a value for each measure) to its key's row, a new row for a new key,
    in one statement."""
    keys = [c.name for c in summary.key_columns]
    measures = [c.name for c in summary.measures]
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(measures, values, strict=True))}
        for key, values in sorted(changes.items())  # one order, so two writers lock rows alike
        if any(values)
    ]
    if rows:
        add_to_rows(connection, summary.model.__table__, rows)


def add_to_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (values for every column of the table); where a row with the same
    primary key is there already, add the new values of its other columns to it instead. One
    statement."""
    keys = list(table.primary_key.columns)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(list(rows))
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: c + statement.excluded[c.name] for c in table.columns if not c.primary_key},
    )
    connection.execute(statement)


def _rows(summary: Summary, statement: Any) -> dict[Key, tuple[Any, ...]]:
    width = len(summary.key_columns)
    found = {}
    for row in db.session.execute(statement):
        values = tuple(value or 0 for value in row[width:])
        if any(values):
            found[tuple(row[:width])] = values
    return found


def differences(summary: Summary) -> list[tuple[Key, tuple[Any, ...], tuple[Any, ...]]]:
    """(key, measures in the table, measures from the rows) for every key where they differ
    (a key the table lacks, or holds at nothing, reads as all zeros)."""
    stored = _rows(summary, select(*summary.key_columns, *summary.measures))
    counted = _rows(summary, summary.source())
    zeros = tuple(0 for _ in summary.measures)
    return [
        (key, stored.get(key, zeros), counted.get(key, zeros))
        for key in sorted(set(stored) | set(counted))
        if stored.get(key, zeros) != counted.get(key, zeros)
    ]


def rebuild_summary(
    summary: Summary, where: Sequence[Any] = (), source_where: Sequence[Any] = ()
) -> None:
    """Write the table again from the rows, in the caller's transaction: all of it, or the
    keys `where` chooses, from the rows `source_where` chooses (the same ones)."""
    table = summary.model.__table__
    db.session.flush()
    db.session.execute(delete(table).where(*where))
    columns = [c.name for c in (*summary.key_columns, *summary.measures)]
    db.session.execute(insert(table).from_select(columns, summary.source(*source_where)))


def rewrite_summary(summary: Summary, differed: int) -> None:
    """rebuild_summary, recorded in the audit with how many counts differed, and committed."""
    rebuild_summary(summary)
    audit.record("summary_rebuilt", detail=f"{summary.name} differences={differed}")
    db.session.commit()


def summaries() -> list[Summary]:
    """Every summary table, for check-summaries."""
    from provider_portal.allocations.summary import COHORT
    from provider_portal.allocations.summary import SUMMARY as WORK
    from provider_portal.quality.summary import SUMMARY as QUALITY

    return [WORK, COHORT, QUALITY]
