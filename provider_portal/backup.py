"""Backups that are proven, not assumed (security.md: promise 5, and fault test 7, the drill).

`flask backup create DIR` makes the folder DIR (new, or empty) holding:

    database.dump    PostgreSQL: pg_dump -Fc, taken in the same snapshot as the counts below
    database.sqlite  SQLite: one self-contained file, made with SQLite's online backup API
    files/           every file in the upload folder (STORAGE=local; with STORAGE=s3 the
                     bucket keeps its own copies, by its versioning and replication, and the
                     manifest names the bucket and prefix instead)
    manifest.json    when, the portal's version and migration, every table's row count, every
                     file's SHA-256 and size, the dump's SHA-256, and the monthly report's
                     figures as the backup holds them

`flask backup verify DIR` restores the database into a scratch database (PostgreSQL: a new
database on the same server, dropped afterwards; SQLite: a temporary file), then compares every
table's row count, the migration, the monthly report and every file's SHA-256 with the
manifest, and checks every document the restored database lists has its file, unchanged: in
the backup's files/, or for a bucket backup, in the bucket the portal is configured with.

Both exit non-zero and say what is wrong on any failure. GitLab lost six hours of data in 2017
because its pg_dump, older than the server, had been failing silently: so a pg_dump older than
the server is refused, every program's exit status is checked, and the dump is read back.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from alembic.script import ScriptDirectory
from flask.cli import AppGroup
from sqlalchemy import Connection, create_engine, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from provider_portal.database import in_memory
from provider_portal.database_roles import owner_url
from provider_portal.errors import BackupError, ReportError
from provider_portal.extensions import db
from provider_portal.models import Allocation
from provider_portal.models.types import utcnow
from provider_portal.reports.monthly.queries import csv_rows, monthly_report
from provider_portal.settings import setting
from provider_portal.storage import file_store, key_prefix, sha256_chunks
from provider_portal.timescales import add_months, month_start, today

MANIFEST = "manifest.json"
FILES = "files"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite"}
FORMAT = 1
CHUNK = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "migrations"
# The longest range the monthly report takes (ten years).
REPORT_MONTHS = 120


@dataclass
class Description:
    """What a database holds, as the manifest records it."""

    migration_head: str | None
    tables: dict[str, int]
    figures: dict[str, Any]
    # Files the portal would serve, providers' documents and case papers alike:
    # "document 5" or "case paper 3" -> (stored name, SHA-256).
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class VerifyResult:
    problems: list[str]
    notes: list[str]
    summary: str


# --- small helpers -----------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def portal_version() -> str:
    try:
        return metadata.version("provider-portal")
    except metadata.PackageNotFoundError:
        found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
        return found.group(1) if found else "unknown"


def code_head() -> str | None:
    """The migration this code expects the database to be at."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


# --- what a database holds ---------------------------------------------------------------


@contextmanager
def _reading_through(connection: Connection) -> Iterator[None]:
    """Inside, db.session reads through this connection (a snapshot, a restored copy), so the
    report functions the pages use give the figures of that database."""
    original = db.session()
    # A plain Session: Flask-SQLAlchemy's own would pick the app's engine whatever its bind.
    session = Session(bind=connection)
    db.session.registry.set(session)  # type: ignore[arg-type]
    try:
        yield
    finally:
        session.close()
        db.session.registry.set(original)


def report_range(connection: Connection, as_of: date) -> dict[str, str]:
    """The monthly report's months: from the first allocation (ten years at most) to as_of;
    empty when the database has no allocation table yet."""
    if not inspect(connection).has_table("allocation"):
        return {}
    last = month_start(as_of)
    earliest = connection.execute(select(func.min(Allocation.allocated_on))).scalar()
    first = max(month_start(earliest), add_months(last, 1 - REPORT_MONTHS)) if earliest else last
    first = min(first, last)
    return {"first_month": f"{first:%Y-%m}", "last_month": f"{last:%Y-%m}", "as_of": f"{as_of}"}


