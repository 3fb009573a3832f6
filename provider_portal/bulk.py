"""Writing many rows at once: a statement a batch of rows, not a statement a row.

For imports, which check every row first and then work out each record's columns in Python.
The rows go in through SQLAlchemy Core, so they skip the ORM's unit of work: the callers fill
every column the ORM would (see with_defaults), and an UPDATE checks the version column itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.exc import StaleDataError

from provider_portal.extensions import db


def with_defaults(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows with every column default the model gives (a timestamp, a starting version)
    filled in where a row has no value, the same for every row of the batch.

    A callable default is called without an execution context: the tables imported into
    have none that reads one (WorkType's is_advice does, so it is not for work types).
    """
    if not rows:
        return []
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.primary_key or default is None or column.key in rows[0]:
            continue
        if default.is_scalar:  # type: ignore[attr-defined]
            defaults[column.key] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:  # type: ignore[attr-defined]
            defaults[column.key] = default.arg(None)  # type: ignore[attr-defined]
    return [{**defaults, **row} for row in rows]


def insert_rows(
    table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert the rows, which all name the same columns, in one statement; the `returning`
    columns of each row inserted, in no particular order.

    PostgreSQL gets each column as one array, unnested into rows on the server
    (INSERT … SELECT * FROM unnest(…)): a multi-row VALUES list of thousands of parameters
    costs the driver more time to prepare than the server takes to insert it. Elsewhere a
    multi-row INSERT (SQLAlchemy's insertmanyvalues).
    """
    if not rows:
        return []
    filled = with_defaults(table, rows)
    names = list(filled[0])
    statement: Any
    if db.session.get_bind().dialect.name == "postgresql":
        rowset = _unnested(table, filled, names, "imported")
        statement = insert(table).from_select(names, select(*rowset.c))
        parameters = None
    else:
        statement, parameters = insert(table), filled
    if not returning:
        db.session.execute(statement, parameters)
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return [tuple(row) for row in db.session.execute(statement, parameters).all()]


def insert_returning(
    table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], int]:
    """Insert the rows (see insert_rows): their new ids by the values of `keys`, which must
    tell the rows apart.

    The ids come back by key, not by position: SQLite does not promise RETURNING's order, and
    asking SQLAlchemy to sort them makes it insert one row a statement there.
    """
    return {tuple(row[1:]): row[0] for row in insert_rows(table, rows, ("id", *keys))}


def _unnested(
    table: Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str], alias: str
) -> Any:
    """PostgreSQL: the rows as a derived table, each column sent as one array and unnested on
    the server (the psycopg dialect casts each array to its column's type, …::DATE[])."""
    arrays = [
        bindparam(f"column_{n}", [row[name] for row in rows], ARRAY(table.c[name].type))
        for n, name in enumerate(names)
    ]
    return func.unnest(*arrays).table_valued(*names).render_derived(name=alias)


def update_versioned(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE rows by id, as the ORM's version counter would: each row's "id" and the
    "version" it was read at, the columns to set, and the version goes up by one.

    A row someone else changed since it was read matches nothing: StaleDataError, as a flush
    would raise. Rows setting different columns go in separate statements: on PostgreSQL an
    UPDATE … FROM unnest(…) (see insert_rows), elsewhere an executemany.
    """
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        columns = tuple(sorted(name for name in row if name not in ("id", "version")))
        by_columns.setdefault(columns, []).append(row)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    for columns, group in by_columns.items():
        statement: Any
        parameters: list[dict[str, Any]] | None = None
        if postgresql:
            changed = _unnested(table, group, ("id", "version", *columns), "changed")
            statement = (
                update(table)
                .where(table.c.id == changed.c.id, table.c.version == changed.c.version)
                .values(
                    {name: changed.c[name] for name in columns} | {"version": changed.c.version + 1}
                )
            )
        else:
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(
                    {name: bindparam(f"new_{name}") for name in columns}
                    | {"version": bindparam("b_next_version")}
                )
            )
            parameters = [_executemany_row(row, columns) for row in group]
        matched = db.session.execute(statement, parameters).rowcount  # type: ignore[attr-defined]
        if matched != len(group):
            raise StaleDataError(f"{table.name}: {len(group) - matched} rows changed meanwhile")


def _executemany_row(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {
        **{f"new_{name}": row[name] for name in columns},
        "b_id": row["id"],
        "b_version": row["version"],
        "b_next_version": row["version"] + 1,
    }
