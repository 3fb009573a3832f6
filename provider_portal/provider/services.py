"""Provider operations: adding a document version to an allocation (once taken on)."""

from __future__ import annotations

from typing import IO

from sqlalchemy import func, select

from provider_portal import audit
from provider_portal.allocations.services import is_taken_on
from provider_portal.documents import remove_stored, store_upload
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Document, User


def add_document(
    allocation: Allocation, stream: IO[bytes], filename: str | None, *, actor: User
) -> Document:
    """Store the file, then record it as the allocation's next version (caller commits).

    The file is on disk before the row commits: a failure leaves an orphan file, never a row
    pointing at nothing.
    """
    if allocation.status not in (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED):
        raise AllocationError("This work is not open for uploads")
    if not is_taken_on(allocation):
        raise AllocationError("Accept the work before you upload to it")
    stored = store_upload(stream, filename)
    try:
        latest = db.session.scalar(
            select(func.max(Document.version)).where(Document.allocation_id == allocation.id)
        )
        document = Document(
            allocation=allocation,
            version=(latest or 0) + 1,
            original_filename=stored.original_filename,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
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
    except BaseException:
        remove_stored(stored.stored_name)
        raise
    return document
