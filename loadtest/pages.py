"""`make bench`'s figures over HTTP: the pages issue by issue measured, on gunicorn with two
workers against a PostgreSQL copy of the 100,000-case data set, as a browser would fetch them.

1. The data set and its copy, and the accounts, as the load test makes them (loadtest.run).
2. One manager signs in (both steps). Each page is fetched WARM_UP times, then REPEAT times
   one after another: the median and 95th percentile in ms. Every pack request asks for a
   different as-of date (a day further back each time), so none is answered from the packs a
   worker keeps: the figures are the pack computed from the database. The pack "with its
   charts" is the page and then its three charts, as a browser loads them.
3. The board with CLIENTS clients at once for THROUGHPUT_SECONDS: requests a second.

    python -m loadtest.pages          (BENCH_REPEAT, BENCH_CLIENTS to change the counts)

Before and after a change, on a machine whose speed wanders (a shared one), two runs minutes
apart can differ by more than the change. `--vs REV` measures another version beside this
checkout instead: REV's files (any name git knows: a commit, a tag, HEAD~3) unpacked from git,
each version on its own copy of the data set (REV's migrated back, or on, to REV's schema) and
its own gunicorn, both running at once and timed turn about in ROUNDS rounds (the order swapped
each round), so the machine's swings fall on both alike. Read the change, not the ms.

    python -m loadtest.pages --vs a738819 [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import redis
import requests
from alembic.script import ScriptDirectory

from loadtest import run
from loadtest.signin import chart_addresses, hidden_fields, sign_in

# Untimed first: enough that each gunicorn worker has served the page (its templates compiled,
# its connections open) whichever worker each request reaches.
WARM_UP = 10
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
THROUGHPUT_SECONDS = 10
FIRST_MONTH, LAST_MONTH = "2025-01", "2026-12"
CHARTS = ("allocated-returned", "backlog", "spend")
SHARED_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# With --vs, the other version's server has its own Redis database, and its own data set copy.
OTHER_REDIS = os.environ.get("BENCH_OTHER_REDIS_URL", "redis://127.0.0.1:6379/14")
OTHER_COPY = f"{run.COPY}_vs"


def percentile(times: list[float], share: float) -> float:
    """Nearest rank: the value at position ceil(share × n) of the sorted times."""
    ordered = sorted(times)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


class Pages:
    """A signed-in manager's session and the requests each timed page makes."""

    def __init__(self, base: str, cookies: list[dict[str, str]], case_id: int) -> None:
        self.base = base
        self.session = requests.Session()
        for cookie in cookies:
            self.session.cookies.set(**cookie)
        self.case_id = case_id
        self.packs = 0
        self.search_form: dict[str, str] | None = None

    def get(self, path: str) -> requests.Response:
        answer = self.session.get(self.base + path, timeout=120, allow_redirects=False)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
        return answer

    def search(self, words: str) -> requests.Response:
        # The search form's hidden fields, read once: the search itself is what is timed.
        if self.search_form is None:
            self.search_form = hidden_fields(self.get("/cases").text, "/cases") or {}
        form = self.search_form
        answer = self.session.post(
            self.base + "/cases", data={**form, "q": words}, timeout=120, allow_redirects=False
        )
        if answer.status_code != 200:
            raise SystemExit(f"the case search answered {answer.status_code}")
        return answer

    def _pack_url(self) -> str:
        # A different as-of date each time: never a pack a worker already holds.
        self.packs += 1
        as_of = date.today() - timedelta(days=self.packs)
        return (
            f"/reports/pack?start={FIRST_MONTH}&end={LAST_MONTH}"
            f"&as_of={as_of.day}&as_of={as_of.month}&as_of={as_of.year}"
        )

    def pack(self) -> requests.Response:
        return self.get(self._pack_url())

    def pack_with_charts(self) -> requests.Response:
        page = self.get(self._pack_url())
        charts = chart_addresses(page.text)
        if len(charts) != len(CHARTS):
            raise SystemExit(f"the pack page shows {len(charts)} charts, not {len(CHARTS)}")
        for chart in charts:
            self.get(chart)
        return page

    def timed(self) -> dict[str, Callable[[], requests.Response]]:
        return {
            "backlog board": lambda: self.get("/cases/backlog"),
            "case page": lambda: self.get(f"/cases/{self.case_id}"),
            "/allocations?page=1000": lambda: self.get("/allocations?page=1000"),
            "/cases?q=smith (posted)": lambda: self.search("smith"),
            "/reports/spend": lambda: self.get("/reports/spend"),
            "/reports/foi": lambda: self.get("/reports/foi"),
            "/reports/pack, all providers, 24 months": self.pack,
            "the same pack with its 3 charts": self.pack_with_charts,
        }


