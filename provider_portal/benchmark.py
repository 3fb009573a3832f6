"""`flask demo benchmark`: how long the main pages and reports take on the current database.

Each request goes through Flask's test client in a fresh context, as a real server would run it,
signed in as a benchmark manager account that is switched on for the run and off afterwards (with
its sessions ended). Times are wall-clock milliseconds after one untimed warm-up request; queries
are the SQL statements the request sent to the database.
"""

from __future__ import annotations

import contextvars
import re
import secrets
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import click
from flask import Flask, current_app
from sqlalchemy import event, func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Case,
    CaseException,
    Contract,
    Document,
    Provider,
    Role,
    User,
)
from provider_portal.models.accounts import new_session_token
from provider_portal.reports.pack.cache import forget_packs
from provider_portal.timescales import add_months, month_start, today

if TYPE_CHECKING:
    from provider_portal.demo.import_benchmark import ImportTiming

# The pages timed, in order. {case_id} and {allocation_id} are a case and an allocation with
# returned work; {contract_id} and {contract_ref} the contract with the most work under it;
# {first_month} and {last_month} span the last REPORT_MONTHS months. A URL the app does not
# route (a page still being built) is listed as skipped, not failed. "POST <path> <form>" is a
# posted search (the search boxes are never in a URL). Every pack URL is timed cold: the packs
# kept from earlier requests are dropped first (see PACK_WITH_CHARTS for the page as a browser
# loads it, the page and then its three charts).
BENCHMARK_URLS: tuple[str, ...] = (
    "/cases",
    "POST /cases q=GEN0001",
    "POST /cases q=smith",
    "/cases?allocation=unallocated",
    "/cases?allocation=open&page=100",
    "/cases/{case_id}",
    "/cases/backlog",
    "/cases/backlog?flags=looked_after&flags=phase_transfer",
    "/cases/backlog?band=over_26&page=20",
    "POST /cases/backlog q=GEN0001",
    "/allocations",
    "/allocations?status=returned",
    "/allocations?page=1000",
    "/allocations/{allocation_id}",
    "/reports/monthly?start={first_month}&end={last_month}",
    "/reports/monthly.csv?start={first_month}&end={last_month}",
    "/reports/compliance?start={first_month}&end={last_month}",
    "/reports/compliance.svg?start={first_month}&end={last_month}",
    "/contracts",
    "/contracts/{contract_id}",
    "/reports/spend",
    "/reports/pack?start={first_month}&end={last_month}",
    "/reports/pack?contract={contract_ref}&start={first_month}&end={last_month}",
    "/reports/pack.xlsx?start={first_month}&end={last_month}",
    "/reports/pack/chart/allocated-returned.svg?start={first_month}&end={last_month}",
    "/reports/pack/chart/backlog.svg?start={first_month}&end={last_month}",
    "/reports/pack/chart/spend.svg?start={first_month}&end={last_month}",
    "/reports/foi",
)
REPORT_MONTHS = 24
PACK_CHARTS = ("allocated-returned", "backlog", "spend")
CHART_SOURCE = re.compile(r'src="(/reports/pack/chart/[^"]+)"')
PACK_WITH_CHARTS = "/reports/pack?start={first_month}&end={last_month} and its 3 charts"
# Rows in each generated import file (see demo.import_benchmark).
IMPORT_ROWS = 10_000
BENCHMARK_EMAIL = "benchmark@portal.invalid"


@dataclass
class Timing:
    """One timed page or report: its status, milliseconds per repeat and SQL statements."""

    name: str
    status: str
    times_ms: list[float] = field(default_factory=list)
    queries: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else 0.0

    @property
    def max_ms(self) -> float:
        return max(self.times_ms, default=0.0)

    @property
    def failed(self) -> bool:
        if self.status.startswith("exit "):
            return self.status != "exit 0"
        return self.status.startswith(("4", "5", "error"))


@dataclass
class BenchmarkResults:
    database: str
    counts: dict[str, int]
    first_month: date
    last_month: date
    pages: list[Timing]
    reports: list[Timing]
    skipped: list[str]


