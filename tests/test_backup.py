"""Backup and restore, proven (security.md, Reliability R7): `flask backup create` and
`flask backup verify` round trip on the database the run uses (SQLite or PostgreSQL), and a
backup that was tampered with, or made with a pg_dump older than the server, fails loudly."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import TestConfig
from provider_portal import create_app
from provider_portal.accounts import services as accounts_services
from provider_portal.audit import record
from provider_portal.backup import code_head
from provider_portal.documents import keep, receive_upload
from provider_portal.extensions import db, limiter
from provider_portal.models import Allocation, AuditEvent, CasePaper, Document
from tests.factories import password_hash
from tests.files import PDF_BYTES, docx_bytes
from tests.helpers import throwaway_database

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def live(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A portal on its own migrated database with the demo data and two uploaded files, in
    the suite's document store (a bucket, when a test asked for `store` first)."""
    # The demo's accounts at the suite's light password cost (the full cost is 1.7 s here).
    monkeypatch.setattr(accounts_services, "hash_password", lambda _password: password_hash())
    for url in throwaway_database(tmp_path, "portal_backup"):

        class LiveConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_FOLDER = str(tmp_path / "uploads")
            STORAGE = app.config["STORAGE"]
            S3_BUCKET = app.config["S3_BUCKET"]
            S3_ENDPOINT_URL = app.config["S3_ENDPOINT_URL"]
            S3_PREFIX = app.config["S3_PREFIX"]

        portal = create_app(LiveConfig)
        with portal.app_context():
            upgrade()
            result = portal.test_cli_runner().invoke(args=["demo", "seed"])
            assert result.exit_code == 0, result.output
            # Work the demo gave no document of its own (it gives returned work one).
            allocation = db.session.scalars(
                select(Allocation).where(~Allocation.documents.any()).order_by(Allocation.id)
            ).first()
            assert allocation is not None
            for version, (content, name) in enumerate(
                [(PDF_BYTES, "advice.pdf"), (docx_bytes(), "plan.docx")], start=1
            ):
                stored = receive_upload(io.BytesIO(content), name)
                keep(stored)
                db.session.add(
                    Document(
                        allocation=allocation,
                        version=version,
                        original_filename=stored.original_filename,
                        stored_name=stored.stored_name,
                        content_type=stored.content_type,
                        size_bytes=stored.size_bytes,
                        sha256=stored.sha256,
                    )
                )
            db.session.commit()
            yield portal
            db.session.remove()
            db.engine.dispose()
    limiter.init_app(app)  # the limiter is one object: back to the suite app's store
    limiter.reset()


