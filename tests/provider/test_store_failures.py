"""The document store full or read-only: the person is told the file could not be saved,
nothing is recorded, no partial or temp file is left, and the next upload works once there is
room again.

A real full filesystem (a small tmpfs) needs root and a system that lets tests mount one;
where that is not allowed those tests are skipped, and a full disk is simulated in the
storage layer instead (that test always runs).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from provider_portal import documents
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Document
from tests import files
from tests.provider.conftest import Uploader

COULD_NOT_SAVE = "The file could not be saved, so nothing was recorded. Try again later."
# A PDF of about 200 KB: bigger than the room left on the full filesystem below.
BIG_PDF = files.pdf_with_stream(b"% padding\n" * 20_000)


class _FillsUp:
    """A temp file on a disk with `room` bytes left: writes past it fail with ENOSPC, as a
    real write() does, after writing what fits."""

    def __init__(self, real: IO[bytes], room: int) -> None:
        self._real = real
        self._room = room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            self._real.write(data[: self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._real.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FillsUp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._real.close()


def _refusals() -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "upload_refused"))
    )


def _told_and_nothing_recorded(response: Any, folder: Path) -> None:
    assert response.status_code == 503
    assert COULD_NOT_SAVE in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert os.listdir(folder) == []  # no partial file, no temp file
    assert [detail.split(" ", 1)[1] for detail in _refusals()] == ["reason=storage_failed"]


def test_a_full_disk_simulated_in_the_store(app: Flask, uploader: Uploader, monkeypatch):
    real_temp_file = documents._temp_file

    def full_disk(folder: Path) -> tuple[Any, Path]:
        handle, path = real_temp_file(folder)
        return _FillsUp(handle, room=4096), path

    monkeypatch.setattr(documents, "_temp_file", full_disk)
    response = uploader(BIG_PDF, "advice.pdf")
    _told_and_nothing_recorded(response, Path(app.config["UPLOAD_FOLDER"]))

    monkeypatch.undo()  # room again: the portal carries on
    assert uploader(BIG_PDF, "advice.pdf").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def small_filesystem(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs with the upload folder on it, for the length of the test."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the simulated full disk covers this")
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount_point))
    if mounted.returncode != 0:
        pytest.skip(f"this system does not allow mounting a tmpfs: {mounted.stderr.strip()}")
    saved = app.config["UPLOAD_FOLDER"]
    store = mount_point / "uploads"
    store.mkdir()
    app.config["UPLOAD_FOLDER"] = str(store)
    try:
        yield mount_point
    finally:
        app.config["UPLOAD_FOLDER"] = saved
        _run("umount", "-l", str(mount_point))


def _fill(mount_point: Path, leave: int) -> Path:
    """Fill the filesystem until only about `leave` bytes are free."""
    filler = mount_point / "filler"
    stats = os.statvfs(mount_point)
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))
    return filler


def test_the_upload_folder_full(app: Flask, uploader: Uploader, small_filesystem: Path):
    filler = _fill(small_filesystem, leave=64 * 1024)
    response = uploader(BIG_PDF, "advice.pdf")
    _told_and_nothing_recorded(response, Path(app.config["UPLOAD_FOLDER"]))

    filler.unlink()
    assert uploader(BIG_PDF, "advice.pdf").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_the_upload_folder_read_only(app: Flask, uploader: Uploader, small_filesystem: Path):
    remounted = _run("mount", "-o", "remount,ro", str(small_filesystem))
    assert remounted.returncode == 0, remounted.stderr
    response = uploader(files.PDF_BYTES, "advice.pdf")
    _told_and_nothing_recorded(response, Path(app.config["UPLOAD_FOLDER"]))

    assert _run("mount", "-o", "remount,rw", str(small_filesystem)).returncode == 0
    assert uploader(files.PDF_BYTES, "advice.pdf").status_code == 303


def test_the_upload_folder_not_writable(app: Flask, uploader: Uploader):
    """Without root, a folder the portal may not write to (root writes anywhere: skipped)."""
    if os.geteuid() == 0:
        pytest.skip("root writes to any folder; the read-only tmpfs test covers this as root")
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.chmod(0o555)
    try:
        response = uploader(files.PDF_BYTES, "advice.pdf")
    finally:
        folder.chmod(0o755)
    _told_and_nothing_recorded(response, folder)
