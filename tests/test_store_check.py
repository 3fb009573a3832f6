"""`flask documents check` lists every way the store and the rows disagree, and fixes none,
on both backends (the upload folder and an S3 bucket)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from provider_portal.extensions import db
from provider_portal.models import Role
from tests.audit_log.support import stored_document
from tests.papers import shared_paper

# What an upload is called until it is checked, scanned and accepted.
TEMP_PREFIX = ".upload-"


def _check(app):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["documents", "check"])


def test_a_consistent_store_passes(app, make, store):
    allocation = make.allocation()
    stored_document(allocation)
    stored_document(allocation, kind="docx", version=2)
    removed = stored_document(allocation, version=3)
    store.remove(removed.stored_name)
    removed.deleted_at = datetime.now(UTC)  # as retention leaves it
    # An upload still being checked or scanned is not a problem (yet).
    (Path(app.config["UPLOAD_FOLDER"]) / f"{TEMP_PREFIX}abc123").write_bytes(b"%PDF-")
    result = _check(app)
    assert result.exit_code == 0, result.output
    assert "Checked 3 documents and 2 stored files: the store matches the database." in (
        result.output
    )
    assert f"upload in progress (not checked): {TEMP_PREFIX}abc123 (5 bytes" in result.output


def test_every_disagreement_is_listed_by_id_and_stored_name_and_nothing_is_changed(
    app, make, store
):
    folder = Path(app.config["UPLOAD_FOLDER"])
    allocation = make.allocation()
    missing, tampered, resized, kept, fine = (
        stored_document(allocation, version=n) for n in range(1, 6)
    )
    store.remove(missing.stored_name)
    original = store.read(tampered.stored_name)
    store.write(tampered.stored_name, original.replace(b"%PDF-1.3", b"%PDF-1.4"))  # same size
    store.write(resized.stored_name, b"%PDF-short")
    kept.deleted_at = datetime.now(UTC)  # retention said deleted, the file is still there
    store.write("0123456789abcdef0123456789abcdef", b"no row")
    stale = folder / f"{TEMP_PREFIX}old"
    stale.write_bytes(b"half an upload")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    (folder / "subfolder").mkdir()
    before = sorted(os.listdir(folder)), {name: store.read(name) for name in store.names()}

    result = _check(app)

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"missing file: document {missing.id} (stored as {missing.stored_name})" in lines
    for document in (tampered, resized):
        where = f"document {document.id} (stored as {document.stored_name})"
        assert f"file does not match its SHA-256: {where}" in lines
    assert (
        f"file kept after retention deleted it: document {kept.id} (stored as {kept.stored_name})"
        in lines
    )
    assert "orphan file (no document row): 0123456789abcdef0123456789abcdef" in lines
    assert any(
        line.startswith(f"leftover temp file from an interrupted upload: {stale.name}")
        for line in lines
    )
    assert "unexpected entry in the store: subfolder" in lines
    assert not [line for line in lines if fine.stored_name in line]
    assert "7 problems. Nothing was changed." in result.stderr
    assert "Report on the child" not in result.output  # no document's name
    assert (sorted(os.listdir(folder)), {name: store.read(name) for name in store.names()}) == (
        before
    )


def test_case_papers_are_checked_too(app, make, store):
    manager = make.user(Role.MANAGER)
    allocation = make.allocation()
    fine = shared_paper(allocation, manager)
    tampered = shared_paper(allocation, manager)
    store.write(tampered.stored_name, b"%PDF-1.4 something else")
    result = _check(app)
    assert result.exit_code == 1
    assert (
        f"file does not match its SHA-256: case paper {tampered.id} "
        f"(stored as {tampered.stored_name})"
    ) in result.stdout.splitlines()
    assert fine.stored_name not in result.output
    assert "Checked 0 documents, 2 case papers and 2 stored files: 1 problem." in result.stderr
