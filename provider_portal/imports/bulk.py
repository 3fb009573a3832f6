"""Writing an import's rows in bulk: a chunk of rows per statement, not a statement per row.

An import checks every row first, then works out each record's columns in Python and writes
them here: multi-row INSERTs (one statement a chunk) and executemany UPDATEs. Between chunks it
tells its progress callback how far it has got, never while a result is still being read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm.exc import StaleDataError

from provider_portal.extensions import db
from provider_portal.imports.rows import PROGRESS_EVERY, SAVING, Progress

T = TypeVar("T")

# Rows a statement writes; each chunk is one step of the saving progress.
CHUNK = PROGRESS_EVERY


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_returning(
    table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], int]:
    """Insert the rows (a multi-row INSERT a few thousand rows): their new ids by the values
    of `keys`, which must tell the rows apart.

    The ids come back by key, not by position: SQLite does not promise RETURNING's order, and
    asking SQLAlchemy to sort them makes it insert one row a statement there.
    """
    if not rows:
        return {}
    columns = [table.c[key] for key in keys]
    statement = insert(table).returning(table.c.id, *columns)
    return {tuple(row[1:]): row[0] for row in db.session.execute(statement, list(rows)).all()}


def update_versioned(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE rows by id, as the ORM's version counter would: each row's "id" and the
    "version" it was read at, the columns to set, and the version goes up by one.

    A row someone else changed since it was read matches nothing: StaleDataError, as a flush
    would raise. Rows setting different columns go in separate executemany statements.
    """
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        columns = tuple(sorted(name for name in row if name not in ("id", "version")))
        by_columns.setdefault(columns, []).append(
            {**{f"new_{name}": row[name] for name in columns}, "b_id": row["id"], **_version(row)}
        )
    for columns, parameters in by_columns.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {name: bindparam(f"new_{name}") for name in columns}
                | {"version": bindparam("b_next_version")}
            )
        )
        matched = db.session.execute(statement, parameters).rowcount  # type: ignore[attr-defined]
        if matched != len(parameters):
            raise StaleDataError(
                f"{table.name}: {len(parameters) - matched} rows changed meanwhile"
            )


def _version(row: Mapping[str, Any]) -> dict[str, int]:
    return {"b_version": row["version"], "b_next_version": row["version"] + 1}


class SavingProgress:
    """Tells an import's progress callback how many rows are saved, chunk by chunk.

    The callback hears 0 when saving starts, the count after each chunk but the last, and
    the whole count once the import has committed (done()).
    """

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.saved = 0
        progress(SAVING, 0, total)

    def chunk_saved(self, rows: int) -> None:
        self.saved += rows
        if self.saved < self.total:
            self.progress(SAVING, self.saved, self.total)

    def done(self) -> None:
        self.progress(SAVING, self.total, self.total)
