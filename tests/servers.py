"""Servers a fault test starts, stops and restarts by itself: its own PostgreSQL cluster and its
own Redis, each in a temporary folder of the test worker that asked for it.

Each listens only on a Unix socket inside that folder (no TCP port at all), so two pytest-xdist
workers can never reach each other's server, and the shared PostgreSQL and Redis the rest of the
suite uses are never stopped. The folder is a fresh one under the system's temporary folder, not
pytest's tmp_path: a socket's path must stay under 108 bytes, and the `postgres` user must be
able to reach it. Without the programs the test is skipped, except on CI.

    with own_redis() as server:        # server.url for Flask-Limiter
        server.stop(); server.start()  # or server.pause() / server.resume()
    with own_postgres() as server:     # server.url for SQLAlchemy
        server.stop(); server.start(); server.restart()
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def require_program(name: str, *folders: str) -> str:
    """The program's full path: from PATH, else the first folder holding it; skipped without
    it (failed on CI, which installs it)."""
    found = shutil.which(name) or next(
        (str(Path(f) / name) for f in folders if (Path(f) / name).exists()), None
    )
    if found is None:
        message = f"{name} is not installed: this fault test starts its own server"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI needs it")
        pytest.skip(message)
    return found


def _wait_until(ready: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout} s")
        time.sleep(0.02)


class OwnRedis:
    """redis-server with no persistence, on a Unix socket in its folder."""

    def __init__(self, folder: Path) -> None:
        self.program = require_program("redis-server")
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.url = f"redis+unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.program, "--port", "0", "--unixsocket", str(self.socket)]
            + ["--unixsocketperm", "700", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.folder), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until(self.socket.exists, "redis-server")

    def stop(self) -> None:
        """Shut the server down; its socket goes with it, so connecting is refused."""
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        self.socket.unlink(missing_ok=True)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted, nothing is ever answered,
        as when a network drops packets instead of refusing them."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    folder = Path(tempfile.mkdtemp(prefix="portal-redis-"))
    try:
        server = OwnRedis(folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


POSTGRES_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


class OwnPostgres:
    """A PostgreSQL cluster made with initdb, run as the `postgres` OS user when the tests run
    as root (PostgreSQL refuses root), listening only on a Unix socket in its folder."""

    def __init__(self, folder: Path) -> None:
        self.initdb = require_program("initdb", *POSTGRES_BIN)
        self.pg_ctl = require_program("pg_ctl", *POSTGRES_BIN)
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.log = folder / "server.log"
        self.as_owner: list[str] = []
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            self.as_owner = ["runuser", "-u", "postgres", "--"]
            for path in (folder, self.socket_dir):
                shutil.chown(path, "postgres", "postgres")
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_owner, *args], check=True, capture_output=True, timeout=60)

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", *options, action)

    def create(self) -> None:
        """initdb, then settings for a throwaway cluster: no TCP, no waiting for the disk."""
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")
        settings = (
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
            "shared_buffers = 16MB\nmax_connections = 20\n"
        )
        conf = self.data / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write(settings)

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    try:
        server = OwnPostgres(folder)
        server.create()
        server.start()
        try:
            yield server
        finally:
            if server.is_running():
                server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
