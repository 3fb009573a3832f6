"""The two ways a job runs, for the tests: in a thread of the test process (no REDIS_URL), or on
Redis with a real `flask --app wsgi jobs worker --burst` process.

Each pytest-xdist worker has a Redis of its own (tests/servers.py: a redis-server on a Unix
socket in a temporary folder, emptied before each test), so two workers, or two people running
the tests at once, never take each other's jobs. The RQ worker runs against the test database
under TestConfig, told where by TEST_DATABASE_URL and TEST_JOBS_REDIS_URL.

    def test_something(job_runner):      # parametrised: "thread", then "redis"
        ... enqueue ...
        job_runner.run()                  # every queued job has ended when this returns
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from provider_portal.jobs import wait_for_jobs
from tests.servers import OwnRedis, own_redis

ROOT = Path(__file__).resolve().parents[1]
WORKER_TIMEOUT_SECONDS = 120


@pytest.fixture(autouse=True)
def _jobs_finished() -> Iterator[None]:
    """A job a test started in a thread ends before the next test empties the database."""
    yield
    wait_for_jobs()


@pytest.fixture(scope="session")
def job_redis() -> Iterator[OwnRedis]:
    """This test worker's own Redis server."""
    with own_redis() as server:
        yield server


def redis_url(server: OwnRedis) -> str:
    """The server's address as redis-py and RQ read it."""
    return f"unix://{server.socket}"


def run_worker(app: Flask, url: str) -> subprocess.CompletedProcess[str]:
    """Run `flask --app wsgi jobs worker --burst` against the test database and the Redis at
    url, until the queue is empty; its output is returned for the test to read."""
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TEST_JOBS_REDIS_URL": url,
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_SECONDS,
        check=False,
    )


@dataclass
class JobRunner:
    """How the test's jobs run: name is "thread" or "redis"."""

    name: str
    app: Flask
    url: str = ""
    last_output: str = ""

    def run(self) -> None:
        """Run every job enqueued so far to its end."""
        if not self.url:
            wait_for_jobs()
            return
        finished = run_worker(self.app, self.url)
        self.last_output = finished.stdout + finished.stderr
        assert finished.returncode == 0, self.last_output


@pytest.fixture(params=["thread", "redis"])
def job_runner(
    request: pytest.FixtureRequest, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JobRunner]:
    """Jobs enqueued by the test run in a thread of this process, or on Redis by a worker."""
    if request.param == "thread":
        monkeypatch.setitem(app.config, "REDIS_URL", "")
        yield JobRunner("thread", app)
        return
    server: OwnRedis = request.getfixturevalue("job_redis")
    url = redis_url(server)
    Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    yield JobRunner("redis", app, url)
