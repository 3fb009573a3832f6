"""The imports part of `flask demo benchmark`: how long each import takes from the command line.

A cases file and an allocation log of IMPORT_ROWS rows each are generated, the same every time
(the demo generator's names, a fixed seed, dates counted back from today), and imported with
`flask cases import` and then `flask allocations import` into a scratch database made for the
run and dropped after it, so the benchmark's own data set is never changed. SQLite gets a file
in a temporary folder; PostgreSQL a database of its own on the same server.
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter

from flask import Flask
from sqlalchemy import URL, create_engine, select, text

from config import CONFIGS
from provider_portal.benchmark import IMPORT_ROWS, QueryCounter
from provider_portal.demo.generate import (
    GENERATED_OTHER_PRICE,
    GENERATED_PRICES,
    provider_name,
)
from provider_portal.demo.seed import (
    FIRST_NAMES,
    LAST_NAMES,
    LOOKED_AFTER_SHARE,
    WITHDRAWAL_REASONS,
    date_of_birth,
    ensure_work_types,
    school_details,
)
from provider_portal.extensions import db
from provider_portal.models import (
    DEFAULT_WORK_TYPES,
    Contract,
    ContractPrice,
    ContractStatus,
    Provider,
    WorkType,
)
from provider_portal.timescales import today, under_25_on

IMPORT_SEED = 1
IMPORT_PROVIDERS = 6
IMPORT_REF_PREFIX = "IMP"
CASE_HEADER = (
    "case_ref", "first_name", "last_name", "date_of_birth", "request_received_on", "setting",
    "looked_after", "decision_to_assess", "decision_on",
)  # fmt: skip
ALLOCATION_HEADER = (
    "case_ref", "provider", "work_type", "allocated_on", "returned_on", "accepted_on",
    "withdrawn_on", "withdrawal_reason",
)  # fmt: skip
DECIDED_SHARE = 0.8  # of the requests, those with a decision to assess (and so work)
RETURNED_SHARE = 0.7  # of the work old enough to have come back
ACCEPTED_SHARE = 0.7  # of the work returned
WITHDRAWN_SHARE = 0.03
HISTORY_DAYS = 730  # requests received over the last two years


@dataclass(frozen=True)
class ImportTiming:
    """One import from the command line: wall-clock seconds and SQL statements sent."""

    name: str
    rows: int
    seconds: float
    statements: int
    outcome: str  # what the command said: its summary, or the first problem

    @property
    def failed(self) -> bool:
        return not self.outcome.startswith("Imported")


def provider_names(rng: random.Random, count: int) -> list[str]:
    """Provider names as the demo generator makes them."""
    names: list[str] = []
    for number in range(count):
        name = provider_name(rng, number, names)
        names.append(name)
    return names


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def case_rows(
    rng: random.Random, count: int, now: date, prefix: str = IMPORT_REF_PREFIX
) -> list[list[str]]:
    """A cases file's rows: requests over the last two years, most with a decision to assess."""
    rows = []
    for number in range(1, count + 1):
        received = now - timedelta(days=rng.randint(30, HISTORY_DAYS))
        born = date_of_birth(rng, now, received)
        if not under_25_on(born, received):
            born = received - timedelta(days=rng.randint(4 * 365, 16 * 365))
        setting = school_details(rng, born, now)[1]
        decided = received + timedelta(days=rng.randint(20, 42))
        if rng.random() >= DECIDED_SHARE or decided > now:
            decision, decided_on = "", None
        else:
            decision, decided_on = "yes", decided
        rows.append(
            [
                f"{prefix}{number:07d}",
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                _iso(born),
                _iso(received),
                setting or "",
                "yes" if rng.random() < LOOKED_AFTER_SHARE else "no",
                decision,
                _iso(decided_on),
            ]
        )
    return rows


def _later(rng: random.Random, day: date, low: int, high: int, now: date) -> date | None:
    later = day + timedelta(days=rng.randint(low, high))
    return later if later <= now else None


