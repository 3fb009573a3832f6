"""Uploaded documents: recognised by content, stored under random names, hashed, served safely."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from werkzeug.exceptions import NotFound

from provider_portal.errors import UploadRejected
from provider_portal.models import Document
from provider_portal.settings import setting

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx"}
MAX_DOCX_ENTRIES = 1000
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
MAX_DOCX_RATIO = 100
CHUNK = 1024 * 1024


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


def _check_docx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_DOCX_ENTRIES:
                raise UploadRejected("The Word document has too many parts to be checked safely")
            names = {entry.filename for entry in entries}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise UploadRejected("The file must be a PDF or a Word document (.docx)")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise UploadRejected(
                    "Word documents with macros cannot be uploaded. Save it as .docx"
                )
            unpacked = sum(entry.file_size for entry in entries)
            packed = sum(entry.compress_size for entry in entries) or 1
            if unpacked > MAX_DOCX_UNPACKED or unpacked / packed > MAX_DOCX_RATIO:
                raise UploadRejected("The Word document could not be checked safely")
            content_types = archive.read("[Content_Types].xml")[:200_000]
            if b"macroEnabled" in content_types or b"<!DOCTYPE" in content_types.upper():
                raise UploadRejected(
                    "Word documents with macros cannot be uploaded. Save it as .docx"
                )
    except zipfile.BadZipFile as error:
        raise UploadRejected("The file must be a PDF or a Word document (.docx)") from error


def sniff(path: Path) -> str:
    """The content type, judged by the bytes: PDF or DOCX, anything else refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        _check_docx(path)
        return DOCX
    raise UploadRejected("The file must be a PDF or a Word document (.docx)")


def store_upload(stream: IO[bytes], original_filename: str | None) -> StoredFile:
    """Copy to a temp file, check it, fsync and rename into the store under a random name."""
    folder = Path(setting("UPLOAD_FOLDER"))
    folder.mkdir(parents=True, exist_ok=True)
    limit = setting("MAX_UPLOAD_MB") * 1024 * 1024
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(
                        f"The file must be smaller than {setting('MAX_UPLOAD_MB')} MB"
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadRejected("The selected file is empty")
        content_type = sniff(temp_path)
        stored_name = secrets.token_hex(16)
        temp_path.rename(folder / stored_name)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return StoredFile(
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=size,
        sha256=digest.hexdigest(),
        original_filename=clean_filename(original_filename, content_type),
    )


def remove_stored(stored_name: str) -> None:
    """Delete a stored file whose database row never committed."""
    (Path(setting("UPLOAD_FOLDER")) / stored_name).unlink(missing_ok=True)


class IntegrityFailure(Exception):
    """The stored file no longer matches the hash recorded when it was uploaded."""


class DocumentRemoved(NotFound):
    """The file was deleted under the retention policy; its row stays so figures add up.

    A 404 (NotFound) so that a download route that does not catch it still answers 404,
    never 500; routes may catch it to show the description.
    """

    description = "This document was removed under the council's retention policy."


def checked_file(document: Document) -> Path:
    """The document's stored file, once it matches the SHA-256 recorded at upload."""
    if document.deleted_at is not None:
        raise DocumentRemoved()
    path = Path(setting("UPLOAD_FOLDER")) / document.stored_name
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError as error:
        raise IntegrityFailure(document.id) from error
    if digest.hexdigest() != document.sha256:
        raise IntegrityFailure(document.id)
    return path
