"""Imports from the web page, run as background jobs with their progress on the job's row.

start_import() writes a BackgroundJob holding the uploaded file; the route commits it and
enqueues the "import" job, which runs import_cases or import_allocations in one transaction
(all rows or none) and records how far it has got through a short transaction of its own on a
separate connection. When it ends, the job's row keeps the answer the import page shows (the
summary, or every problem up to MAX_PROBLEMS_SHOWN) and loses the file: children's details are
kept no longer than the job. running_key holds the job's kind while it is queued or running, so
a second import of the same kind is refused by the unique constraint; a job left by a worker
that stopped is released an hour after it started, when someone next imports.

On SQLite the import's transaction holds the database's only write lock from its first
statement, so the progress written meanwhile is skipped rather than waited for: the page shows
the stage at the start and the answer at the end. PostgreSQL shows every step.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from provider_portal.database import immediate_transactions
from provider_portal.errors import Conflict, Resubmitted
from provider_portal.extensions import db
from provider_portal.formatting import LONDON

# The modules, not their names: the allocation services they use import the blueprint
# packages, and the cases blueprint imports this module through the routes.
from provider_portal.imports import allocations as allocation_import
from provider_portal.imports import cases as case_import
from provider_portal.imports.rows import (
    CHECKING,
    SAVING,
    ImportResult,
    chosen_sentence,
    ignored_sentence,
)
from provider_portal.jobs import job
from provider_portal.models import FormSubmission, User
from provider_portal.models.notifications import (
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    BackgroundJob,
)
from provider_portal.models.types import utcnow
from provider_portal.tabular import read_table

log = logging.getLogger(__name__)

# The import page's kinds of file -> the background job's kind (and running_key).
JOB_KINDS = {"cases": "import_cases", "allocations": "import_allocations"}
KIND_NAMES = {"import_cases": "A case import", "import_allocations": "An allocation import"}
MAX_PROBLEMS_SHOWN = 1_000  # a table of every problem in a 50,000-row file would not load
STALE_AFTER = timedelta(hours=1)
# Seconds PostgreSQL may wait for a lock while writing progress: progress can be skipped.
PROGRESS_LOCK_TIMEOUT = "1s"

# BackgroundJob.result["outcome"]
IMPORTED = "imported"
PROBLEMS = "problems"
RESUBMITTED = "resubmitted"
FAILED = "failed"


class ImportRunning(Conflict):
    """An import of the same kind is already queued or running."""


def _started_message(running: BackgroundJob) -> str:
    kind = KIND_NAMES.get(running.kind, "An import")
    who = running.started_by.name if running.started_by else "someone"
    local = running.created_at.astimezone(LONDON)
    return (
        f"{kind} is already running. It was started at {local:%H:%M} by {who}. "
        "Wait for it to finish, then upload your file again"
    )


def _running(key: str) -> BackgroundJob | None:
    return db.session.scalar(
        select(BackgroundJob)
        .where(BackgroundJob.running_key == key)
        .options(selectinload(BackgroundJob.started_by))
    )


def release_stale_jobs() -> int:
    """Mark failed every job queued or started more than an hour ago and still holding its
    kind's key (its worker stopped), so the next import of that kind can start."""
    now = utcnow()
    cutoff = now - STALE_AFTER
    released = db.session.execute(
        update(BackgroundJob)
        .where(
            BackgroundJob.running_key.is_not(None),
            or_(
                and_(BackgroundJob.started_at.is_not(None), BackgroundJob.started_at < cutoff),
                and_(BackgroundJob.started_at.is_(None), BackgroundJob.created_at < cutoff),
            ),
        )
        .values(_ended(JOB_FAILED, {"outcome": FAILED}, now))
    ).rowcount  # type: ignore[attr-defined]
    if released:
        log.warning("released %d background job(s) a stopped worker left running", released)
    return int(released or 0)