def _timed(fetch: Callable[[], requests.Response], count: int) -> list[float]:
    """count requests one after another: each one's time in ms."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_pages(pages: Pages) -> list[tuple[str, float, float]]:
    figures = []
    for name, fetch in pages.timed().items():
        _timed(fetch, WARM_UP)
        times = _timed(fetch, REPEAT)
        figures.append((name, statistics.median(times), percentile(times, 0.95)))
    return figures


def board_throughput(base: str, cookies: list[dict[str, str]]) -> float:
    """Requests a second on the board with CLIENTS clients asking at once."""
    done = [0] * CLIENTS
    stop = threading.Event()

    def client(number: int) -> None:
        session = requests.Session()
        for cookie in cookies:
            session.cookies.set(**cookie)
        while not stop.is_set():
            answer = session.get(base + "/cases/backlog", timeout=120, allow_redirects=False)
            if answer.status_code != 200:
                raise SystemExit(f"the board answered {answer.status_code}")
            done[number] += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(THROUGHPUT_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def _shared_redis(url: str = SHARED_REDIS) -> str:
    """REDIS_URL for the servers, as production has it (the workers share the pack's chart
    figures through it), on a database of the bench's own (BENCH_REDIS_URL), emptied before and
    after; empty when no Redis answers there."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except (redis.RedisError, OSError):
        return ""
    return url


def _make_accounts(folder: Path, root: Path, database: str) -> dict[str, Any]:
    """The load test's accounts in the database, made by the code in root: the plan."""
    people = folder / f"people-{database}.json"
    run.make_accounts(people, root, database)
    plan: dict[str, Any] = json.loads(people.read_text())
    return plan


@dataclass
class Version:
    """One version of the portal in a --vs run: its files, data set copy and figures."""

    label: str
    root: Path
    database: str
    redis_url: str
    times: dict[str, list[float]] = field(default_factory=dict)
    rates: list[float] = field(default_factory=list)