def allocation_rows(
    rng: random.Random, cases: Sequence[Sequence[str]], providers: Sequence[str], count: int
) -> list[list[str]]:
    """An allocation log's rows on the decided cases: one work type after another, each case
    at most once a work type, until there are count rows."""
    now = today()
    decided = [(row[0], date.fromisoformat(row[8])) for row in cases if row[8]]
    rows: list[list[str]] = []
    for code, _name, _days in DEFAULT_WORK_TYPES:
        for ref, decided_on in decided:
            if len(rows) == count:
                return rows
            allocated = _later(rng, decided_on, 0, 20, now)
            if allocated is None:
                continue
            returned = accepted = withdrawn = None
            reason = ""
            if rng.random() < WITHDRAWN_SHARE:
                withdrawn = _later(rng, allocated, 5, 30, now)
                reason = rng.choice(WITHDRAWAL_REASONS) if withdrawn else ""
            elif rng.random() < RETURNED_SHARE:
                returned = _later(rng, allocated, 20, 60, now)
                if returned is not None and rng.random() < ACCEPTED_SHARE:
                    accepted = _later(rng, returned, 1, 14, now)
            rows.append(
                [
                    ref,
                    rng.choice(providers),
                    code,
                    _iso(allocated),
                    _iso(returned),
                    _iso(accepted),
                    _iso(withdrawn),
                    reason,
                ]
            )
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@contextmanager
def scratch_database(url: URL, folder: Path) -> Iterator[str]:
    """A new empty database beside the one in use, dropped afterwards: its URL."""
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{folder / 'imports.sqlite'}"
        return
    name = f"{url.database}_imports_{uuid.uuid4().hex[:8]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def add_providers(names: Sequence[str], now: date) -> None:
    """Each provider with one contract running through the file's dates, every work type
    priced, with a rise a year ago, so each allocation's price is looked up by its date."""
    work_types = list(db.session.scalars(select(WorkType)))
    start, rise = now - timedelta(days=HISTORY_DAYS + 120), now - timedelta(days=365)
    for number, name in enumerate(names, start=1):
        provider = Provider(name=name, active=True)
        contract = Contract(
            reference=f"IMP-{number:02d}",
            title="EHC needs assessment work",
            provider=provider,
            start_on=start,
            end_on=now + timedelta(days=365),
            original_value=Decimal("1000000"),
            status=ContractStatus.ACTIVE,
        )
        for work_type in work_types:
            price = GENERATED_PRICES.get(work_type.code, GENERATED_OTHER_PRICE)
            for effective_from, unit_price in ((start, price), (rise, price + 25)):
                db.session.add(
                    ContractPrice(
                        contract=contract,
                        work_type=work_type,
                        effective_from=effective_from,
                        unit_price=unit_price,
                    )
                )
        db.session.add(contract)
    db.session.commit()


def _scratch_app(url: str) -> Flask:
    from provider_portal import create_app

    base = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    config = type(
        "ImportBenchmarkConfig",
        (base,),
        {"SQLALCHEMY_DATABASE_URI": url, "MIGRATION_DATABASE_URL": None},
    )
    return create_app(config)


def run_import_benchmark(database: URL, rows: int = IMPORT_ROWS) -> list[ImportTiming]:
    """Import a generated cases file, then an allocation log, of `rows` rows each, from the
    command line into a scratch database next to `database`."""
    rng = random.Random(IMPORT_SEED)
    now = today()
    providers = provider_names(rng, IMPORT_PROVIDERS)
    cases = case_rows(rng, rows, now)
    allocations = allocation_rows(rng, cases, providers, rows)
    timings = []
    with (
        tempfile.TemporaryDirectory(prefix="portal-import-benchmark-") as folder,
        scratch_database(database, Path(folder)) as url,
    ):
        app = _scratch_app(url)
        commands = [
            ("flask cases import", ["cases", "import"], CASE_HEADER, cases),
            ("flask allocations import", ["allocations", "import"], ALLOCATION_HEADER, allocations),
        ]
        with app.app_context():
            db.create_all()
            ensure_work_types()
            add_providers(providers, now)
            db.session.remove()
            runner = app.test_cli_runner()
            for name, args, header, file_rows in commands:
                path = write_csv(Path(folder) / f"{args[0]}.csv", header, file_rows)
                counter = QueryCounter()
                with counter.attached():
                    started = perf_counter()
                    result = runner.invoke(args=[*args, str(path)])
                    seconds = perf_counter() - started
                db.session.remove()
                said = (result.output or str(result.exception or "")).strip().splitlines()
                timings.append(
                    ImportTiming(name, len(file_rows), seconds, counter.count, " ".join(said[:2]))
                )
            db.engine.dispose()
    return timings
