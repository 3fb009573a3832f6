"""Summary tables: counts kept beside the rows they count, so a report over months reads a
few thousand counts instead of every row, and the same figures.

A summary is a table whose primary key is what is counted by (a day, a provider, ...) and
whose one other column, `count`, is how many source rows have that key. It is kept in the
same transaction as its source (quality.summary keeps QualityScoreDay with every flush), so
it is never behind. A key whose rows are all deleted keeps a count of 0, which reads as
nothing.

Each summary is registered in SUMMARIES with the statement that works its counts out from
the source rows. `flask report check-summaries` compares the two (differences) and, asked to,
writes the table again from the source (rebuild_summary).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from provider_portal import audit
from provider_portal.extensions import db


@dataclass(frozen=True)
class Summary:
    """A summary table (`model`, with a `count` column beside its key) and `source`, a
    statement giving its key columns and count, in the table's key order, from the rows."""

    name: str
    model: Any
    source: Callable[[], Any]

    @property
    def key_columns(self) -> list[Any]:
        return [column for column in self.model.__table__.primary_key.columns]


def add_counts(
    connection: Connection, summary: Summary, counts: Mapping[tuple[Any, ...], int]
) -> None:
    """Add each count to its key's row (a new row for a new key), in one statement."""
    rows = [
        {**dict(zip((c.name for c in summary.key_columns), key, strict=True)), "count": n}
        for key, n in sorted(counts.items())  # one order, so two writers lock rows alike
        if n
    ]
    if not rows:
        return
    table = summary.model.__table__
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=summary.key_columns,
        set_={"count": table.c.count + statement.excluded.count},
    )
    connection.execute(statement)


def _stored(summary: Summary) -> dict[tuple[Any, ...], int]:
    table = summary.model.__table__
    return {
        tuple(row[:-1]): int(row[-1])
        for row in db.session.execute(select(*summary.key_columns, table.c.count))
        if row[-1]
    }


def _counted(summary: Summary) -> dict[tuple[Any, ...], int]:
    return {
        tuple(row[:-1]): int(row[-1]) for row in db.session.execute(summary.source()) if row[-1]
    }


def differences(summary: Summary) -> list[tuple[tuple[Any, ...], int, int]]:
    """(key, count in the table, count from the rows) for every key where the two differ."""
    stored, counted = _stored(summary), _counted(summary)
    return [
        (key, stored.get(key, 0), counted.get(key, 0))
        for key in sorted(set(stored) | set(counted))
        if stored.get(key, 0) != counted.get(key, 0)
    ]


def rebuild_summary(summary: Summary) -> None:
    """Write the table again from the rows, in the caller's transaction."""
    table = summary.model.__table__
    db.session.flush()
    db.session.execute(delete(table))
    columns = [*(c.name for c in summary.key_columns), "count"]
    db.session.execute(insert(table).from_select(columns, summary.source()))


def rewrite_summary(summary: Summary, differed: int) -> None:
    """rebuild_summary, recorded in the audit with how many counts differed, and committed."""
    rebuild_summary(summary)
    audit.record("summary_rebuilt", detail=f"{summary.name} differences={differed}")
    db.session.commit()


def summaries() -> list[Summary]:
    """Every summary table, for check-summaries."""
    from provider_portal.quality.summary import SUMMARY as QUALITY

    return [QUALITY]
