"""The portal under gunicorn (two sync workers, on a port bound here) on the suite's own
database and upload folder, with a fake clamd the tests can make hang; and a small HTTP
client that signs in, carries the session cookie and the CSRF token, and can send half a
request."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from provider_portal.models import User
from tests.clamd import FakeClamd
from tests.helpers import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def worker_pids(master: int) -> set[int]:
    """The live (not zombie) children of the gunicorn master."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so read after its last ")".
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == master and state != "Z":
            children.add(int(entry.name))
    return children


@dataclass
class Server:
    """A running gunicorn: its master process, port, request log and fake scanner."""

    process: subprocess.Popen[bytes]
    port: int
    markers: Path
    log: Path
    scanner: FakeClamd
    seen: int = field(default=0)

    def wait_for_workers(self, count: int = 2, timeout: float = STARTUP_SECONDS) -> set[int]:
        deadline = time.monotonic() + timeout
        while len(pids := worker_pids(self.process.pid)) < count:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"{len(pids)} gunicorn workers running"
            time.sleep(0.02)
        return pids

    def handler_of(self, method: str, path: str, timeout: float = 10) -> int:
        """The pid of the worker that started the next request for method and path."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.markers.read_text().splitlines() if self.markers.exists() else []
            for number, line in enumerate(lines[self.seen :], start=self.seen):
                pid, seen_method, seen_path = line.split(" ", 2)
                if (seen_method, seen_path) == (method, path):
                    self.seen = number + 1
                    return int(pid)
            time.sleep(0.002)
        raise AssertionError(f"no worker started {method} {path}")

    def kill(self, pid: int) -> None:
        """SIGKILL the worker, and wait until the master has reaped it."""
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid in worker_pids(self.process.pid):
            assert time.monotonic() < deadline, f"worker {pid} still there"
            time.sleep(0.01)

    def client(self) -> LiveClient:
        self.skip_markers()
        return LiveClient(self.port)

    def skip_markers(self) -> None:
        """Forget the requests logged so far (another test's, say)."""
        if self.markers.exists():
            self.seen = len(self.markers.read_text().splitlines())


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    content: bytes = b""  # the body as it came, for a download


class LiveClient:
    """Just enough of a browser: a cookie jar, the CSRF token and multipart forms."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
            content = response.read()
            body = content.decode(errors="replace")
            return Reply(response.status, dict(response.headers), body, content)
        finally:
            connection.close()

    def token(self, path: str = "/sign-in") -> str:
        reply = self.request("GET", path)
        soup = BeautifulSoup(reply.body, "html.parser")
        return str(json.loads(str(soup.body["hx-headers"]))["X-CSRFToken"])

    def post(self, path: str, fields: dict[str, str], token: str) -> Reply:
        body, content_type = multipart({**fields, "csrf_token": token})
        return self.request("POST", path, body, {"Content-Type": content_type})

    def sign_in(self, user: User) -> None:
        token = self.token()
        reply = self.post("/sign-in", {"email": user.email, "password": TEST_PASSWORD}, token)
        assert reply.status == 303, reply.body[:500]

    def raw(self, path: str, body: bytes, content_type: str) -> bytes:
        """A whole POST request as bytes, to send a piece at a time."""
        headers = self._headers({"Content-Type": content_type, "Content-Length": str(len(body))})
        head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return (head + "\r\n").encode() + body


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for name, (filename, data) in (files or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@contextmanager
def run_gunicorn(folder: Path, settings: dict[str, str]) -> Iterator[Server]:
    """gunicorn with two workers serving tests/reliability/gunicorn_app, with a fake clamd of
    its own; settings is the rest of its environment (the PORTAL_TEST_SERVER_* variables that
    gunicorn_app reads, and any the portal's Config reads itself)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    port = int(listener.getsockname()[1])
    markers = folder / "requests.log"
    log = folder / "gunicorn.log"
    with FakeClamd(folder / "clamd.sock") as scanner:
        environment = {
            **os.environ,
            "PORTAL_TEST_SERVER_SCANNER": "clamd",
            "PORTAL_TEST_SERVER_CLAMD": str(scanner.path),
            "PORTAL_TEST_SERVER_MARKERS": str(markers),
            "PYTHONPATH": str(ROOT),
            **settings,
        }
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", "2",
            "--bind", f"fd://{listener.fileno()}",
            "--preload",
            "--config", "python:tests.reliability.gunicorn_conf",
            "--timeout", "30",
            "--graceful-timeout", "2",
            "--no-control-socket",  # else every gunicorn shares ~/.gunicorn/gunicorn.ctl
            "tests.reliability.gunicorn_app:app",
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                pass_fds=[listener.fileno()],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        listener.close()
        running = Server(process, port, markers, log, scanner)
        try:
            running.wait_for_workers()
            yield running
        finally:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def server(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn with two workers on the suite's database and upload folder."""
    settings = {
        "PORTAL_TEST_SERVER_DATABASE": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_TEST_SERVER_UPLOADS": app.config["UPLOAD_FOLDER"],
    }
    with run_gunicorn(tmp_path_factory.mktemp("gunicorn"), settings) as running:
        yield running
