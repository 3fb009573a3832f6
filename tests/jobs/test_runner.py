"""The job runner: a job enqueued runs once, inside the app, in a thread of this process or on
Redis by a real `flask jobs worker` process; only registered names with JSON-able arguments can
be enqueued; mail written in a transaction is delivered after its commit; and Redis being
unreachable never breaks the request that enqueues."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from provider_portal.extensions import db
from provider_portal.imports.jobs import start_import
from provider_portal.jobs import QUEUE_NAME, enqueue, registered, runner, wait_for_jobs
from provider_portal.jobs.cli import worker_command
from provider_portal.models import Case, Role, User, WorkType
from provider_portal.models.notifications import (
    JOB_DONE,
    JOB_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    BackgroundJob,
    OutboxMessage,
)
from provider_portal.notifications.services import OUTBOX_WRITTEN
from tests.factories import Factory
from tests.imports.files import CASE_HEADER, csv_bytes
from tests.job_runners import JobRunner, redis_url
from tests.mail_server import Mailbox
from tests.servers import OwnRedis, own_redis

NAME = "Zephyrine"  # a child's first name that must appear in no log
REFUSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the connection is refused


def _queued_import(actor: User, data: bytes, name: str = "cases.csv") -> int:
    job = start_import("cases", actor, data, name, {}, False, f"nonce-{time.monotonic_ns()}")
    db.session.commit()
    return job.id


def _job(job_id: int) -> BackgroundJob:
    db.session.commit()  # see what the job committed
    job = db.session.get(BackgroundJob, job_id)
    assert job is not None
    db.session.refresh(job)
    return job


def test_a_job_runs_once_to_its_end_inside_the_app(job_runner: JobRunner, make: Factory) -> None:
    manager = make.user(Role.MANAGER)
    data = csv_bytes(CASE_HEADER, f"EHC1,{NAME},Smith,2015-01-01,2024-08-15")
    job_id = _queued_import(manager, data)
    assert enqueue("import", job_id=job_id) is True
    assert enqueue("import", job_id=job_id) is True  # sent twice: the second finds it done
    job_runner.run()
    job = _job(job_id)
    assert (job.status, job.running_key, job.payload) == (JOB_DONE, None, None)
    assert job.started_at is not None and job.finished_at is not None
    assert json.loads(job.result or "")["summary"] == "Imported 1 case: 1 new, 0 updated"
    assert db.session.scalars(select(Case.case_ref)).all() == ["EHC1"]
    assert NAME not in job_runner.last_output


def test_a_job_that_breaks_is_marked_failed_and_logged_without_the_file(
    job_runner: JobRunner, make: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    manager = make.user(Role.MANAGER)
    # Not a workbook at all: reading it fails inside the job.
    job_id = _queued_import(manager, f"PK\x03\x04{NAME}".encode(), name="cases.xlsx")
    with caplog.at_level(logging.INFO):
        assert enqueue("import", job_id=job_id)
        job_runner.run()
    job = _job(job_id)
    assert (job.status, job.running_key, job.payload) == (JOB_FAILED, None, None)
    assert json.loads(job.result or "") == {"outcome": "failed"}
    logged = caplog.text + job_runner.last_output
    assert f"import job {job_id} failed: TabularError" in logged
    assert NAME not in logged


def test_the_worker_command_needs_redis(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    result = app.test_cli_runner().invoke(worker_command, ["--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


def test_only_registered_jobs_with_json_arguments_can_be_enqueued() -> None:
    assert "import" in registered()
    with pytest.raises(ValueError, match="no job is registered as 'nothing'"):
        enqueue("nothing")
    with pytest.raises(TypeError):
        enqueue("import", job_id=object())
    with pytest.raises(ValueError, match="already registered"):
        runner.job("import")(lambda: None)


# --- Mail written in a transaction is delivered after its commit ------------------------------


@pytest.fixture
def deliveries(app: Flask, mail_server: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """Delivery after commit turned on (the tests' own config leaves it off), with the real
    sender's "deliver_outbox" job sending to a real SMTP server."""
    monkeypatch.setitem(app.config, "DELIVER_AFTER_COMMIT", True)
    return mail_server


def _write_mail() -> None:
    db.session.add(
        OutboxMessage(
            to_address="team@provider.test",
            template="work_returned",
            personalisation=json.dumps(
                {"case_ref": "EHC00001", "provider": "P", "work_type": "EP advice", "link": "x"}
            ),
        )
    )
    db.session.info[OUTBOX_WRITTEN] = True


def _sent() -> list[str]:
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.status)))


