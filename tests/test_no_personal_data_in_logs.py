"""Logs carry ids, never a child's name or date of birth, even when things go wrong."""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

from provider_portal.models import Role
from tests.files import PDF_BYTES

NAME = "Zephyrine"
SURNAME = "Quillfeather"
DOB = date(2014, 7, 19)


def test_a_session_logs_no_personal_data(app, make, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make.provider("Northbrook")
    case = make.case(first_name=NAME, last_name=SURNAME, date_of_birth=DOB)
    allocation = make.allocation(case=case, provider=provider)
    manager = client_for(Role.MANAGER)
    provider_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)

    manager.get(f"/cases/{case.id}")
    manager.get("/cases/backlog")
    provider_admin.post(f"/provider/allocations/{allocation.id}/accept", {})
    provider_admin.post(
        f"/provider/allocations/{allocation.id}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), f"{NAME} {SURNAME}.pdf")},
        content_type="multipart/form-data",
    )
    # An upload that is refused, and a document whose file was tampered with (a 500).
    provider_admin.post(
        f"/provider/allocations/{allocation.id}/documents",
        {"upload-document": (io.BytesIO(b"<html>"), f"{NAME}.pdf")},
        content_type="multipart/form-data",
    )
    for path in Path(app.config["UPLOAD_FOLDER"]).iterdir():
        path.write_bytes(b"%PDF-tampered")
    from sqlalchemy import select

    from provider_portal.extensions import db
    from provider_portal.models import Document

    document = db.session.scalar(select(Document))
    failed = manager.get(f"/allocations/documents/{document.id}")
    assert failed.status_code == 500
    assert "quote reference" in failed.get_data(as_text=True)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged += "\n".join(str(record.exc_info) for record in caplog.records if record.exc_info)
    for secret in (NAME, SURNAME, DOB.isoformat(), DOB.strftime("%d/%m/%Y")):
        assert secret not in logged