def start_import(
    kind: str,
    actor: User,
    data: bytes,
    file_name: str,
    mapping: dict[str, str],
    create_missing_providers: bool,
    nonce: str,
) -> BackgroundJob:
    """Queue an import of the file (the caller commits, then enqueues "import" with its id).

    The same form sent again while its import is queued or running answers with that job;
    sent again after it imported, Resubmitted. Another import of the same kind meanwhile
    raises ImportRunning.
    """
    key = JOB_KINDS[kind]
    release_stale_jobs()
    if db.session.get(FormSubmission, nonce) is not None:
        raise Resubmitted()
    running = _running(key)
    if running is not None:
        return _same_form_or_refuse(running, actor, nonce)
    parameters = {
        "file_name": file_name,
        "mapping": mapping,
        "create_missing_providers": create_missing_providers,
        "nonce": nonce,
    }
    new_job = BackgroundJob(
        kind=key,
        running_key=key,
        started_by_id=actor.id,
        payload=data,
        parameters=json.dumps(parameters),
    )
    try:
        with db.session.begin_nested():
            db.session.add(new_job)
    except IntegrityError as error:
        # Another import of the kind started between the look and the insert (or the same
        # form, sent twice at once).
        running = _running(key)
        if running is None:
            raise ImportRunning("An import is already running") from error
        return _same_form_or_refuse(running, actor, nonce)
    return new_job


def _same_form_or_refuse(running: BackgroundJob, actor: User, nonce: str) -> BackgroundJob:
    """The running job if it is this form's (sent again), else ImportRunning."""
    if running.started_by_id == actor.id and _parameters(running).get("nonce") == nonce:
        return running
    raise ImportRunning(_started_message(running))


def could_not_start(job_id: int) -> None:
    """The queue could not be reached: end the job now, releasing its key and its file."""
    db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id)
        .values(_ended(JOB_FAILED, {"outcome": FAILED}, utcnow()))
    )


def import_job_for(job_id: int, user: User) -> BackgroundJob | None:
    """The import job, if this person started it."""
    return db.session.scalar(
        select(BackgroundJob).where(
            BackgroundJob.id == job_id,
            BackgroundJob.started_by_id == user.id,
            BackgroundJob.kind.in_(JOB_KINDS.values()),
        )
    )


def running_imports_for(user: User) -> list[BackgroundJob]:
    """The imports this person started that are still queued or running."""
    return list(
        db.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.started_by_id == user.id, BackgroundJob.running_key.is_not(None))
            .order_by(BackgroundJob.id)
        )
    )


# --- The job ----------------------------------------------------------------------------------


def _parameters(background_job: BackgroundJob) -> dict[str, Any]:
    parameters = json.loads(background_job.parameters or "{}")
    return parameters if isinstance(parameters, dict) else {}


def _ended(status: str, outcome: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "status": status,
        "result": json.dumps(outcome),
        "payload": None,
        "running_key": None,
        "finished_at": now,
    }


