"""A gunicorn worker killed (SIGKILL) in the middle of an upload or an allocation: no half
file is visible, no row lacks its file, at most one allocation is made and audited, the other
worker goes on serving, and `flask documents check` finds the store consistent."""

from __future__ import annotations

import os
import socket
import time
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AuditEvent, Document, Role
from tests import files
from tests.factories import Factory
from tests.reliability.conftest import LiveClient, Server, multipart

pytestmark = pytest.mark.gunicorn

# About 300 KB, so that half of it is well inside the request body.
BIG_PDF = files.pdf_with_stream(b"% padding\n" * 30_000)
# When the worker handling an allocation is killed: while half the form has arrived (None),
# or so many seconds after all of it was sent, to after the worker has answered.
KILL_AFTER = (None, 0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08)


def _count(model: type, *where: object) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)))


def _store_is_consistent(app: Flask, documents: int, uploads_in_progress: int = 0) -> None:
    """The rows and the store agree, as `flask documents check` says."""
    db.session.rollback()  # read what the server committed
    assert _count(Document) == documents
    result = app.test_cli_runner().invoke(args=["documents", "check"])
    assert result.exit_code == 0, result.output
    assert "the store matches the database" in result.stdout
    in_progress = [line for line in result.stdout.splitlines() if "upload in progress" in line]
    assert len(in_progress) == uploads_in_progress, result.stdout


def _other_worker_answers(client: LiveClient) -> None:
    started = time.monotonic()
    assert client.request("GET", "/provider/allocations").status == 200
    assert time.monotonic() - started < 5


def _practitioner_with_work(make: Factory, server: Server) -> tuple[LiveClient, str, str]:
    """A signed-in practitioner, the upload URL of work they took on, and a CSRF token."""
    provider = make.provider()
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(
        provider=provider, assigned_to_id=practitioner.id, provider_accepted_on=date(2024, 8, 2)
    )
    db.session.commit()
    client = server.client()
    client.sign_in(practitioner)
    token = client.token("/provider/allocations")
    return client, f"/provider/allocations/{allocation.id}/documents", token


def _upload(client: LiveClient, path: str, token: str) -> bytes:
    body, content_type = multipart(
        {"csrf_token": token}, {"upload-document": ("advice.pdf", BIG_PDF)}
    )
    return client.raw(path, body, content_type)


def test_a_worker_killed_while_the_upload_arrives_leaves_nothing(app, make, server):
    client, path, token = _practitioner_with_work(make, server)
    request = _upload(client, path, token)
    with socket.create_connection(("127.0.0.1", server.port)) as connection:
        connection.sendall(request[: len(request) - len(BIG_PDF) // 2])
        server.kill(server.handler_of("POST", path))
    _other_worker_answers(client)
    _store_is_consistent(app, documents=0)
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []

    # Sent whole, the same upload is stored: the portal carried on.
    body, content_type = multipart({"csrf_token": token}, {"upload-document": ("a.pdf", BIG_PDF)})
    assert client.request("POST", path, body, {"Content-Type": content_type}).status == 303
    _store_is_consistent(app, documents=1)


def test_a_worker_killed_while_the_file_is_scanned_leaves_only_a_temp_file(app, make, server):
    client, path, token = _practitioner_with_work(make, server)
    server.scanner.reply = None  # the scanner takes the file and says nothing
    server.scanner.streamed.clear()
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(_upload(client, path, token))
            assert server.scanner.streamed.wait(10), "the file never reached the scanner"
            # Received, checked, fsynced: waiting for the scanner under its temp name.
            [waiting] = os.listdir(app.config["UPLOAD_FOLDER"])
            assert waiting.startswith(".upload-")
            server.kill(server.handler_of("POST", path))
    finally:
        server.scanner.reply = b"stream: OK\n"
    _other_worker_answers(client)
    _store_is_consistent(app, documents=0, uploads_in_progress=1)
    assert _count(AuditEvent, AuditEvent.action == "document_uploaded") == 0


def test_workers_killed_mid_allocation_leave_at_most_one_audited_allocation(app, make, server):
    manager = make.user(Role.MANAGER)
    provider = make.provider()
    cases = [make.case() for _ in KILL_AFTER]
    db.session.commit()
    client = server.client()
    client.sign_in(manager)
    token = client.token("/cases")
    fields = {"work_type": "ep_advice", "provider": str(provider.id)}
    outcomes = []
    for case, delay in zip(cases, KILL_AFTER, strict=True):
        path = f"/cases/{case.id}/allocations"
        body, content_type = multipart({**fields, "csrf_token": token})
        request = client.raw(path, body, content_type)
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(request if delay is not None else request[: -len(body) // 2])
            pid = server.handler_of("POST", path)
            time.sleep(delay or 0)
            server.kill(pid)
        server.wait_for_workers(2)
        db.session.rollback()
        made = _count(Allocation, Allocation.case_id == case.id)
        audited = _count(
            AuditEvent,
            AuditEvent.case_id == case.id,
            AuditEvent.action == "allocation_created",
        )
        assert made <= 1 and audited == made, (delay, made, audited)
        outcomes.append(made)

        # Trying again ends with exactly one allocation, audited once.
        again = client.post(path, fields, token)
        assert again.status == (303 if made == 0 else 200), again.body[:300]
        db.session.rollback()
        assert _count(Allocation, Allocation.case_id == case.id) == 1
        assert (
            _count(
                AuditEvent,
                AuditEvent.case_id == case.id,
                AuditEvent.action == "allocation_created",
            )
            == 1
        )
    # The half-sent form made nothing; a kill that came too late to matter in every other
    # round would prove little, but how late depends on the machine, so that is not asserted.
    assert outcomes[0] == 0, outcomes
