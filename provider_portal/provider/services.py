"""Provider operations: adding a document version to an allocation (once taken on), and
recording an upload that was refused."""

from __future__ import annotations

from typing import IO

from sqlalchemy import func, select

from provider_portal import audit
from provider_portal.allocations.services import allocation_event, is_taken_on
from provider_portal.documents import discard, keep, receive_upload, stored_columns
from provider_portal.errors import (
    AllocationError,
    PortalError,
    ScannerUnavailable,
    StorageFailed,
    UploadRejected,
)
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Document, User


def add_document(
    allocation: Allocation, stream: IO[bytes], filename: str | None, *, actor: User
) -> Document:
    """Check, scan and store the file as the allocation's next version (caller commits).

    The file is received into a temp file, checked and scanned; its row and audit row are
    flushed; only then is it renamed under its stored name, just before the caller commits.
    A failure before the commit leaves at worst an orphan file (which `flask documents
    check` lists), never a row pointing at nothing.
    """
    if allocation.status not in (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED):
        raise AllocationError("This work is not open for uploads")
    if not is_taken_on(allocation):
        raise AllocationError("Accept the work before you upload to it")
    return store_document(allocation, stream, filename, actor=actor)


def store_document(
    allocation: Allocation, stream: IO[bytes], filename: str | None, *, actor: User
) -> Document:
    """Check, scan and store the file as the allocation's next version, whatever the work's
    state (add_document checks that; the demo's history uses this directly)."""
    stored = receive_upload(stream, filename)
    try:
        latest = db.session.scalar(
            select(func.max(Document.version)).where(Document.allocation_id == allocation.id)
        )
        document = Document(
            allocation=allocation,
            version=(latest or 0) + 1,
            **stored_columns(stored),
            uploaded_by_id=actor.id,
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            "document_uploaded",
            "document",
            document.id,
            detail=f"allocation={allocation.id} version={document.version}",
            actor=actor,
            case_id=allocation.case_id,
            provider_id=allocation.provider_id,
        )
        db.session.flush()
        keep(stored)
    except BaseException:
        discard(stored)
        raise
    return document


def record_refused_upload(allocation: Allocation, error: PortalError, *, actor: User) -> None:
    """Audit an upload refused for its content, a virus, or a scanner or store that is down
    (caller commits, after rolling back the upload). The file's name is never recorded: it
    may name the child. A refusal by the work's own rules (closed work) is not an upload."""
    if not isinstance(error, UploadRejected | ScannerUnavailable | StorageFailed):
        return
    detail = f"allocation={allocation.id} reason={error.reason}"
    if isinstance(error, UploadRejected) and error.detail:
        detail += f" {error.detail}"
    allocation_event("upload_refused", allocation, actor, detail=detail)