class ProgressRecorder:
    """The import's progress callback: writes the stage and counts to the job's row through a
    short transaction on a connection of its own, skipping any write that would have to wait."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.skipped = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        values: dict[str, Any] = {"stage": stage, "rows_total": total}
        if stage == CHECKING:
            values["rows_checked"] = done
        else:
            values["rows_checked"] = total
            values["rows_saved"] = done
        statement = update(BackgroundJob).where(BackgroundJob.id == self.job_id).values(values)
        try:
            with db.engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                raw = connection.connection.driver_connection
                if sqlite:
                    # An open import transaction holds the only write lock: do not wait for it.
                    waits = raw.execute("PRAGMA busy_timeout").fetchone()[0]  # type: ignore[union-attr]
                    raw.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
                try:
                    if not sqlite:
                        connection.exec_driver_sql(
                            f"SET LOCAL lock_timeout = '{PROGRESS_LOCK_TIMEOUT}'"
                        )
                    connection.execute(statement)
                    connection.commit()
                finally:
                    if sqlite:
                        connection.rollback()
                        raw.execute(f"PRAGMA busy_timeout={int(waits)}")  # type: ignore[union-attr]
        except OperationalError:
            self.skipped += 1


def _outcome(result: ImportResult) -> dict[str, Any]:
    said = {"chosen": chosen_sentence(result), "ignored": ignored_sentence(result.ignored)}
    if result.ok:
        return {"outcome": IMPORTED, "summary": result.summary, **said}
    return {
        "outcome": PROBLEMS,
        "problem_count": len(result.errors),
        "problems": [
            [error.line, error.column, error.message]
            for error in result.errors[:MAX_PROBLEMS_SHOWN]
        ],
        **said,
    }


def _import(background_job: BackgroundJob, progress: ProgressRecorder) -> dict[str, Any]:
    parameters = _parameters(background_job)
    table = read_table(io.BytesIO(background_job.payload or b""), parameters["file_name"])
    actor = background_job.started_by
    kind = background_job.kind
    db.session.commit()  # nothing held while the first progress is written
    try:
        if kind == JOB_KINDS["allocations"]:
            result = allocation_import.import_allocations(
                table,
                actor,
                create_missing_providers=bool(parameters.get("create_missing_providers")),
                mapping=parameters.get("mapping") or {},
                nonce=parameters.get("nonce"),
                progress=progress,
            )
        else:
            result = case_import.import_cases(
                table,
                actor,
                mapping=parameters.get("mapping") or {},
                nonce=parameters.get("nonce"),
                progress=progress,
            )
    except Resubmitted:
        db.session.rollback()  # imported the first time: answered as the first time
        return {"outcome": RESUBMITTED}
    return _outcome(result)


@job("import")
def run_import(job_id: int) -> None:
    """Run a queued import job to its end: done with the summary or the problems, or failed."""
    with immediate_transactions():
        claimed = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.status == JOB_QUEUED)
            .values(status=JOB_RUNNING, started_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        if not claimed:
            log.info("import job %s is not waiting to run: nothing to do", job_id)
            return
        progress = ProgressRecorder(job_id)
        status = JOB_DONE
        try:
            background_job = db.session.get_one(BackgroundJob, job_id)
            outcome = _import(background_job, progress)
        except Exception as error:
            # Logged by type only: a message could quote a cell of the file.
            db.session.rollback()
            log.error("import job %s failed: %s", job_id, type(error).__name__)
            status, outcome = JOB_FAILED, {"outcome": FAILED}
        db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id)
            .values(_ended(status, outcome, utcnow()))
        )
        db.session.commit()
        log.info(
            "import job %s ended: %s (%d progress writes skipped)",
            job_id,
            outcome["outcome"],
            progress.skipped,
        )


# --- What the progress page shows ----------------------------------------------------------------


@dataclass(frozen=True)
class ImportProgress:
    """An import job as its progress page shows it."""

    job: BackgroundJob
    running: bool
    status_text: str  # "Checking rows: 1,000 of 5,000"
    outcome: dict[str, Any]  # empty while it runs

    @property
    def kind(self) -> str:
        """The import page's kind of file: "cases" or "allocations"."""
        return next(k for k, v in JOB_KINDS.items() if v == self.job.kind)

    @property
    def heading(self) -> str:
        if self.running:
            return "Importing your file"
        if self.outcome["outcome"] in (IMPORTED, RESUBMITTED):
            return "Your file was imported"
        if self.outcome["outcome"] == PROBLEMS:
            return "Your file was not imported"
        return "Your file could not be imported"

    @property
    def create_missing_providers(self) -> bool:
        return bool(_parameters(self.job).get("create_missing_providers"))


def _status_text(background_job: BackgroundJob) -> str:
    if background_job.status == JOB_QUEUED or background_job.stage is None:
        return "Waiting to start"
    total = background_job.rows_total
    if background_job.stage == SAVING:
        return f"Saving rows: {background_job.rows_saved:,} of {total:,}"
    return f"Checking rows: {background_job.rows_checked:,} of {total:,}"


def import_progress(background_job: BackgroundJob) -> ImportProgress:
    """What the progress page shows for the job: how far it has got, or how it ended."""
    running = background_job.status in (JOB_QUEUED, JOB_RUNNING)
    outcome: dict[str, Any] = {}
    if not running:
        loaded = json.loads(background_job.result or "{}")
        outcome = loaded if isinstance(loaded, dict) else {}
        outcome.setdefault("outcome", FAILED)
    return ImportProgress(background_job, running, _status_text(background_job), outcome)