def test_mail_is_delivered_after_the_commit_that_wrote_it(
    app: Flask, deliveries: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    _write_mail()
    db.session.commit()
    wait_for_jobs()
    assert [m["To"] for m in deliveries.settle()] == ["team@provider.test"]
    assert OUTBOX_WRITTEN not in db.session.info
    assert _sent() == [OUTBOX_SENT]
    db.session.commit()  # nothing written this time: nothing to deliver
    wait_for_jobs()
    assert len(deliveries.settle()) == 1


def test_mail_rolled_back_is_not_delivered(
    app: Flask, deliveries: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    _write_mail()
    db.session.rollback()
    db.session.commit()
    wait_for_jobs()
    assert deliveries.settle() == [] and _sent() == []


def test_mail_written_before_a_savepoint_that_failed_is_still_delivered(
    app: Flask, deliveries: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    _write_mail()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(WorkType(code="ep_advice", name="Twice", turnaround_days=1))
    db.session.commit()
    wait_for_jobs()
    assert len(deliveries.settle()) == 1 and _sent() == [OUTBOX_SENT]


def test_on_redis_the_delivery_is_queued_for_the_worker(
    app: Flask, deliveries: Mailbox, job_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = redis_url(job_redis)
    Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    _write_mail()
    db.session.commit()
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(url), serializer=JSONSerializer)
    assert [(job.func_name, list(job.args)) for job in queue.jobs] == [
        ("provider_portal.jobs.runner.perform", ["deliver_outbox", {}])
    ]
    wait_for_jobs()
    # The worker's to run, not this process's.
    assert deliveries.settle() == [] and _sent() == [OUTBOX_PENDING]


# --- Redis unreachable --------------------------------------------------------------------


def _timed(action: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = action()
    return answer, time.monotonic() - started


def test_enqueue_with_redis_refusing_answers_false_at_once_and_logs(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make: Factory
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", REFUSED)
    job_id = _queued_import(make.user(Role.MANAGER), csv_bytes(CASE_HEADER))
    with caplog.at_level(logging.WARNING, logger="provider_portal.jobs.runner"):
        queued, seconds = _timed(lambda: enqueue("import", job_id=job_id))
    assert queued is False
    assert seconds < 2
    assert "job import not queued: Redis did not answer (ConnectionError)" in caplog.text


def test_enqueue_with_redis_hanging_gives_up_after_its_timeout(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with own_redis() as server:
        monkeypatch.setitem(app.config, "REDIS_URL", redis_url(server))
        server.pause()
        try:
            with caplog.at_level(logging.WARNING, logger="provider_portal.jobs.runner"):
                queued, seconds = _timed(lambda: enqueue("import", job_id=1))
        finally:
            server.resume()
    assert queued is False
    assert seconds < 3
    assert "job import not queued: Redis did not answer" in caplog.text


def test_a_commit_with_mail_and_redis_stopped_still_commits(
    app: Flask,
    deliveries: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", REFUSED)
    _write_mail()
    with caplog.at_level(logging.WARNING, logger="provider_portal.jobs.runner"):
        db.session.commit()
    db.session.rollback()
    # The message waits in the outbox for the next run.
    assert db.session.scalar(select(OutboxMessage.status)) == OUTBOX_PENDING
    assert "job deliver_outbox not queued" in caplog.text
    assert deliveries.settle() == []
