"""Uploads are judged by content, kept under random names, and refused when hostile."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from provider_portal.documents import clean_filename
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Document, Role
from tests import files
from tests.files import PDF_BYTES, docx_bytes, zip_bomb_docx
from tests.provider.conftest import stored_files


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "report.pdf", "must be a PDF or a Word"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 100, "report.pdf", "must be a PDF or a Word"),
        (b"PK\x03\x04not really a zip", "report.docx", "must be a PDF or a Word"),
        (docx_bytes({"word/vbaProject.bin": b"macro"}), "report.docm", "macros"),
        (
            docx_bytes(
                content_types=b"<Types>application/vnd.ms-word.document.macroEnabled</Types>"
            ),
            "report.docx",
            "macros",
        ),
        (zip_bomb_docx(), "report.docx", "could not be checked safely"),
        (b"", "empty.pdf", "The selected file is empty"),
        (files.docx_with_remote_template(), "report.docx", "load a template, picture"),
        (files.docx_with_ole_object(), "report.docx", "embedded objects or ActiveX"),
        (files.docx_with_altchunk(), "report.docx", "embedded web pages or other documents"),
        (files.docx_with_doctype("utf-16"), "report.docx", "document type declaration"),
        (files.docx_with_content_types_doctype(), "report.docx", "document type declaration"),
        (files.pdf_with_javascript(), "report.pdf", "PDFs containing JavaScript"),
        (files.pdf_with_open_action(), "report.pdf", "run an action when they are opened"),
        (files.pdf_with_launch(), "report.pdf", "start other programs"),
        (files.pdf_with_embedded_file(), "report.pdf", "files attached or embedded"),
        (files.pdf_with_xfa(), "report.pdf", "XFA forms"),
        (files.pdf_with_hidden_script(), "report.pdf", "PDFs containing JavaScript"),
        (files.UNREADABLE_PDF, "report.pdf", "The PDF could not be read"),
    ],
)
def test_refused_uploads_store_nothing(app, uploader, data, filename, message):
    response = uploader(data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert stored_files(app) == []


def test_a_refused_upload_is_audited_with_its_reason_and_not_its_name(app, uploader):
    response = uploader(files.pdf_with_javascript(), "Amelia Hartley-Jones EHC advice.pdf")
    assert "PDFs containing JavaScript" in response.get_data(as_text=True)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "upload_refused"))
    allocation_id = event.object_id
    assert event.object_type == "allocation"
    assert event.detail == f"allocation={allocation_id} reason=pdf_javascript"
    assert event.actor_id is not None and event.case_id is not None
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_file_over_the_limit_is_refused_with_a_clear_error(app, uploader):
    too_big = PDF_BYTES + b"0" * (1024 * 1024)
    response = uploader(too_big, "big.pdf")
    assert response.status_code == 200
    assert "The file must be smaller than 1 MB" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_request_far_over_the_limit_gets_413_page(app, uploader):
    response = uploader(PDF_BYTES + b"0" * (3 * 1024 * 1024), "huge.pdf")
    assert response.status_code == 413
    assert "The file must be smaller than 1 MB" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_stored_under_random_name_with_hash(app, store, uploader):
    response = uploader(docx_bytes(), "../../etc/passwd.docx")
    assert response.status_code == 303
    document = db.session.scalar(select(Document))
    assert document.original_filename == "passwd.docx"
    assert document.content_type.endswith("wordprocessingml.document")
    assert store.names() == [document.stored_name] and len(document.stored_name) == 32
    assert hashlib.sha256(store.read(document.stored_name)).hexdigest() == document.sha256
    # No temp files left behind; with a bucket, nothing kept in the folder either.
    assert stored_files(app) == ([document.stored_name] if store.backend == "local" else [])


def test_tampered_file_is_not_served(app, store, uploader, make, client_for):
    assert uploader(PDF_BYTES, "a.pdf").status_code == 303
    document = db.session.scalar(select(Document))
    store.write(document.stored_name, b"%PDF-changed")
    manager = client_for(Role.MANAGER)
    response = manager.get(f"/allocations/documents/{document.id}")
    assert response.status_code == 500
    assert "reference" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("evil\u202egpj.pdf", "evilgpj.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("CON.pdf", "CON.pdf"),
        ("", "document.pdf"),
        ("résumé.PDF", "résumé.pdf"),
        ("noextension", "noextension.pdf"),
    ],
)
def test_clean_filename(name, expected):
    assert clean_filename(name, "application/pdf") == expected


def test_long_filenames_are_shortened():
    assert len(clean_filename("x" * 300 + ".pdf", "application/pdf")) == 154


def test_download_has_safe_headers(uploader, client_for):
    assert uploader(PDF_BYTES, 'quote"; name.pdf').status_code == 303
    document = db.session.scalar(select(Document))
    manager = client_for(Role.MANAGER)
    response = manager.get(f"/allocations/documents/{document.id}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "\r" not in disposition and "\n" not in disposition
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
