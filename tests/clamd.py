"""ClamAV for the scanner tests: each test worker starts its own clamd (Debian's
clamav-daemon) on a unix socket in its temp folder, with a signature database written here
holding one signature, for the EICAR test file. No signature download is needed, or possible.

Without clamd the tests that need it are skipped, except on CI (CI=true), where they fail.
TEST_CLAMD_SOCKET points the tests at a clamd already running instead (a real one with the
official signatures detects the same files: they hold the EICAR file whole).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clamav_client.clamd import ClamdError, ClamdUnixSocket
from flask import Flask

from tests.files import EICAR

SIGNATURE = "Portal.Test.EICAR"
STARTUP_SECONDS = 30


def clamd_binary() -> str | None:
    """clamd on the PATH, in /usr/sbin (not on a normal user's PATH), or CLAMD_PATH."""
    for candidate in (os.environ.get("CLAMD_PATH"), shutil.which("clamd"), "/usr/sbin/clamd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: CI needs it (.ci/run installs clamav-daemon)")
    pytest.skip(f"{message}: the virus scanner tests are skipped (apt-get install clamav-daemon)")


def _answers(socket_path: str) -> bool:
    try:
        return ClamdUnixSocket(socket_path, timeout=2).ping() == "PONG"
    except (ClamdError, OSError):
        return False


def write_config(folder: Path) -> Path:
    """A clamd configuration that needs nothing outside folder: a one-signature database
    (an .ndb body signature: the EICAR bytes anywhere, in any file clamd unpacks), a
    socket, a log and a temp folder. clamd 1.x starts with only such a custom database."""
    database = folder / "db"
    database.mkdir(parents=True, exist_ok=True)
    (database / "portal-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    (folder / "tmp").mkdir(exist_ok=True)
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {folder / 'clamd.sock'}\n"
        f"DatabaseDirectory {database}\n"
        f"TemporaryDirectory {folder / 'tmp'}\n"
        f"LogFile {folder / 'clamd.log'}\n"
        f"PidFile {folder / 'clamd.pid'}\n"
        "Foreground yes\n"
        "LogTime yes\n"
    )
    return config


@pytest.fixture(scope="session")
def clamd_socket(tmp_root: Path) -> Iterator[str]:
    """The unix socket of a clamd that knows the EICAR test file (this worker's own)."""
    given = os.environ.get("TEST_CLAMD_SOCKET")
    if given:
        if not _answers(given):
            _missing(f"No clamd answers at TEST_CLAMD_SOCKET={given}")
        yield given
        return
    binary = clamd_binary()
    if binary is None:
        _missing("clamd is not installed")
        return
    folder = tmp_root / "clamd"
    config = write_config(folder)
    socket_path = str(folder / "clamd.sock")
    process = subprocess.Popen(
        [binary, "--config-file", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(socket_path):
            log = folder / "clamd.log"
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                pytest.fail(f"clamd did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.05)
        yield socket_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def scanning(app: Flask, clamd_socket: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The app scans uploads with the test clamd for the length of the test."""
    settings = {"SCANNER": "clamd", "CLAMD_SOCKET": clamd_socket, "CLAMD_TIMEOUT": 20}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return clamd_socket


class FakeClamd:
    """A unix socket that speaks just enough of clamd's INSTREAM for tests of what the
    portal does with each answer: it reads the whole file, then sends `reply`, or with
    reply=None holds the connection open without a word (a scanner that hangs).

    `streamed` is set each time a whole file has arrived; `files` holds them.
    """

    def __init__(self, path: Path, reply: bytes | None = b"stream: OK\n") -> None:
        self.path = path
        self.reply = reply
        self.files: list[bytes] = []
        self.streamed = threading.Event()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()

    def __enter__(self) -> FakeClamd:
        self._server.bind(str(self.path))
        self._server.listen(8)
        self._server.settimeout(0.1)
        threading.Thread(target=self._serve, name="fake-clamd", daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closed.set()
        for connection in [*self._connections, self._server]:
            connection.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            self._connections.append(connection)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            reader = connection.makefile("rb")
            if reader.readline().strip() != b"nINSTREAM":
                return
            data = b""
            while size := struct.unpack("!L", reader.read(4))[0]:
                data += reader.read(size)
            self.files.append(data)
            self.streamed.set()
            if self.reply is not None:
                connection.sendall(self.reply)
                connection.close()