def _monthly_figures(connection: Connection, report: dict[str, str]) -> dict[str, Any]:
    """The monthly report over report's range, as its CSV rows, read through connection."""
    try:
        first, last, as_of = (
            date.fromisoformat(report["first_month"] + "-01"),
            date.fromisoformat(report["last_month"] + "-01"),
            date.fromisoformat(report["as_of"]),
        )
        with _reading_through(connection):
            rows = csv_rows(monthly_report(first, last, as_of))
    except (KeyError, ValueError, ReportError) as error:
        raise BackupError(f"The monthly report's range {report} cannot be used: {error}") from error
    return {**report, "rows": [list(row) for row in rows]}


def describe(connection: Connection, report: dict[str, str]) -> Description:
    """Row counts, the migration, the monthly report over report's range, and the stored files."""
    quote = connection.dialect.identifier_preparer.quote
    names = sorted(inspect(connection).get_table_names())
    tables = {
        name: int(connection.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar() or 0)
        for name in names
    }
    head = None
    if "alembic_version" in tables:
        head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    figures = {"monthly_report": _monthly_figures(connection, report)} if report else {}
    documents: dict[str, tuple[str, str]] = {}
    for table, label in (("document", "document"), ("case_paper", "case paper")):
        if table in tables:
            rows = connection.exec_driver_sql(
                f"SELECT id, stored_name, sha256 FROM {table} WHERE deleted_at IS NULL"
            )
            documents |= {f"{label} {row[0]}": (str(row[1]), str(row[2])) for row in rows}
    return Description(head, tables, figures, documents)


# --- PostgreSQL's programs ---------------------------------------------------------------


def _major(version: str) -> tuple[int, ...]:
    """PostgreSQL's major version: (15,) for 15.20, (9, 6) for 9.6.24 (before 10, two numbers)."""
    found = re.search(r"(\d+)(?:\.(\d+))?", version)
    if found is None:
        raise BackupError(f"Could not read a version from {version!r}")
    first = int(found.group(1))
    return (first,) if first >= 10 else (first, int(found.group(2) or 0))


def _major_text(version: str) -> str:
    return ".".join(str(part) for part in _major(version))


def server_version(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SHOW server_version").scalar()).split()[0]


def postgres_program(name: str, server: str) -> str:
    """The pg_dump or pg_restore to use: PG_BIN_DIR's, else the server's own major version's
    (Debian's /usr/lib/postgresql/N/bin), else the one on PATH; refused if it is older than the
    server, as an old pg_dump cannot read a newer server's catalogue correctly."""
    folder = setting("PG_BIN_DIR")
    candidates = [Path(folder) / name] if folder else []
    if not folder:
        candidates.append(Path(f"/usr/lib/postgresql/{_major_text(server)}/bin/{name}"))
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    program = next((path for path in candidates if path.is_file()), None)
    if program is None:
        raise BackupError(f"{name} was not found (set PG_BIN_DIR to PostgreSQL's bin folder)")
    answer = _run([str(program), "--version"], None, name)
    if _major(answer) < _major(server):
        raise BackupError(
            f"{program} is {answer.strip()}, older than the server (PostgreSQL {server}): "
            f"a dump it made could be incomplete. Set PG_BIN_DIR to the bin folder of "
            f"PostgreSQL {_major_text(server)} or newer"
        )
    return str(program)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the programs, and the environment carrying the password
    (kept off the command line, where any local user could read it)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str] | None, what: str) -> str:
    try:
        finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    except OSError as error:
        raise BackupError(f"{what} could not be run: {error}") from error
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).strip()[-2000:]
        raise BackupError(f"{what} failed (exit status {finished.returncode}): {detail}")
    return finished.stdout


# --- create ------------------------------------------------------------------------------


