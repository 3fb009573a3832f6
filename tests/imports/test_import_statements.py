"""Both imports send a fixed number of SQL statements, however many rows (up to a chunk), and
tell their progress callback how far they have got, in order."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from provider_portal.demo.import_benchmark import (
    ALLOCATION_HEADER,
    CASE_HEADER,
    add_providers,
    allocation_rows,
    case_rows,
    provider_names,
    write_csv,
)
from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.cases import import_cases
from provider_portal.imports.rows import CHECKING, PROGRESS_EVERY, SAVING, ImportResult
from provider_portal.models import Role, User
from provider_portal.tabular import Table, read_table

TODAY = date(2025, 3, 1)


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def providers() -> list[str]:
    names = provider_names(random.Random(1), 3)
    add_providers(names, TODAY)
    return names


def _table(tmp_path: Path, header: tuple[str, ...], rows: list[list[str]]) -> Table:
    return read_table(write_csv(tmp_path / f"{len(rows)}-{rows[0][0]}.csv", header, rows))


def _statements(count_queries: list[str], run: Callable[[], ImportResult]) -> int:
    """The statements an import sends (SQLite's BEGIN is the engine's, not the import's)."""
    count_queries.clear()
    result = run()
    assert result.errors == []
    return len([s for s in count_queries if not s.lstrip().upper().startswith("BEGIN")])


def _import_cases(tmp_path: Path, cases: list[list[str]], actor: User) -> ImportResult:
    return import_cases(_table(tmp_path, CASE_HEADER, cases), actor)


def _cases(rows: int, prefix: str) -> list[list[str]]:
    cases = case_rows(random.Random(rows), rows, TODAY, prefix)
    for number, row in enumerate(cases):
        if number % 10 == 0:  # more decisions, so the outcome recorders are stamped
            row[7], row[8] = "yes", row[8] or row[4]
    return cases


def test_the_cases_import_sends_as_many_statements_for_1000_rows_as_for_100(
    tmp_path: Path, count_queries, make
) -> None:  # type: ignore[no-untyped-def]
    actor = make.user(Role.MANAGER)
    counts = {}
    for rows in (100, 1_000):
        cases = _cases(rows, f"S{rows}-")
        new = _statements(count_queries, partial(_import_cases, tmp_path, cases, actor))
        # The same file again, each case's setting and looked-after flag changed: all updates.
        for row in cases:
            row[5], row[6] = f"Setting {row[0]}", "no" if row[6] == "yes" else "yes"
        updated = _statements(count_queries, partial(_import_cases, tmp_path, cases, actor))
        counts[rows] = (new, updated)
    assert counts[100] == counts[1_000]
    assert max(counts[100]) < 20


def test_the_allocation_import_sends_as_many_statements_for_1000_rows_as_for_100(
    tmp_path: Path, count_queries, providers
) -> None:  # type: ignore[no-untyped-def]
    counts = {}
    for rows in (100, 1_000):
        cases = _cases(rows, f"A{rows}-")
        assert import_cases(_table(tmp_path, CASE_HEADER, cases), None).ok
        log = allocation_rows(random.Random(rows), cases, providers, rows)
        assert len(log) == rows
        table = _table(tmp_path, ALLOCATION_HEADER, log)
        counts[rows] = _statements(count_queries, partial(import_allocations, table, None))
    assert counts[100] == counts[1_000]
    assert counts[100] < 20


class Heard:
    """A progress callback that notes each call and, as the real one does, uses a connection
    of its own: it would wait forever (or fail) if the import held a cursor open on it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        self.calls.append((stage, done, total))


def _expected(total: int) -> list[tuple[str, int, int]]:
    steps = list(range(0, total, PROGRESS_EVERY))
    return [(CHECKING, n, total) for n in steps] + [(CHECKING, total, total)] + [
        (SAVING, n, total) for n in steps
    ] + [(SAVING, total, total)]  # fmt: skip


def test_both_imports_report_progress_while_checking_and_saving(tmp_path: Path, providers) -> None:  # type: ignore[no-untyped-def]
    rows = 2 * PROGRESS_EVERY + 500
    cases = _cases(rows, "P")
    heard = Heard()
    assert import_cases(_table(tmp_path, CASE_HEADER, cases), None, progress=heard).ok
    assert heard.calls == _expected(rows)

    log = allocation_rows(random.Random(rows), cases, providers, rows)
    heard = Heard()
    result = import_allocations(
        _table(tmp_path, ALLOCATION_HEADER, log), actor=None, progress=heard
    )
    assert result.ok
    assert heard.calls == _expected(len(log))


def test_an_import_that_fails_its_checks_never_reports_saving(tmp_path: Path) -> None:
    cases = _cases(PROGRESS_EVERY + 1, "F")
    cases[-1][3] = "not a date"
    heard = Heard()
    result = import_cases(_table(tmp_path, CASE_HEADER, cases), None, progress=heard)
    assert [error.column for error in result.errors] == ["date_of_birth"]
    assert heard.calls == [(CHECKING, 0, len(cases)), (CHECKING, PROGRESS_EVERY, len(cases))]
