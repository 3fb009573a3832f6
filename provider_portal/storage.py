"""Where uploaded files are kept: a folder on this machine, or an S3-compatible bucket.

STORAGE=local (the default) keeps them in UPLOAD_FOLDER, as one server needs. STORAGE=s3 keeps
them in S3_BUCKET under S3_PREFIX, so that any number of servers share them; credentials come
from the standard AWS variables or the instance's role, and every object is written with
server-side encryption (S3_SSE, AES256 by default).

Either way an upload is first written, checked and scanned in a temp file in UPLOAD_FOLDER
(documents.receive_upload), then kept under its random name; nothing here reads a whole file
into memory. A store's failures are OSError (StoreError for the bucket), as a disk's are, so
the callers' handling is the same for both.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

from provider_portal.settings import setting

log = logging.getLogger(__name__)

BACKENDS = ("local", "s3")
CHUNK = 1024 * 1024


class StoreError(OSError):
    """The bucket refused or could not be reached (an OSError, as a disk's failures are)."""


@dataclass(frozen=True)
class StoredObject:
    """A file in the store, as a listing sees it."""

    name: str
    size: int
    modified: datetime


class FileStore(Protocol):
    """What the portal does with stored files, whichever backend keeps them."""

    def keep(self, temp_path: Path, name: str) -> None:
        """Store the checked temp file under name, durably; the temp file is gone after."""

    def chunks(self, name: str) -> Iterator[bytes]:
        """The stored file's bytes, a chunk at a time; FileNotFoundError if it is not there."""

    def fetch(self, name: str, digest: Any) -> IO[bytes]:
        """The stored file, open at its start, its bytes fed to digest on the way."""

    def delete(self, name: str) -> None:
        """Delete the stored file; one already gone is not an error."""

    def objects(self) -> Iterator[StoredObject]:
        """Every object in the store (not uploads in progress), sorted by name."""

    def describe(self) -> str:
        """Where the files are, for messages to the person running a command."""


def check_settings(config: dict[str, Any]) -> None:
    """Refuse to start with a STORAGE the portal does not know, or a bucket store without
    its bucket: uploads would fail at the first attempt, or land somewhere unintended."""
    backend = config.get("STORAGE", "local")
    if backend not in BACKENDS:
        raise RuntimeError(f"STORAGE must be local or s3, not {backend!r}")
    if backend == "s3" and not str(config.get("S3_BUCKET") or "").strip():
        raise RuntimeError("STORAGE=s3 needs S3_BUCKET, the bucket that keeps the documents")


def temp_folder() -> Path:
    """Where uploads are written, checked and scanned before they are kept."""
    return Path(setting("UPLOAD_FOLDER"))


def file_store() -> FileStore:
    """The store the running portal is configured with."""
    if setting("STORAGE") == "s3":
        return BucketStore(
            bucket=setting("S3_BUCKET"),
            prefix=key_prefix(setting("S3_PREFIX")),
            endpoint_url=setting("S3_ENDPOINT_URL") or None,
            region=setting("S3_REGION") or None,
            sse=setting("S3_SSE") or None,
            spool_folder=temp_folder(),
        )
    return FolderStore(temp_folder())


def sha256_chunks(chunks: Iterator[bytes]) -> tuple[int, str]:
    """The size and SHA-256 of a stream of chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def key_prefix(value: str | None) -> str:
    """S3_PREFIX as a folder-like key prefix: 'documents' and 'documents/' are the same."""
    cleaned = (value or "").strip().strip("/")
    return f"{cleaned}/" if cleaned else ""


class FolderStore:
    """Files in a folder on this machine (the embedded default)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, temp_path: Path, name: str) -> None:
        # The temp file is already in the folder: a rename, then the folder fsynced.
        temp_path.rename(self.folder / name)
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def chunks(self, name: str) -> Iterator[bytes]:
        with (self.folder / name).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def fetch(self, name: str, digest: Any) -> IO[bytes]:
        handle = (self.folder / name).open("rb")
        try:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return handle

    def delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def objects(self) -> Iterator[StoredObject]:
        if not self.folder.is_dir():
            return
        for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
            info = entry.stat(follow_symlinks=False)
            # Uploads in progress start with a dot (documents.TEMP_PREFIX); they are not kept yet.
            if entry.name.startswith(".") or not stat.S_ISREG(info.st_mode):
                continue
            yield StoredObject(entry.name, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def describe(self) -> str:
        return f"the folder {self.folder}"


@lru_cache(maxsize=8)
def _client(endpoint_url: str | None, region: str | None) -> Any:
    """One S3 client per endpoint for the process: making one costs tens of milliseconds,
    and boto3's clients are safe to share between threads."""
    import boto3  # noqa: PLC0415 - only a bucket store needs boto3 loaded
    from botocore.config import Config  # noqa: PLC0415

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10),
    )


class BucketStore:
    """Objects in an S3-compatible bucket, under a prefix, encrypted at rest."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str,
        endpoint_url: str | None,
        region: str | None,
        sse: str | None,
        spool_folder: Path,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.sse = sse
        self.spool_folder = spool_folder
        self.client = _client(endpoint_url, region)

    def _failed(self, doing: str, error: Exception) -> StoreError:
        log.error("the document bucket %s could not %s: %s", self.bucket, doing, type(error))
        return StoreError(errno.EIO, f"the bucket could not {doing}")

    def keep(self, temp_path: Path, name: str) -> None:
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        extra = {"ServerSideEncryption": self.sse} if self.sse else {}
        try:
            # upload_file streams from the file, in 8 MB parts above 8 MB; each part in flight
            # holds about 2 MB of buffers, so two at a time keep a worker's memory flat.
            self.client.upload_file(
                str(temp_path),
                self.bucket,
                self.prefix + name,
                ExtraArgs=extra,
                Config=TransferConfig(max_concurrency=2),
            )
        except (BotoCoreError, ClientError) as error:
            raise self._failed("keep an upload", error) from error
        temp_path.unlink(missing_ok=True)

    def chunks(self, name: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from error
            raise self._failed("read a file", error) from error
        except BotoCoreError as error:
            raise self._failed("read a file", error) from error
        try:
            yield from body.iter_chunks(CHUNK)
        except BotoCoreError as error:
            raise self._failed("read a file", error) from error
        finally:
            body.close()

    def fetch(self, name: str, digest: Any) -> IO[bytes]:
        # Copied to a temp file (unnamed, gone once closed) so the whole file is checked
        # against its SHA-256 before the first byte is sent: see documents.checked_file.
        spool = tempfile.TemporaryFile(dir=self.spool_folder)  # noqa: SIM115 - caller closes
        try:
            for chunk in self.chunks(name):
                digest.update(chunk)
                spool.write(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return spool

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)
        except (BotoCoreError, ClientError) as error:
            raise self._failed("delete a file", error) from error

    def objects(self) -> Iterator[StoredObject]:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(
                        item["Key"][len(self.prefix) :], item["Size"], item["LastModified"]
                    )
        except (BotoCoreError, ClientError) as error:
            raise self._failed("list its files", error) from error

    def describe(self) -> str:
        return f"the bucket {self.bucket}" + (f" under {self.prefix}" if self.prefix else "")