def _run(portal: Flask, *args: str) -> tuple[int, str]:
    result = portal.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_backup_round_trip_and_tampering(live, tmp_path):
    backup = tmp_path / "backups" / "nightly"
    code, output = _run(live, "backup", "create", str(backup))
    assert code == 0, output
    manifest = json.loads((backup / "manifest.json").read_text())

    # The manifest says what the database held, and the copy is there.
    counts = {
        "allocation": db.session.scalar(select(func.count()).select_from(Allocation)),
        "audit_event": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "document": db.session.scalar(select(func.count()).select_from(Document)),
    }
    assert counts["document"] > 2  # the demo's returned work, and the two added here
    assert counts["allocation"] > 10 and counts["audit_event"] > 10
    assert {name: manifest["tables"][name] for name in counts} == counts
    assert manifest["migration_head"] == code_head()
    assert manifest["database"]["dialect"] == ("postgresql" if ON_POSTGRES else "sqlite")
    dump = backup / manifest["database"]["file"]
    assert dump.stat().st_size == manifest["database"]["bytes"] > 0
    stored = {d.stored_name: d.sha256 for d in db.session.scalars(select(Document))}
    stored |= {p.stored_name: p.sha256 for p in db.session.scalars(select(CasePaper))}
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == stored
    monthly = manifest["figures"]["monthly_report"]
    assert monthly["rows"][-1][0] == "Total" and monthly["rows"][-1][1] == sum(
        1
        for a in db.session.scalars(select(Allocation))
        if a.status.value not in ("withdrawn", "declined")
    )
    assert not list(backup.parent.glob(".nightly.partial-*"))

    # What happens to the live database afterwards is not the backup's business.
    record("after_backup")
    db.session.commit()
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 0, output
    assert "Backup verified" in output

    # A folder that holds a backup is never overwritten.
    code, output = _run(live, "backup", "create", str(backup))
    assert code != 0 and "not empty" in output

    # One file altered, one count edited: verify fails and names both.
    tampered = sorted(manifest["files"])[0]
    (backup / "files" / tampered).write_bytes(b"%PDF-1.4 something else")
    manifest["tables"]["allocation"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 1, output
    assert f"file {tampered}: its SHA-256 differs from the manifest's" in output
    assert (
        f"table allocation: {counts['allocation'] + 1} rows in the manifest, "
        f"{counts['allocation']} restored"
    ) in output
    assert "does NOT match its manifest" in output

    # A case paper's file missing from the backup is named as such.
    paper = db.session.scalars(select(CasePaper).order_by(CasePaper.id)).first()
    assert paper is not None
    del manifest["files"][paper.stored_name]
    (backup / "files" / paper.stored_name).unlink()
    (backup / "manifest.json").write_text(json.dumps(manifest))
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 1, output
    assert f"case paper {paper.id}: its file {paper.stored_name} is not in the backup" in output


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_a_bucket_backup_checks_the_restored_rows_against_the_bucket(store, live, tmp_path):
    """The bucket keeps its own copies (versioning, replication); the backup names it, and
    verify checks every restored row's file is in it, unchanged."""
    backup = tmp_path / "backups" / "nightly"
    code, output = _run(live, "backup", "create", str(backup))
    assert code == 0, output
    assert "no files (they stay in the bucket portal-documents" in output
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["files"] == {} and list((backup / "files").iterdir()) == []
    assert manifest["storage"] == {
        "backend": "s3",
        "bucket": "portal-documents",
        "prefix": live.config["S3_PREFIX"],
    }
    rows = db.session.execute(select(Document.id, Document.stored_name)).all()
    papers = db.session.scalar(select(func.count()).select_from(CasePaper))
    assert sorted(store.names()) == sorted(
        [row.stored_name for row in rows] + list(db.session.scalars(select(CasePaper.stored_name)))
    )
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 0, output
    assert f"{len(rows) + papers} files" in output

    (changed_id, changed), (gone_id, gone) = rows[0], rows[1]
    with live.app_context():
        store.write(changed, b"%PDF-1.4 something else")
        store.remove(gone)
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 1, output
    assert (
        f"document {changed_id}: its file {changed} does not match the SHA-256 "
        "the portal recorded at upload"
    ) in output
    assert f"document {gone_id}: its file {gone} is not in the bucket" in output

    # Verified against another bucket (or prefix) than the backup's, it says so.
    live.config["S3_PREFIX"] = "elsewhere/"
    code, output = _run(live, "backup", "verify", str(backup))
    assert code == 1 and "set STORAGE=s3, S3_BUCKET and S3_PREFIX to match" in output


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump is PostgreSQL's")
def test_a_pg_dump_older_than_the_server_is_refused(app, tmp_path, monkeypatch):
    old = tmp_path / "old-postgres"
    old.mkdir()
    for name in ("pg_dump", "pg_restore"):
        program = old / name
        program.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) 9.6.24"\n')
        program.chmod(0o755)
    monkeypatch.setitem(app.config, "PG_BIN_DIR", str(old))
    backup = tmp_path / "backups" / "old"
    code, output = _run(app, "backup", "create", str(backup))
    assert code == 1
    assert f"{old / 'pg_dump'} is pg_dump (PostgreSQL) 9.6.24, older than the server" in output
    assert "Set PG_BIN_DIR to the bin folder of PostgreSQL 15 or newer" in output
    assert not backup.exists() and not list(backup.parent.iterdir())
