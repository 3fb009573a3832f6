"""`flask documents check`: does the document store match the document and case paper rows?

After a crash, a full disk or a restore, every document row must have its file with the
SHA-256 recorded at upload, and every file must belong to a row. This reads both and lists
what does not match, by document id and stored name only (a document's own name may name the
child). It changes nothing: an orphan file may be the only copy of someone's work, and a
missing file needs restoring from the backup, so each is for a person to look at.

The store is the upload folder or the bucket (storage.py); uploads are written to the upload
folder first either way. Files still named .upload-* are uploads in progress; one older than
an hour was left by an upload that was interrupted (the worker killed, the machine stopped)
and is listed too.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from provider_portal.documents import TEMP_PREFIX
from provider_portal.extensions import db
from provider_portal.models import CasePaper, Document
from provider_portal.storage import FileStore, StoredObject, file_store, sha256_chunks, temp_folder

# A temp file younger than this may belong to an upload still being checked or scanned.
TEMP_FILE_GRACE = timedelta(hours=1)


@dataclass
class StoreReport:
    """What the check found: problems (each a line for a person) and uploads in progress."""

    documents: int = 0
    papers: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.problems


def _local_entries(folder: Path, report: StoreReport, now: datetime) -> None:
    """Sort out the temp folder: uploads in progress, leftovers and anything unexpected.

    Uploads are written here on both backends before they are kept.
    """
    if not folder.is_dir():
        return
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            report.problems.append(f"unexpected entry in the store: {entry.name}")
        elif entry.name.startswith(TEMP_PREFIX):
            modified = datetime.fromtimestamp(info.st_mtime, UTC)
            line = f"{entry.name} ({info.st_size} bytes, {modified:%Y-%m-%d %H:%M} UTC)"
            if now - modified > TEMP_FILE_GRACE:
                report.problems.append(f"leftover temp file from an interrupted upload: {line}")
            else:
                report.in_progress.append(line)


def check_store(now: datetime | None = None) -> StoreReport:
    """Compare the store with the document and case paper rows; change nothing."""
    now = now or datetime.now(UTC)
    report = StoreReport()
    _local_entries(temp_folder(), report, now)
    store = file_store()
    files = {item.name: item for item in store.objects()}
    report.files = len(files)
    for noun, model in (("document", Document), ("case paper", CasePaper)):
        rows = db.session.execute(
            select(
                model.id, model.stored_name, model.size_bytes, model.sha256, model.deleted_at
            ).order_by(model.id)
        )
        for row in rows:
            if model is Document:
                report.documents += 1
            else:
                report.papers += 1
            where = f"{noun} {row.id} (stored as {row.stored_name})"
            _check_row(row, where, files, store, report)
    report.problems.extend(f"orphan file (no document row): {name}" for name in sorted(files))
    return report


def _check_row(
    row: Any, where: str, files: dict[str, StoredObject], store: FileStore, report: StoreReport
) -> None:
    """One row against the store: its file there, matching, unless retention deleted it."""
    found = files.pop(row.stored_name, None)
    if row.deleted_at is not None:
        if found is not None:
            report.problems.append(f"file kept after retention deleted it: {where}")
    elif found is None:
        report.problems.append(f"missing file: {where}")
    elif (
        found.size != row.size_bytes
        or sha256_chunks(store.chunks(row.stored_name))[1] != row.sha256
    ):
        report.problems.append(f"file does not match its SHA-256: {where}")


documents_cli = AppGroup("documents", help="Look after the document store.")


@documents_cli.command("check")
def check_command() -> None:
    """List files without a row, rows without a file and files that fail their SHA-256."""
    report = check_store()
    for line in report.problems:
        click.echo(line)
    for line in report.in_progress:
        click.echo(f"upload in progress (not checked): {line}")
    papers = f", {report.papers} case papers" if report.papers else ""
    summary = f"Checked {report.documents} documents{papers} and {report.files} stored files"
    if report.consistent:
        click.echo(f"{summary}: the store matches the database.")
        return
    count = len(report.problems)
    click.echo(
        f"{summary}: {count} problem{'s' if count != 1 else ''}. Nothing was changed.",
        err=True,
    )
    raise click.exceptions.Exit(1)
