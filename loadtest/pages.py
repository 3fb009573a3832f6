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
"""

from __future__ import annotations

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
from datetime import date, timedelta
from pathlib import Path

import redis
import requests

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


def time_pages(pages: Pages) -> list[tuple[str, float, float]]:
    figures = []
    for name, fetch in pages.timed().items():
        for _ in range(WARM_UP):
            fetch()
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            fetch()
            times.append((time.perf_counter() - started) * 1000)
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


def _shared_redis() -> str:
    """REDIS_URL for the servers, as production has it (the workers share the pack's chart
    figures through it), on a database of the bench's own (BENCH_REDIS_URL), emptied before and
    after; empty when no Redis answers there."""
    try:
        redis.Redis.from_url(SHARED_REDIS, socket_connect_timeout=2).flushdb()
    except (redis.RedisError, OSError):
        return ""
    return SHARED_REDIS


def main() -> int:
    run.ensure_data_set()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-http-"))
    os.environ["LOADTEST_SECRET_KEY"] = secrets.token_urlsafe(48)
    people = folder / "people.json"
    try:
        run.copy_data_set()
        environment = {
            **os.environ,
            "DATABASE_URL": run._url(run.COPY),
            "PYTHONPATH": str(run.ROOT),
        }
        subprocess.run(
            [sys.executable, "-m", "loadtest.accounts", str(people)],
            cwd=run.ROOT, env=environment, check=True,
        )  # fmt: skip
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
    sys.exit(main())
