"""Uploaded documents: recognised by content, stored under random names, hashed, served safely."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from werkzeug.exceptions import NotFound

from provider_portal.active_content import NOT_PDF_OR_DOCX, check_docx, check_pdf
from provider_portal.errors import StorageFailed, StoreUnavailable, UploadRejected
from provider_portal.models import CasePaper, Document
from provider_portal.scanner import scan
from provider_portal.settings import setting
from provider_portal.storage import file_store, temp_folder

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", JPEG: ".jpg", PNG: ".png"}
# Scanned forms come to the council as pictures: case papers may be JPEG or PNG as well.
NOT_A_PAPER = "The file must be a PDF, a Word document (.docx), or a JPEG or PNG image"
_IMAGES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
CHUNK = 1024 * 1024
# Uploads on their way in: checked and scanned under this prefix, renamed once accepted.
TEMP_PREFIX = ".upload-"


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size_bytes: int
    sha256: str
    original_filename: str


def clean_filename(name: str | None, content_type: str) -> str:
    """A display name only (never a path): no directories, controls or bidi tricks."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    ).strip(" .")
    if not base:
        base = "document"
    stem, _, _ = base.rpartition(".") if "." in base else (base, "", "")
    stem = (stem or base)[:150]
    return stem + EXTENSIONS[content_type]


def sniff(path: Path, images: bool = False) -> str:
    """The content type, judged by the bytes: PDF or DOCX without active content (see
    active_content), JPEG or PNG too when images are allowed, anything else refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        check_pdf(path)
        return PDF
    if head.startswith(b"PK\x03\x04"):
        check_docx(path)
        return DOCX
    if images:
        for magic, content_type in _IMAGES:
            if head.startswith(magic):
                return content_type
        raise UploadRejected(NOT_A_PAPER, reason="not_a_paper")
    raise UploadRejected(NOT_PDF_OR_DOCX, reason="not_pdf_or_docx")


def stored_columns(stored: StoredFile) -> dict[str, str | int]:
    """The columns a row that names a stored file takes from it (documents, case papers)."""
    return {
        "original_filename": stored.original_filename,
        "stored_name": stored.stored_name,
        "content_type": stored.content_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
    }


@dataclass(frozen=True)
class ReceivedFile(StoredFile):
    """An upload checked and scanned, still in its temp file until keep() renames it."""

    temp_path: Path


def _temp_file(folder: Path) -> tuple[IO[bytes], Path]:
    """A new temp file in the store's folder, open for writing.

    Its own function so that the tests can hand back a file that fills the disk.
    """
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    return os.fdopen(fd, "wb"), Path(temp_name)


def _copy_to_temp(stream: IO[bytes], folder: Path) -> tuple[Path, int, str]:
    """Copy the upload into a temp file, fsynced: its path, size and SHA-256.

    The store refusing the bytes (disk full, read-only, I/O error) is StorageFailed.
    """
    limit = setting("MAX_UPLOAD_MB") * 1024 * 1024
    digest = hashlib.sha256()
    size = 0
    temp_path: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        out, temp_path = _temp_file(folder)
        with out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(
                        f"The file must be smaller than {setting('MAX_UPLOAD_MB')} MB",
                        reason="too_large",
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as error:
        if temp_path is not None:
            temp_path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            log.error("the document store could not take an upload: %s", error.strerror)
            raise StorageFailed() from error
        raise
    return temp_path, size, digest.hexdigest()


def receive_upload(
    stream: IO[bytes], original_filename: str | None, *, images: bool = False
) -> ReceivedFile:
    """Copy the upload to a temp file in the store, fsync it, check its content and scan it.

    images: JPEG and PNG are taken too (case papers: scanned forms).

    Nothing is left behind if any step refuses it. keep() then gives it its stored name.
    """
    temp_path, size, sha256 = _copy_to_temp(stream, temp_folder())
    try:
        if size == 0:
            raise UploadRejected("The selected file is empty", reason="empty")
        content_type = sniff(temp_path, images)
        scan(temp_path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return ReceivedFile(
        stored_name=secrets.token_hex(16),
        content_type=content_type,
        size_bytes=size,
        sha256=sha256,
        original_filename=clean_filename(original_filename, content_type),
        temp_path=temp_path,
    )


def keep(received: ReceivedFile) -> None:
    """Keep the checked file under its stored name, durably (storage.FileStore.keep: a rename
    and an fsynced folder, or a put to the bucket), and the temp file gone.

    Done once its database row is flushed, just before the caller commits: a crash before
    this leaves only a temp file, after it at worst an orphan file, never a row without one.
    """
    try:
        file_store().keep(received.temp_path, received.stored_name)
    except OSError as error:
        log.error("the document store could not keep an upload: %s", error.strerror)
        raise StorageFailed() from error


def discard(received: ReceivedFile) -> None:
    """Delete a received file whose database row never committed, wherever it got to.

    Called while another error is on its way out: a store that cannot delete either (the
    bucket down) must not hide that error. What is left is an orphan without a row, which
    `flask documents check` lists.
    """
    received.temp_path.unlink(missing_ok=True)
    try:
        remove_stored(received.stored_name)
    except OSError:
        log.warning("an upload's file could not be removed: %s", received.stored_name)


def remove_stored(stored_name: str) -> None:
    """Delete a stored file whose database row never committed."""
    file_store().delete(stored_name)


class IntegrityFailure(Exception):
    """The stored file no longer matches the hash recorded when it was uploaded."""


class DocumentRemoved(NotFound):
    """The file was deleted under the retention policy; its row stays so figures add up.

    A 404 (NotFound) so that a download route that does not catch it still answers 404,
    never 500; routes may catch it to show the description.
    """

    description = "This document was removed under the council's retention policy."


def checked_file(document: Document | CasePaper) -> IO[bytes]:
    """The document's (or case paper's) stored file, open at its start, once all of it has
    been read and found to match the SHA-256 recorded at upload. The caller closes it.

    The check comes before the first byte is sent, on both backends: a file streamed while
    it was hashed could only be refused after the person had most of it, and the response
    would already say 200. A bucket's object is therefore copied to an unnamed temp file on
    the way (storage.BucketStore.fetch), never held in memory.
    """
    if document.deleted_at is not None:
        raise DocumentRemoved()
    digest = hashlib.sha256()
    try:
        handle = file_store().fetch(document.stored_name, digest)
    except FileNotFoundError as error:
        raise IntegrityFailure(document.id) from error
    except OSError as error:
        raise StoreUnavailable() from error
    if digest.hexdigest() != document.sha256:
        handle.close()
        raise IntegrityFailure(document.id)
    return handle