def unpack(rev: str, into: Path) -> str:
    """The portal's files at rev, from git, unpacked into `into` (no work tree, so nothing of
    this checkout's is linked or touched); the commit's full id."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=run.ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=run.ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    return commit


def match_schema(other: Version) -> None:
    """Migrate the other version's copy of the data set (this checkout's schema) to the other
    version's: back with this checkout's migrations when it is older, on with its own when it
    is newer."""
    (head,) = ScriptDirectory(str(other.root / "migrations")).get_heads()
    known = ScriptDirectory(str(run.ROOT / "migrations"))
    if head in {script.revision for script in known.walk_revisions()}:
        run._flask(other.database, "db", "downgrade", head)
    else:
        run._flask(other.database, "db", "upgrade", root=other.root)


def compare(rev: str, rounds: int) -> int:
    """This checkout against rev, over HTTP, turn about (see the module's docstring)."""
    run.ensure_data_set()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-vs-"))
    os.environ["LOADTEST_SECRET_KEY"] = secrets.token_urlsafe(48)
    per_round = max(1, REPEAT // rounds)
    other = Version("", folder / "other", OTHER_COPY, _shared_redis(OTHER_REDIS))
    this = Version("this checkout", run.ROOT, run.COPY, _shared_redis(SHARED_REDIS))
    versions = [other, this]
    try:
        commit = unpack(rev, other.root)
        other.label = f"{rev} ({commit[:9]})"
        for version in versions:
            run.copy_data_set(version.database)
        match_schema(other)
        with ExitStack() as servers:
            sessions = []
            for version in versions:
                plan = _make_accounts(folder, version.root, version.database)
                port = run._free_port()
                base = f"http://127.0.0.1:{port}"
                servers.enter_context(
                    run.gunicorn(folder, port, version.redis_url, version.root, version.database)
                )
                cookies = sign_in(base, plan["people"]["manager"][0])
                pages = Pages(base, cookies, plan["cases"][len(plan["cases"]) // 2])
                for name, fetch in pages.timed().items():
                    _timed(fetch, WARM_UP)
                    version.times[name] = []
                sessions.append((version, pages, base, cookies))
            for number in range(rounds):
                for version, pages, base, cookies in sessions[:: 1 if number % 2 else -1]:
                    for name, fetch in pages.timed().items():
                        version.times[name] += _timed(fetch, per_round)
                    version.rates.append(board_throughput(base, cookies))
                print(f"round {number + 1} of {rounds} done", flush=True)
        print(
            f"\nOver HTTP, turn about: gunicorn with {run.WORKERS} workers for each version, each "
            f"on its own PostgreSQL copy of {run.TEMPLATE}; {rounds} rounds of {per_round} "
            f"requests a page after {WARM_UP} untimed; p50 / p95 in ms"
        )
        print(f"{'Page':<45}{other.label:>24}{this.label:>24}{'p50':>8}")
        for name in this.times:
            cells = [
                f"{statistics.median(v.times[name]):.1f} / {percentile(v.times[name], 0.95):.1f}"
                for v in versions
            ]
            before, after = (statistics.median(v.times[name]) for v in versions)
            print(f"{name:<45}{cells[0]:>24}{cells[1]:>24}{(after / before - 1):>+8.0%}")
        rates = [statistics.median(v.rates) for v in versions]
        print(
            f"{'Board, ' + str(CLIENTS) + ' clients at once (req/s)':<45}"
            f"{rates[0]:>24.1f}{rates[1]:>24.1f}{(rates[1] / rates[0] - 1):>+8.0%}"
        )
        for version in versions:
            shown = ", ".join(f"{rate:.1f}" for rate in version.rates)
            print(f"  {version.label}: each round's requests a second: {shown}")
        return 0
    finally:
        for version in versions:
            run.drop(version.database)
            if version.redis_url:
                redis.Redis.from_url(version.redis_url).flushdb()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    run.ensure_data_set()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-http-"))
    os.environ["LOADTEST_SECRET_KEY"] = secrets.token_urlsafe(48)
    people = folder / "people.json"
    try:
        run.copy_data_set()
        run.make_accounts(people)
        plan = json.loads(people.read_text())
        manager = plan["people"]["manager"][0]
        port = run._free_port()
        base = f"http://127.0.0.1:{port}"
        shared = _shared_redis()
        with run.gunicorn(folder, port, shared):
            cookies = sign_in(base, manager)
            pages = Pages(base, cookies, plan["cases"][len(plan["cases"]) // 2])
            figures = time_pages(pages)
            throughput = board_throughput(base, cookies)
        print(
            f"\nOver HTTP: gunicorn with {run.WORKERS} workers, PostgreSQL copy of "
            f"{run.TEMPLATE}, {'Redis at ' + shared if shared else 'no Redis'}; "
            f"{REPEAT} requests each after {WARM_UP} untimed"
        )
        print(f"{'Page':<45}{'p50 ms':>10}{'p95 ms':>10}")
        for name, p50, p95 in figures:
            print(f"{name:<45}{p50:>10.1f}{p95:>10.1f}")
        print(f"Board, {CLIENTS} clients at once: {throughput:.1f} requests a second")
        return 0
    finally:
        run.drop(run.COPY)
        shutil.rmtree(folder, ignore_errors=True)
        if shared:
            redis.Redis.from_url(shared).flushdb()


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--vs", metavar="REV", help="time this version beside this checkout")
    arguments.add_argument("--rounds", type=int, default=4, help="with --vs: rounds turn about")
    chosen = arguments.parse_args()
    sys.exit(compare(chosen.vs, chosen.rounds) if chosen.vs else main())
