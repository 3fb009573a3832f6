"""The imports part of `flask demo benchmark`: generated files, imported into a scratch database."""

from __future__ import annotations

import random
from datetime import date

from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.demo.import_benchmark import (
    allocation_rows,
    case_rows,
    provider_names,
    run_import_benchmark,
)
from provider_portal.demo.seed import FIRST_NAMES, LAST_NAMES
from provider_portal.extensions import db
from provider_portal.models import Case, Provider

TODAY = date(2025, 11, 20)


def test_the_files_are_the_same_every_time_and_use_the_demo_names() -> None:
    def files() -> tuple[list[list[str]], list[list[str]]]:
        rng = random.Random(1)
        providers = provider_names(rng, 4)
        cases = case_rows(rng, 300, TODAY)
        return cases, allocation_rows(rng, cases, providers, 300)

    with freeze_time("2025-11-20 10:00:00"):
        cases, log = files()
        assert (cases, log) == files()
    assert {row[1] for row in cases} <= set(FIRST_NAMES)
    assert {row[2] for row in cases} <= set(LAST_NAMES)
    assert len(log) == 300 and {row[0] for row in log} <= {row[0] for row in cases}
    # Some work came back, some was accepted, some withdrawn, some still out.
    assert all(any(row[column] for row in log) for column in (4, 5, 6))
    assert any(not row[4] and not row[6] for row in log)


def test_both_imports_are_timed_in_a_scratch_database_and_leave_this_one_alone(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        timings = run_import_benchmark(db.engine.url, rows=60)
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert db.session.scalar(select(func.count()).select_from(Provider)) == 0
    assert [(t.name, t.rows, t.outcome, t.failed) for t in timings] == [
        ("flask cases import", 60, "Imported 60 cases: 60 new, 0 updated", False),
        ("flask allocations import", 60, "Imported 60 allocations", False),
    ]
    assert all(0 < timing.statements < 40 and timing.seconds > 0 for timing in timings)
