"""Audit rows and stored documents made directly, for the audit and retention tests."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from provider_portal.documents import DOCX, PDF
from provider_portal.extensions import db
from provider_portal.models import Allocation, AuditEvent, CasePaper, Document, User
from provider_portal.storage import file_store
from tests.files import PDF_BYTES, docx_bytes

_names = itertools.count(1)


def event(
    action: str,
    when: datetime | None = None,
    actor: User | None = None,
    **values: Any,
) -> AuditEvent:
    """An audit row as provider_portal.audit would write it, at a chosen time."""
    row = AuditEvent(
        action=action,
        occurred_at=when or datetime.now(UTC),
        actor_id=actor.id if actor else None,
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def stored_document(allocation: Allocation, kind: str = "pdf", version: int = 1) -> Document:
    """A document row with its file in the store, as an upload leaves them."""
    content = PDF_BYTES if kind == "pdf" else docx_bytes()
    stored_name = f"test{next(_names):06d}{hashlib.sha256(content).hexdigest()[:8]}"
    temp = Path(current_app.config["UPLOAD_FOLDER"]) / f".upload-{stored_name}"
    temp.write_bytes(content)
    file_store().keep(temp, stored_name)  # in the folder or the bucket, as configured
    document = Document(
        allocation=allocation,
        version=version,
        original_filename=f"Report on the child.{kind}",
        stored_name=stored_name,
        content_type=PDF if kind == "pdf" else DOCX,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(document)
    db.session.commit()
    return document


def stored_path(document: Document | CasePaper) -> Path:
    """Where a document's file is with STORAGE=local (tests of the store use tests.object_store)."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / document.stored_name
