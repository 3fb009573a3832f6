"""Uploads and downloads through the portal's pages, on both stores: checked, audited, streamed."""

from __future__ import annotations

import hashlib
import os
import tracemalloc

import pytest
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, CasePaper, Document, Role
from tests.files import PDF_BYTES

PNG = b"\x89PNG\r\n\x1a\n"


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _download(client, document: Document):
    return client.get(f"/allocations/documents/{document.id}")


def test_an_upload_comes_back_byte_for_byte_and_each_download_is_audited(
    app, store, uploader, client_for
):
    assert uploader(PDF_BYTES, "report.pdf").status_code == 303
    document = db.session.scalar(select(Document))
    assert store.names() == [document.stored_name]
    manager = client_for(Role.MANAGER)
    for _ in range(2):
        response = _download(manager, document)
        assert response.status_code == 200 and response.data == PDF_BYTES
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Content-Length"] == str(len(PDF_BYTES))
    assert len(_actions("document_downloaded")) == 2


def test_a_missing_object_is_refused_and_audited_as_an_integrity_failure(
    app, store, uploader, client_for
):
    assert uploader(PDF_BYTES, "report.pdf").status_code == 303
    document = db.session.scalar(select(Document))
    store.remove(document.stored_name)
    response = _download(client_for(Role.MANAGER), document)
    assert response.status_code == 500
    assert b"%PDF" not in response.data
    [failure] = _actions("document_integrity_failure")
    assert failure.object_id == document.id
    assert _actions("document_downloaded") == []


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_an_unreachable_bucket_keeps_nothing_and_says_so(
    app, store, uploader, client_for, monkeypatch, refused_port
):
    assert uploader(PDF_BYTES, "first.pdf").status_code == 303
    document = db.session.scalar(select(Document))
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{refused_port}")

    refused = uploader(PDF_BYTES, "second.pdf")
    assert refused.status_code == 503
    assert "nothing was recorded" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []  # the temp file went too

    unreadable = _download(client_for(Role.MANAGER), document)
    assert unreadable.status_code == 503
    assert "Documents cannot be opened at the moment" in unreadable.get_data(as_text=True)
    assert _actions("document_integrity_failure") == []


def _traced_peak(action) -> tuple[object, int]:
    """What action returns, and the most memory Python allocated while it ran."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - start


def test_a_file_bigger_than_any_buffer_is_never_held_in_memory(
    app, store, make, client_for, monkeypatch, tmp_path
):
    """24 MB: above werkzeug's 500 KB form spool, and three parts of a multipart put."""
    size = 24 * 1024 * 1024
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 30)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 31 * 1024 * 1024)
    source = tmp_path / "scan.png"
    digest = hashlib.sha256(PNG)
    with source.open("wb") as out:
        out.write(PNG)
        for _ in range(24):
            block = os.urandom(1024 * 1024 - (len(PNG) if _ == 0 else 0))
            digest.update(block)
            out.write(block)
    assert source.stat().st_size == size
    case = make.case()
    manager = client_for(Role.MANAGER)
    manager.token()

    with source.open("rb") as handle:
        uploaded, upload_peak = _traced_peak(
            lambda: manager.post(
                f"/cases/{case.id}/papers",
                {
                    "paper-kind": "other",
                    "paper-title": "Scanned form",
                    "paper-file": (handle, "scan.png"),
                    "paper-nonce": os.urandom(16).hex(),
                },
                content_type="multipart/form-data",
            )
        )
    assert uploaded.status_code == 303  # type: ignore[attr-defined]
    paper = db.session.scalar(select(CasePaper))
    assert (paper.size_bytes, paper.sha256) == (size, digest.hexdigest())

    def download() -> str:
        response = manager.get(f"/cases/{case.id}/papers/{paper.id}", buffered=False)
        assert response.status_code == 200
        received = hashlib.sha256()
        for chunk in response.response:
            received.update(chunk)
        response.close()
        return received.hexdigest()

    downloaded, download_peak = _traced_peak(download)
    assert downloaded == digest.hexdigest()
    assert upload_peak < size / 4, upload_peak
    assert download_peak < size / 4, download_peak
