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

    # A NUL typed or pasted with the name: PostgreSQL refuses it in text, and that was a 500
    # whose log held the name. Now the request is refused before anything reads it.
    searched = manager.get("/cases", query_string={"q": f"{NAME}\x00"})
    assert searched.status_code == 400
    searched = manager.post("/cases", {"q": f"{NAME}\x00"})  # where the search box goes
    assert searched.status_code == 400
    noted = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-reason": "school_holiday",
            "exception-starts_on": ["12", "7", "2024"],
            "exception-note": f"{NAME} {SURNAME}\x00",
        },
    )
    assert noted.status_code == 400
    assert NAME not in noted.get_data(as_text=True)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged += "\n".join(str(record.exc_info) for record in caplog.records if record.exc_info)
    for secret in (NAME, SURNAME, DOB.isoformat(), DOB.strftime("%d/%m/%Y")):
        assert secret not in logged


def test_sql_errors_carry_no_values(app):
    """Every environment's engine hides the values bound to a statement, so a database error
    (and its log line) shows the SQL but never the name it was run with."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from config import CONFIGS
    from provider_portal.extensions import db

    for config in CONFIGS.values():
        assert config.SQLALCHEMY_ENGINE_OPTIONS.get("hide_parameters") is True, config
    assert db.engine.hide_parameters
    try:
        db.session.execute(
            text("SELECT no_such_column FROM work_type WHERE code = :name"), {"name": NAME}
        )
    except DBAPIError as error:
        assert NAME not in str(error)
    else:
        raise AssertionError("the statement should have failed")
    finally:
        db.session.rollback()
