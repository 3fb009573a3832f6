"""Imports from the web page run as jobs: the progress page, one import of a kind at a time,
the file kept no longer than the job, a job left by a stopped worker released, and progress
written beside the import's own transaction without waiting for it."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import current_app
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.imports import jobs as import_jobs
from provider_portal.imports.rows import CHECKING, SAVING
from provider_portal.jobs import enqueue
from provider_portal.models import Case, Role, User
from provider_portal.models.notifications import (
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    BackgroundJob,
)
from provider_portal.sessions import POLL_HEADER
from tests.factories import Factory
from tests.helpers import PortalClient
from tests.imports.files import CASE_HEADER, csv_bytes
from tests.imports.progress import PROGRESS_URL, done_banner
from tests.job_runners import JobRunner

URL = "/cases/import"
GOOD = csv_bytes(CASE_HEADER, "EHC1,Alex,Smith,2015-01-01,2024-08-15")
BAD = csv_bytes(
    CASE_HEADER, "EHC1,Alex,Smith,31/04/2015,2024-08-15", "EHC2,Sam,,2015-01-01,2024-08-15"
)


def _upload(client: PortalClient, data: bytes, kind: str = "cases", **form: Any) -> Any:
    form = {"kind": kind, "nonce": new_nonce(), "file": (io.BytesIO(data), "f.csv"), **form}
    return client.post(URL, form, content_type="multipart/form-data")


def _job_id(response: Any) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert PROGRESS_URL.fullmatch(location), location
    return int(location.rsplit("/", 1)[1])


def _job(job_id: int) -> BackgroundJob:
    db.session.commit()
    job = db.session.get(BackgroundJob, job_id)
    assert job is not None
    db.session.refresh(job)
    return job


def _running_job(user: User, **values: Any) -> BackgroundJob:
    values = {
        "kind": "import_cases",
        "running_key": "import_cases",
        "status": JOB_RUNNING,
        **values,
    }
    job = BackgroundJob(started_by_id=user.id, payload=GOOD, **values)
    db.session.add(job)
    db.session.commit()
    return job


def _summary(soup: BeautifulSoup) -> list[tuple[str, str]]:
    summary = soup.find(class_="govuk-error-summary")
    assert summary is not None, "no error summary"
    return [(a["href"], a.get_text(strip=True)) for a in summary.find_all("a")]


# --- The journey, on both runners ----------------------------------------------------------


def test_a_good_file_shows_its_progress_then_the_summary(
    job_runner: JobRunner, client_for: Any
) -> None:
    manager = client_for(Role.MANAGER)
    job_id = _job_id(_upload(manager, GOOD))
    url = f"/cases/import/{job_id}"
    if job_runner.name == "redis":  # nothing runs until the worker does
        waiting = manager.page(url)
        assert waiting.h1.get_text(strip=True) == "Importing your file"
        status = waiting.find(attrs={"role": "status"})
        assert status.get_text(strip=True) == "Waiting to start"
        assert waiting.find("a", id="import-refresh")["href"] == url
    job_runner.run()
    soup = manager.page(url)
    assert soup.h1.get_text(strip=True) == "Your file was imported"
    assert done_banner(soup) == "Success Imported 1 case: 1 new, 0 updated."
    assert soup.find("a", id="import-cases")["href"] == "/cases"
    assert soup.find(attrs={"hx-trigger": True}) is None
    assert db.session.scalars(select(Case.case_ref)).all() == ["EHC1"]
    job = _job(job_id)
    assert (job.status, job.payload, job.running_key) == (JOB_DONE, None, None)


def test_a_file_with_problems_lists_them_with_the_form_to_try_again(
    job_runner: JobRunner, client_for: Any
) -> None:
    manager = client_for(Role.MANAGER)
    job_id = _job_id(_upload(manager, BAD))
    job_runner.run()
    soup = manager.page(f"/cases/import/{job_id}")
    assert soup.title.get_text(strip=True).startswith("Error: Your file was not imported")
    assert _summary(soup) == [
        ("#file", "The file has 2 problems. Fix them and upload the file again")
    ]
    rows = [
        [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in soup.find("table", id="import-problems").tbody.find_all("tr")
    ]
    assert rows == [
        ["2", "date_of_birth", "Date of birth must be a real date"],
        ["3", "last_name", "Enter the last name"],
    ]
    form = soup.find("form", enctype="multipart/form-data")
    assert form["action"] == URL
    assert form.find("input", attrs={"name": "kind", "value": "cases"}).has_attr("checked")
    assert form.find("input", attrs={"name": "nonce"})["value"]
    assert db.session.scalars(select(Case)).all() == []
    job = _job(job_id)
    assert (job.status, job.payload, job.running_key) == (JOB_DONE, None, None)
    assert json.loads(job.result or "")["problem_count"] == 2


def test_a_job_that_fails_says_nothing_was_saved(job_runner: JobRunner, client_for: Any) -> None:
    manager = client_for(Role.MANAGER)
    # A file the job cannot read (the page reads every upload first, so only a fault does this).
    job = import_jobs.start_import("cases", manager.user, b"PK\x03\x04", "f.xlsx", {}, False, "n")
    db.session.commit()
    assert enqueue("import", job_id=job.id)
    job_runner.run()
    soup = manager.page(f"/cases/import/{job.id}")
    assert soup.h1.get_text(strip=True) == "Your file could not be imported"
    assert "nothing was saved" in soup.find(id="import-failed").get_text()
    assert soup.find("form", enctype="multipart/form-data")["action"] == URL
    ended = _job(job.id)
    assert (ended.status, ended.payload, ended.running_key) == (JOB_FAILED, None, None)


# --- The progress page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"status": JOB_QUEUED}, "Waiting to start"),
        (
            {"stage": CHECKING, "rows_checked": 1000, "rows_total": 5000},
            "Checking rows: 1,000 of 5,000",
        ),
        (
            {"stage": SAVING, "rows_checked": 5000, "rows_saved": 2000, "rows_total": 5000},
            "Saving rows: 2,000 of 5,000",
        ),
    ],
)
def test_while_it_runs_the_count_polls_itself_and_is_not_activity(
    client_for: Any, values: dict[str, Any], said: str
) -> None:
    manager = client_for(Role.MANAGER)
    url = f"/cases/import/{_running_job(manager.user, **values).id}"
    page = manager.page(url)
    status = page.find(attrs={"role": "status"})
    assert status.get_text(strip=True) == said
    assert status.find("table") is None
    poller = status.find(id="import-progress")
    assert (poller["hx-get"], poller["hx-trigger"], poller["hx-swap"]) == (
        url,
        "every 2s",
        "outerHTML",
    )
    assert json.loads(poller["hx-headers"]) == {POLL_HEADER: "1"}
    assert page.find("a", id="import-refresh")["href"] == url
    assert "HX-Request" in manager.get(url).headers["Vary"]
    fragment = manager.page(url, htmx=True)
    assert [tag["id"] for tag in fragment.find_all(id=True)] == ["import-progress"]
    assert fragment.find(id="import-progress")["hx-trigger"] == "every 2s"
    assert fragment.get_text(strip=True) == said


def test_when_it_ends_the_poll_replaces_the_page_content_and_stops(client_for: Any) -> None:
    manager = client_for(Role.MANAGER)
    job = _running_job(manager.user)
    job.status, job.running_key = JOB_DONE, None
    job.result = json.dumps(
        {"outcome": "problems", "problem_count": 1, "problems": [[2, "x", "No"]]}
    )
    db.session.commit()
    response = manager.get(f"/cases/import/{job.id}", htmx=True)
    assert response.status_code == 200
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"]) == (
        "#import-job",
        "outerHTML",
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert soup.title.get_text().startswith("Error: Your file was not imported")
    assert soup.find(id="import-job").h1.get_text(strip=True) == "Your file was not imported"
    assert soup.find(attrs={"hx-trigger": True}) is None
    assert soup.find(class_="govuk-error-summary") is not None
    assert soup.find("table", id="import-problems") is not None


@pytest.mark.parametrize("polling", [True, False])
def test_polling_does_not_keep_the_session_alive(client_for: Any, polling: bool) -> None:
    with freeze_time("2025-03-01 12:00:00") as frozen:
        manager = client_for(Role.MANAGER)
        url = f"/cases/import/{_running_job(manager.user).id}"
        headers = {POLL_HEADER: "1"} if polling else {}
        frozen.tick(timedelta(minutes=20))
        assert manager.get(url, htmx=True, headers=headers).status_code == 200
        frozen.tick(timedelta(minutes=11))  # 31 minutes since the person last did anything
        response = manager.get(url, htmx=True, headers=headers)
    if polling:
        assert response.status_code == 401
        assert response.headers["HX-Redirect"].startswith("/sign-in")
    else:
        assert response.status_code == 200


def test_the_import_page_links_to_the_persons_running_import(
    client_for: Any, make: Factory
) -> None:
    manager = client_for(Role.MANAGER)
    mine = _running_job(manager.user)
    _running_job(
        make.user(Role.MANAGER), kind="import_allocations", running_key="import_allocations"
    )
    soup = manager.page(URL)
    running = soup.find_all(id=lambda value: bool(value) and value.startswith("import-running-"))
    assert [tag["id"] for tag in running] == [f"import-running-{mine.id}"]
    assert running[0].a["href"] == f"/cases/import/{mine.id}"
    assert "Your case import is still running" in running[0].get_text()


@pytest.mark.parametrize("who", [Role.MANAGER, Role.ADMIN])
def test_only_the_person_who_started_it_sees_it(client_for: Any, make: Factory, who: Role) -> None:
    job = _running_job(make.user(Role.MANAGER))
    client_for(who).page(f"/cases/import/{job.id}", status=404)
    client_for(who).page(f"/cases/import/{job.id + 1}", status=404)


# --- One import of a kind at a time --------------------------------------------------------


@freeze_time("2025-03-01 14:05:00")
def test_a_second_import_of_the_same_kind_is_refused_while_one_runs(
    client_for: Any, make: Factory
) -> None:
    first = _running_job(make.user(Role.MANAGER, name="A Person"), created_at=datetime.now(UTC))
    manager = client_for(Role.MANAGER)
    response = _upload(manager, GOOD)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert soup.title.get_text(strip=True).startswith("Error: Import cases or an allocation log")
    assert _summary(soup) == [
        (
            "#file",
            "A case import is already running. It was started at 14:05 by A Person. "
            "Wait for it to finish, then upload your file again",
        )
    ]
    assert soup.find("input", attrs={"name": "kind", "value": "cases"}).has_attr("checked")
    assert db.session.scalars(select(BackgroundJob.id)).all() == [first.id]
    # An allocation log is another kind: it may run meanwhile.
    log = csv_bytes("case_ref,provider,work_type,allocated_on", "EHC1,P,ot_advice,2024-09-02")
    other = _upload(manager, log, "allocations")
    assert _job(_job_id(other)).running_key == "import_allocations"


def test_the_same_form_sent_twice_while_it_runs_shows_the_same_job(
    client_for: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # never runs
    manager = client_for(Role.MANAGER)
    job = _running_job(manager.user, parameters=json.dumps({"nonce": "n" * 32}))
    assert _job_id(_upload(manager, GOOD, nonce="n" * 32)) == job.id


@pytest.mark.parametrize("same_form", [True, False])
def test_a_race_to_start_is_settled_by_the_unique_key(
    make: Factory, monkeypatch: pytest.MonkeyPatch, same_form: bool
) -> None:
    starter = make.user(Role.MANAGER, name="A Person")
    first = _running_job(starter, parameters=json.dumps({"nonce": "n" * 32}))
    real = import_jobs._running
    looks: list[str] = []

    def late_look(key: str) -> BackgroundJob | None:
        # The first look comes before the other import's insert was committed.
        looks.append(key)
        return None if len(looks) == 1 else real(key)

    monkeypatch.setattr(import_jobs, "_running", late_look)
    actor = starter if same_form else make.user(Role.MANAGER)
    start = import_jobs.start_import
    if same_form:
        assert start("cases", actor, GOOD, "f.csv", {}, False, "n" * 32).id == first.id
    else:
        with pytest.raises(import_jobs.ImportRunning, match="started at .* by A Person"):
            start("cases", actor, GOOD, "f.csv", {}, False, "m" * 32)
    db.session.commit()
    assert db.session.scalars(select(BackgroundJob.id)).all() == [first.id]


@pytest.mark.parametrize(("minutes", "released"), [(61, True), (59, False)])
def test_a_job_left_by_a_stopped_worker_is_released_after_an_hour(
    client_for: Any, make: Factory, minutes: int, released: bool
) -> None:
    with freeze_time("2025-03-01 12:00:00"):
        started = datetime.now(UTC) - timedelta(minutes=minutes)
        stale = _running_job(make.user(Role.MANAGER), started_at=started, created_at=started)
        response = _upload(client_for(Role.MANAGER), GOOD)
    job = _job(stale.id)
    if released:
        assert _job_id(response) != stale.id
        assert (job.status, job.running_key, job.payload) == (JOB_FAILED, None, None)
        assert job.finished_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    else:
        assert response.status_code == 200
        assert (job.status, job.running_key) == (JOB_RUNNING, "import_cases")


def test_when_the_queue_cannot_be_reached_the_import_is_not_left_waiting(
    client_for: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    manager = client_for(Role.MANAGER)
    response = _upload(manager, GOOD)
    assert response.status_code == 200
    assert _summary(manager.soup(response)) == [
        ("#file", "The import could not be started. Try again in a few minutes")
    ]
    job = db.session.scalars(select(BackgroundJob)).one()
    assert (job.status, job.running_key, job.payload) == (JOB_FAILED, None, None)


# --- Progress beside the import's own transaction ------------------------------------------


def _progress_row(job_id: int, engine: Any = None) -> tuple[Any, ...]:
    with (engine or db.engine).connect() as connection:
        row = connection.execute(
            select(
                BackgroundJob.stage,
                BackgroundJob.rows_checked,
                BackgroundJob.rows_saved,
                BackgroundJob.rows_total,
            ).where(BackgroundJob.id == job_id)
        ).one()
        connection.rollback()
    return tuple(row)


def test_progress_is_written_on_a_connection_of_its_own(make: Factory) -> None:
    job = _running_job(make.user(Role.MANAGER))
    record = import_jobs.ProgressRecorder(job.id)
    record(CHECKING, 5, 10)
    assert _progress_row(job.id) == (CHECKING, 5, 0, 10)
    record(SAVING, 3, 10)
    assert _progress_row(job.id) == (SAVING, 10, 3, 10)
    assert record.skipped == 0


def test_a_progress_write_that_would_wait_is_skipped_at_once(make: Factory) -> None:
    job = _running_job(make.user(Role.MANAGER))
    record = import_jobs.ProgressRecorder(job.id)
    with db.engine.connect() as holder:
        # Another transaction holds the job's row (PostgreSQL) or the write lock (SQLite).
        holder.execute(
            BackgroundJob.__table__.update().where(BackgroundJob.id == job.id).values(rows_total=99)
        )
        started = time.monotonic()
        record(CHECKING, 5, 10)
        seconds = time.monotonic() - started
        holder.rollback()
    assert record.skipped == 1
    assert seconds < 3
    assert _progress_row(job.id) == (None, 0, 0, 0)


def test_the_import_records_its_stages_as_far_as_the_database_allows(
    make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = make.user(Role.MANAGER)
    job = import_jobs.start_import(
        "cases",
        manager,
        csv_bytes(CASE_HEADER, *(f"EHC{n},A,B,2015-01-01,2024-08-15" for n in range(3))),
        "f.csv",
        {},
        False,
        new_nonce(),
    )
    db.session.commit()
    seen: list[tuple[Any, ...]] = []

    engine = db.engine

    class Watching(import_jobs.ProgressRecorder):
        def __call__(self, stage: str, done: int, total: int) -> None:
            super().__call__(stage, done, total)
            # Read as someone else would, from a thread outside the job's transactions.
            reader = threading.Thread(
                target=lambda: seen.append(_progress_row(self.job_id, engine))
            )
            reader.start()
            reader.join()

    monkeypatch.setattr(import_jobs, "ProgressRecorder", Watching)
    started = time.monotonic()
    # In a thread of its own, as the runner runs it, with its own app context and session.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job_id = job.id
    worker = threading.Thread(target=lambda: _run_in(app, job_id))
    worker.start()
    worker.join(timeout=30)
    assert time.monotonic() - started < 10  # never waited out a busy timeout
    first, last = (CHECKING, 0, 0, 3), (SAVING, 3, 3, 3)
    if db.engine.dialect.name == "sqlite":
        # The import's transaction holds the write lock from its first statement.
        assert seen == [first, first, first, last]
    else:
        assert seen == [first, (CHECKING, 3, 0, 3), (SAVING, 3, 0, 3), last]
    assert _job(job.id).status == JOB_DONE


def _run_in(app: Any, job_id: int) -> None:
    with app.app_context():
        import_jobs.run_import(job_id)