def _dump_postgres(url: URL, work: Path, as_of: date) -> tuple[Description, dict[str, str]]:
    target = work / DUMPS["postgresql"]
    uri, environment = _libpq(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                server = server_version(connection)
                pg_dump = postgres_program("pg_dump", server)
                pg_restore = postgres_program("pg_restore", server)
                # The counts, the figures and the dump all see this one snapshot, however
                # many people are using the portal meanwhile.
                snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                description = describe(connection, report_range(connection, as_of))
                _run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}"]
                    + [f"--file={target}", f"--dbname={uri}"],
                    environment,
                    "pg_dump",
                )
    finally:
        engine.dispose()
    # Read it back: a dump pg_restore cannot list is no dump.
    _run([pg_restore, "--list", str(target)], environment, "pg_restore --list")
    return description, {"server_version": server, "pg_dump": pg_dump}


def _sqlite_path(url: URL) -> Path:
    if in_memory(url) or url.database is None:  # (the second for the type checker)
        raise BackupError("An in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _copy_sqlite(url: URL, work: Path, as_of: date) -> tuple[Description, dict[str, str]]:
    target = work / DUMPS["sqlite"]
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"There is no SQLite database at {source_path}")
    with closing(sqlite3.connect(source_path, timeout=30)) as source:
        with closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            # The live file is in WAL mode; the copy must be whole without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
    description = _describe_sqlite(target, None, as_of)
    return description, {"sqlite_version": sqlite3.sqlite_version}