class QueryCounter:
    """Counts the SQL statements sent on the engine while it is attached."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # SQLite's BEGIN is ours (see database.py), not the page's: leave it out so the
        # two databases compare.
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.count += 1

    @contextmanager
    def attached(self) -> Iterator[QueryCounter]:
        event.listen(db.engine, "before_cursor_execute", self)
        try:
            yield self
        finally:
            event.remove(db.engine, "before_cursor_execute", self)


def _isolated(call: Callable[[], Any]) -> Any:
    """Run call with no application context, so it pushes its own (and its own session)."""
    return contextvars.Context().run(call)


def _switch_on_account() -> str:
    """The benchmark manager, created if needed, active with a fresh session id."""
    from provider_portal.accounts.services import create_user

    user = db.session.scalar(select(User).where(User.email == BENCHMARK_EMAIL))
    if user is None:
        user = create_user(
            BENCHMARK_EMAIL,
            "Benchmark account",
            Role.MANAGER,
            # Nobody knows this password: the benchmark signs in by session, not by form.
            password=secrets.token_urlsafe(32),
            actor=None,
            via="benchmark",
        )
    user.active = True
    user.session_token = new_session_token()
    db.session.commit()
    return user.get_id()


def _switch_off_account(repeat: int) -> None:
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == BENCHMARK_EMAIL))
    if user is not None:
        user.active = False
        user.session_token = new_session_token()
        audit.record("benchmark_run", "user", user.id, detail=f"repeat={repeat}")
    db.session.commit()


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _url_parameters(first_month: date, last_month: date) -> dict[str, object]:
    """Values for the placeholders; a missing one skips the URLs that need it."""
    params: dict[str, object] = {
        "first_month": first_month.strftime("%Y-%m"),
        "last_month": last_month.strftime("%Y-%m"),
    }
    row = db.session.execute(
        select(Allocation.id, Allocation.case_id)
        .where(Allocation.returned_on.is_not(None))
        .order_by(Allocation.id.desc())
        .limit(1)
    ).first()
    if row is None:
        row = db.session.execute(
            select(Allocation.id, Allocation.case_id).order_by(Allocation.id.desc()).limit(1)
        ).first()
    if row is not None:
        params["allocation_id"], params["case_id"] = row
    else:
        case_id = db.session.scalar(select(func.max(Case.id)))
        if case_id is not None:
            params["case_id"] = case_id
    busiest = db.session.execute(
        select(Contract.id, Contract.reference)
        .join(Allocation, Allocation.contract_id == Contract.id)
        .group_by(Contract.id, Contract.reference)
        .order_by(func.count(Allocation.id).desc(), Contract.id)
        .limit(1)
    ).first()
    if busiest is not None:
        params["contract_id"], params["contract_ref"] = busiest[0], quote(busiest[1])
    return params


def _routed(app: Flask, url: str, method: str = "GET") -> bool:
    """Whether the app answers the method for this path (pages still being built may not
    exist yet)."""
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(urlsplit(url).path, method=method)
    except RequestRedirect:
        return True
    except (NotFound, MethodNotAllowed):
        return False
    return True


def _measure(name: str, call: Callable[[], str], repeat: int, counter: QueryCounter) -> Timing:
    """One warm-up, then repeat timed runs; call returns the status to show."""
    timing = Timing(name=name, status="")
    try:
        _isolated(call)
        for _ in range(repeat):
            counter.count = 0
            started = perf_counter()
            timing.status = _isolated(call)
            timing.times_ms.append((perf_counter() - started) * 1000)
            timing.queries = max(timing.queries, counter.count)
    except Exception as error:  # a broken page is a result to report, not a reason to stop
        timing.status = f"error: {type(error).__name__}"
    return timing


def run_benchmark(app: Flask, repeat: int = 5) -> BenchmarkResults:
    """Time every BENCHMARK_URLS page and the monthly report, signed in as a manager."""
    from provider_portal.reports.monthly.queries import monthly_report

    last_month = month_start(today())
    first_month = add_months(last_month, 1 - REPORT_MONTHS)
    counts = {
        "cases": _count(Case),
        "allocations": _count(Allocation),
        "documents": _count(Document),
        "exceptions": _count(CaseException),
        "providers": _count(Provider),
        "contracts": _count(Contract),
    }
    params = _url_parameters(first_month, last_month)
    session_id = _switch_on_account()
    db.session.close()  # hold no transaction open while the requests run
    pages: list[Timing] = []
    reports: list[Timing] = []
    skipped: list[str] = []
    counter = QueryCounter()
    try:
        client = app.test_client()

        def sign_in() -> None:
            with client.session_transaction() as session:
                session["_user_id"] = session_id
                session["_fresh"] = True

        _isolated(sign_in)
        # The session's CSRF token, for the posted searches: read from a page's form.
        page = _isolated(lambda: client.get("/cases").get_data(as_text=True))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        with counter.attached():
            for template in BENCHMARK_URLS:
                try:
                    url = template.format(**params)
                except KeyError:
                    skipped.append(f"{template} (no data for it)")
                    continue
                method, path, form = "GET", url, ""
                if url.startswith("POST "):
                    method, path, form = url.split(" ", 2)
                if not _routed(app, path, method):
                    skipped.append(f"{template} (not in this version of the portal)")
                    continue
                data = dict(parse_qsl(form), csrf_token=token[1] if token else "")

                def call(
                    method: str = method, path: str = path, data: dict[str, str] = data
                ) -> str:
                    if path.startswith("/reports/pack"):
                        forget_packs()
                    if method == "POST":
                        return str(client.post(path, data=data).status_code)
                    return str(client.get(path).status_code)

                pages.append(_measure(url, call, repeat, counter))

            def pack_with_charts() -> str:
                """The all-providers pack page, then its charts by the addresses the page
                gives them, as a browser loads them."""
                forget_packs()
                query = f"start={params['first_month']}&end={params['last_month']}"
                page = client.get(f"/reports/pack?{query}")
                statuses = {page.status_code}
                charts = CHART_SOURCE.findall(page.get_data(as_text=True))
                if len(charts) != len(PACK_CHARTS):
                    return f"error: {len(charts)} charts"
                for url in charts:
                    statuses.add(client.get(unescape(url)).status_code)
                return "/".join(str(status) for status in sorted(statuses))

            pages.append(
                _measure(PACK_WITH_CHARTS.format(**params), pack_with_charts, repeat, counter)
            )

            def report() -> str:
                with app.app_context():
                    monthly_report(first_month, last_month, today())
                return "ok"

            def report_cli() -> str:
                result = app.test_cli_runner().invoke(
                    args=[
                        "report",
                        "monthly",
                        "--from",
                        str(params["first_month"]),
                        "--to",
                        str(params["last_month"]),
                    ]  # fmt: skip
                )
                return f"exit {result.exit_code}"

            reports.append(_measure("monthly_report() function", report, repeat, counter))
            reports.append(_measure("flask report monthly (CSV)", report_cli, repeat, counter))
    finally:
        _switch_off_account(repeat)
    return BenchmarkResults(
        database=db.engine.url.render_as_string(hide_password=True),
        counts=counts,
        first_month=first_month,
        last_month=last_month,
        pages=pages,
        reports=reports,
        skipped=skipped,
    )


def print_results(results: BenchmarkResults, repeat: int) -> None:
    """The table: status, median and max milliseconds, SQL statements per request."""
    click.echo(f"Database: {results.database}")
    click.echo("  " + ", ".join(f"{count:,} {name}" for name, count in results.counts.items()))
    click.echo(
        f"  {repeat} timed run{'s' if repeat != 1 else ''} each after one warm-up; reports over "
        f"{results.first_month:%Y-%m} to {results.last_month:%Y-%m}\n"
    )
    rows = results.pages + results.reports
    width = max([len(row.name) for row in rows] + [len("URL")]) + 2
    click.echo(f"{'URL':<{width}}{'Status':>8}{'Median ms':>11}{'Max ms':>9}{'Queries':>9}")
    for index, row in enumerate(rows):
        if index == len(results.pages):
            click.echo("")
        click.echo(
            f"{row.name:<{width}}{row.status:>8}{row.median_ms:>11.1f}{row.max_ms:>9.1f}"
            f"{row.queries:>9}"
        )
    for skipped in results.skipped:
        click.echo(f"Skipped {skipped}")


def print_import_timings(timings: list[ImportTiming]) -> None:
    """The imports' table: rows, seconds and SQL statements, and what each command said."""
    click.echo("\nImports from the command line, into a scratch database")
    width = max(len(timing.name) for timing in timings) + 2
    click.echo(f"{'Command':<{width}}{'Rows':>8}{'Seconds':>10}{'Queries':>9}  Outcome")
    for timing in timings:
        click.echo(
            f"{timing.name:<{width}}{timing.rows:>8,}{timing.seconds:>10.2f}"
            f"{timing.statements:>9}  {timing.outcome}"
        )


@click.command("benchmark")
@click.option("--repeat", type=click.IntRange(min=1), default=5, show_default=True)
@click.option(
    "--import-rows",
    type=click.IntRange(min=0),
    default=IMPORT_ROWS,
    show_default=True,
    help="Rows in each generated import file (0: time no imports).",
)
def benchmark_command(repeat: int, import_rows: int) -> None:
    """Time the main pages and reports against this database, signed in as a manager, then
    the two imports into a scratch database."""
    # demo.import_benchmark uses the demo generator, whose package registers this command.
    from provider_portal.demo.import_benchmark import run_import_benchmark

    results = run_benchmark(current_app._get_current_object(), repeat)  # type: ignore[attr-defined]
    print_results(results, repeat)
    timings = run_import_benchmark(db.engine.url, import_rows) if import_rows else []
    if timings:
        print_import_timings(timings)
    failed = [result.failed for result in results.pages + results.reports]
    if any(failed + [timing.failed for timing in timings]):
        click.get_current_context().exit(1)
