"""Every upload passes the virus scanner before it is stored; with the scanner down, nothing is
stored and the person is told on a 503 page (fail closed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Document
from tests import files
from tests.clamd import FakeClamd
from tests.helpers import check_page_hygiene
from tests.provider.conftest import Uploader, stored_files

SCANNER_DOWN = "Files cannot be checked for viruses at the moment, so nothing was saved"


def _refusals() -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "upload_refused")
            .order_by(AuditEvent.id)
        )
    )


def _nothing_stored(app: Flask) -> None:
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_files(app) == []


@pytest.fixture
def scanner_at(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """scanner_at(address): scan with clamd at address for the length of the test."""

    def point(address: str, timeout: int = 5) -> None:
        settings = {"SCANNER": "clamd", "CLAMD_SOCKET": address, "CLAMD_TIMEOUT": timeout}
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)

    return point


@pytest.mark.parametrize(
    ("build", "filename"),
    [
        (lambda: files.pdf_with_stream(files.EICAR), "advice.pdf"),
        (lambda: files.docx_with_part("word/media/eicar.com", files.EICAR), "advice.docx"),
    ],
    ids=["pdf", "docx"],
)
def test_the_eicar_test_file_is_refused_and_audited(app, scanning, uploader, build, filename):
    response = uploader(build(), filename)
    assert response.status_code == 200
    assert "The selected file contains a virus, so it was not saved" in response.get_data(
        as_text=True
    )
    _nothing_stored(app)
    [detail] = _refusals()
    assert " reason=virus signature=" in detail
    if not os.environ.get("TEST_CLAMD_SOCKET"):  # the test clamd's own signature
        assert detail.endswith("signature=Portal.Test.EICAR.UNOFFICIAL")  # a custom one


@pytest.mark.parametrize(
    ("data", "filename"),
    [(files.PDF_BYTES, "advice.pdf"), (files.docx_bytes(), "plan.docx")],
    ids=["pdf", "docx"],
)
def test_clean_files_pass_the_scanner_and_are_stored(app, scanning, uploader, data, filename):
    assert uploader(data, filename).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    assert _refusals() == []


def test_scanner_stopped_gives_a_503_page_and_stores_nothing(
    app, uploader: Uploader, scanner_at, tmp_path: Path
):
    scanner_at(str(tmp_path / "no-clamd-here.sock"))
    response = uploader(files.PDF_BYTES, "advice.pdf")
    assert response.status_code == 503
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_page_hygiene(soup)
    assert soup.h1.get_text(strip=True) == "The service is not available at the moment"
    assert SCANNER_DOWN in soup.get_text(" ", strip=True)
    assert "Traceback" not in response.get_data(as_text=True)
    _nothing_stored(app)
    assert [d.split(" ", 1)[1] for d in _refusals()] == ["reason=scanner_unavailable"]


def test_scanner_stopped_answers_htmx_with_the_message_in_the_page(
    app, uploader: Uploader, scanner_at, tmp_path: Path
):
    scanner_at(str(tmp_path / "no-clamd-here.sock"))
    response = uploader(files.PDF_BYTES, "advice.pdf", htmx=True)
    assert response.status_code == 503
    assert response.headers["HX-Retarget"] == "#main-content"
    assert SCANNER_DOWN in response.get_data(as_text=True)
    _nothing_stored(app)


def test_scanner_refusing_connections_over_tcp_gives_a_503(app, uploader, scanner_at, refused_port):
    scanner_at(f"127.0.0.1:{refused_port}")
    assert uploader(files.docx_bytes(), "plan.docx").status_code == 503
    _nothing_stored(app)


def test_a_scanner_that_never_answers_times_out_and_nothing_is_stored(
    app, uploader, scanner_at, tmp_path: Path
):
    with FakeClamd(tmp_path / "hangs.sock", reply=None) as fake:
        scanner_at(str(fake.path), timeout=1)
        response = uploader(files.PDF_BYTES, "advice.pdf")
    assert response.status_code == 503
    assert fake.files == [files.PDF_BYTES]  # the whole file was streamed to it
    _nothing_stored(app)


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        (b"stream: Win.Test.Fake-1 FOUND\n", 200, "reason=virus signature=Win.Test.Fake-1"),
        (b"stream: Can't allocate memory ERROR\n", 503, "reason=scanner_unavailable"),
        (b"INSTREAM size limit exceeded. ERROR\n", 503, "reason=scanner_unavailable"),
        (b"", 503, "reason=scanner_unavailable"),
    ],
    ids=["found", "error", "too-long", "no-answer"],
)
def test_each_answer_from_the_scanner(app, uploader, scanner_at, tmp_path, reply, status, reason):
    with FakeClamd(tmp_path / "clamd.sock", reply=reply) as fake:
        scanner_at(str(fake.path))
        response = uploader(files.PDF_BYTES, "advice.pdf")
    assert response.status_code == status
    _nothing_stored(app)
    assert [d.split(" ", 1)[1] for d in _refusals()] == [reason]


def test_an_unknown_scanner_setting_refuses_uploads(app, uploader, monkeypatch):
    monkeypatch.setitem(app.config, "SCANNER", "clamav")
    assert uploader(files.PDF_BYTES, "advice.pdf").status_code == 503
    _nothing_stored(app)