def _describe_sqlite(path: Path, report: dict[str, str] | None, as_of: date) -> Description:
    """describe() of the SQLite file; report None: the range is worked out as of as_of."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return describe(connection, report or report_range(connection, as_of))
    finally:
        engine.dispose()


def _copy_files(upload: Path, destination: Path) -> dict[str, dict[str, Any]]:
    """Copy every stored file (not uploads still being written, which start with a dot),
    hashing what is written; fsynced, as the originals were."""
    destination.mkdir()
    copied: dict[str, dict[str, Any]] = {}
    if not upload.is_dir():
        return copied
    for path in sorted(upload.rglob("*")):
        relative = path.relative_to(upload)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as reading, target.open("wb") as writing:
            while chunk := reading.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        copied[relative.as_posix()] = {"sha256": digest.hexdigest(), "bytes": size}
    return copied


def create_backup(folder: Path) -> dict[str, Any]:
    """Write a backup into folder (new, or empty) and return its manifest.

    It is made in a hidden folder beside it and renamed into place when whole, so a folder
    with a manifest is a finished backup; on any failure nothing is left behind.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} already exists and is not empty: choose a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        url = make_url(owner_url())
        as_of = today()
        created_at = utcnow()
        if url.get_backend_name() == "postgresql":
            description, program = _dump_postgres(url, work, as_of)
        elif url.get_backend_name() == "sqlite":
            description, program = _copy_sqlite(url, work, as_of)
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} are not supported")
        dump = work / DUMPS[url.get_backend_name()]
        if setting("STORAGE") == "s3":
            (work / FILES).mkdir()
            files: dict[str, dict[str, Any]] = {}
            storage = _bucket_settings()
        else:
            files = _copy_files(Path(setting("UPLOAD_FOLDER")), work / FILES)
            storage = {"backend": "local"}
        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "portal_version": portal_version(),
            "migration_head": description.migration_head,
            "database": {
                "dialect": url.get_backend_name(),
                "file": dump.name,
                "sha256": sha256_of(dump),
                "bytes": dump.stat().st_size,
                **program,
            },
            "tables": description.tables,
            "files": files,
            "storage": storage,
            "figures": description.figures,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        for path in (dump, work / MANIFEST, work / FILES, work):
            _fsync(path)
        if folder.exists():
            folder.rmdir()
        work.rename(folder)
        _fsync(folder.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


# --- verify ------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: the backup never finished, or this is not one")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup manifest this portal can read")
    return manifest


def _check_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    problems = []
    listed: dict[str, dict[str, Any]] = manifest.get("files", {})
    stored = folder / FILES
    present = {path.relative_to(stored).as_posix() for path in stored.rglob("*") if path.is_file()}
    for name, expected in sorted(listed.items()):
        path = stored / name
        if name not in present:
            problems.append(f"file {name}: missing from {FILES}/")
        elif sha256_of(path) != expected.get("sha256"):
            problems.append(f"file {name}: its SHA-256 differs from the manifest's")
    problems += [
        f"file {name}: in {FILES}/ but not in the manifest" for name in present - set(listed)
    ]
    return problems


@contextmanager
def _scratch_postgres(server: URL) -> Iterator[URL]:
    """A new, empty database on the server, dropped afterwards whatever happens."""
    name = f"portal_verify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        try:
            yield server.set(database=name)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.dispose()


def _restore_postgres(dump: Path, server: URL, report: dict[str, str]) -> Description:
    engine = create_engine(server, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            version = server_version(connection)
    finally:
        engine.dispose()
    pg_restore = postgres_program("pg_restore", version)
    with _scratch_postgres(server) as scratch:
        uri, environment = _libpq(scratch)
        _run(
            [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
            + [f"--dbname={uri}", str(dump)],
            environment,
            "pg_restore",
        )
        restored = create_engine(scratch, poolclass=NullPool)
        try:
            with restored.connect() as connection:
                return describe(connection, report)
        finally:
            restored.dispose()


def _restore_sqlite(copy: Path, report: dict[str, str]) -> Description:
    with tempfile.TemporaryDirectory(prefix="portal-verify-") as scratch:
        path = Path(scratch) / "restored.sqlite"
        shutil.copyfile(copy, path)
        with closing(sqlite3.connect(path)) as connection:
            check = connection.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"the restored SQLite database is damaged: {check[:5]}")
        return _describe_sqlite(path, report, today())


def _bucket_settings() -> dict[str, str]:
    """The bucket the portal keeps documents in, as a manifest records it."""
    return {
        "backend": "s3",
        "bucket": setting("S3_BUCKET"),
        "prefix": key_prefix(setting("S3_PREFIX")),
    }


def _bucket_files(
    manifest: dict[str, Any], restored: Description
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """For a bucket backup: the restored rows' files as the bucket holds them now, hashed as
    they stream by; and a problem if the portal is not configured with the backup's bucket."""
    if setting("STORAGE") != "s3" or _bucket_settings() != manifest["storage"]:
        where = manifest["storage"]
        return {}, [
            f"documents: the backup's files are in the bucket {where.get('bucket')} under "
            f"{where.get('prefix')!r}; set STORAGE=s3, S3_BUCKET and S3_PREFIX to match"
        ]
    store = file_store()
    present = {item.name for item in store.objects()}
    files: dict[str, dict[str, Any]] = {}
    for stored_name, _ in restored.documents.values():
        if stored_name in present:
            size, sha256 = sha256_chunks(store.chunks(stored_name))
            files[stored_name] = {"sha256": sha256, "bytes": size}
    return files, []


def _compare(
    manifest: dict[str, Any], restored: Description, files: dict[str, dict[str, Any]]
) -> list[str]:
    problems = []
    expected: dict[str, int] = manifest.get("tables", {})
    for name in sorted(set(expected) | set(restored.tables)):
        if name not in restored.tables:
            problems.append(f"table {name}: in the manifest, not in the restored database")
        elif name not in expected:
            problems.append(f"table {name}: in the restored database, not in the manifest")
        elif expected[name] != restored.tables[name]:
            problems.append(
                f"table {name}: {expected[name]} rows in the manifest, "
                f"{restored.tables[name]} restored"
            )
    if manifest.get("migration_head") != restored.migration_head:
        problems.append(
            f"migration: {manifest.get('migration_head')} in the manifest, "
            f"{restored.migration_head} restored"
        )
    if manifest.get("figures") != restored.figures:
        problems.append("monthly report: the restored figures differ from the backup's")
    holder = "bucket" if files is not manifest.get("files") else "backup"
    for what, (stored_name, sha256) in sorted(restored.documents.items()):
        if stored_name not in files:
            problems.append(f"{what}: its file {stored_name} is not in the {holder}")
        elif files[stored_name].get("sha256") != sha256:
            problems.append(
                f"{what}: its file {stored_name} does not match the SHA-256 "
                "the portal recorded at upload"
            )
    return problems


def verify_backup(folder: Path, server_url: str | None = None) -> VerifyResult:
    """Restore the backup into a scratch database and compare it with its manifest.

    server_url: the PostgreSQL server to restore on (default: the portal's own).
    """
    manifest = read_manifest(folder)
    database = manifest.get("database", {})
    dialect = database.get("dialect")
    dump = folder / str(database.get("file", ""))
    problems: list[str] = []
    notes: list[str] = []
    if dialect not in DUMPS or dump.name != DUMPS[dialect] or not dump.is_file():
        raise BackupError(f"The database copy named in the manifest is missing from {folder}")
    if sha256_of(dump) != database.get("sha256"):
        problems.append(f"{dump.name}: its SHA-256 differs from the manifest's")
    problems += _check_files(folder, manifest)
    report = {
        key: value
        for key, value in manifest.get("figures", {}).get("monthly_report", {}).items()
        if key in ("first_month", "last_month", "as_of")
    }
    try:
        if dialect == "postgresql":
            server = make_url(server_url or owner_url())
            restored = _restore_postgres(dump, server, report)
        else:
            restored = _restore_sqlite(dump, report)
    except BackupError as error:
        problems.append(f"restore: {error.message}")
        return VerifyResult(problems, notes, "The backup could not be restored")
    files: dict[str, dict[str, Any]] = manifest.get("files", {})
    if manifest.get("storage", {}).get("backend") == "s3":
        files, wrong_bucket = _bucket_files(manifest, restored)
        problems += wrong_bucket
    problems += _compare(manifest, restored, files)
    head = code_head()
    if restored.migration_head != head:
        notes.append(
            f"The backup is at migration {restored.migration_head} and this code at {head}: "
            "after restoring it, run `flask db upgrade` with this code"
        )
    summary = (
        f"{len(restored.tables)} tables, {sum(restored.tables.values())} rows, "
        f"{len(files)} files, migration {restored.migration_head}, "
        f"made {manifest.get('created_at')}"
    )
    return VerifyResult(problems, notes, summary)


# --- commands ----------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Back up the database and the uploaded files, and prove it.")


@backup_cli.command("create")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def create_command(folder: Path) -> None:
    """Back up the database and every uploaded file into FOLDER (new, or empty)."""
    try:
        manifest = create_backup(folder)
    except BackupError as error:
        raise click.ClickException(error.message) from error
    tables = manifest["tables"]
    storage = manifest["storage"]
    files = (
        f"{len(manifest['files'])} files"
        if storage["backend"] == "local"
        else f"no files (they stay in the bucket {storage['bucket']}, kept by its versioning)"
    )
    click.echo(
        f"Backed up {len(tables)} tables ({sum(tables.values())} rows) and {files} "
        f"to {folder}, migration {manifest['migration_head']}."
    )


@backup_cli.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--server",
    "server_url",
    help="Restore on this PostgreSQL server (a SQLAlchemy URL) instead of the portal's own",
)
def verify_command(folder: Path, server_url: str | None) -> None:
    """Restore FOLDER into a scratch database and check it against its manifest."""
    started = time.monotonic()
    try:
        result = verify_backup(folder, server_url)
    except BackupError as error:
        raise click.ClickException(error.message) from error
    for note in result.notes:
        click.echo(note)
    if result.problems:
        for problem in result.problems:
            click.echo(problem, err=True)
        click.echo(f"The backup in {folder} does NOT match its manifest.", err=True)
        raise click.exceptions.Exit(1)
    # The time a restore takes is the measured part of the recovery time (RTO).
    click.echo(f"Backup verified in {time.monotonic() - started:.1f} s: {result.summary}.")
