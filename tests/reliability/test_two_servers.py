"""Two portal servers, as behind a load balancer: any request may go to either, so nothing a
person does may live in one server's memory or on one server's disk.

Two gunicorn instances on different ports share the suite's PostgreSQL, a Redis for the
sign-in counts and the document store. A practitioner signs in and uploads on one, downloads
from the other and signs out there, and the first then refuses the old cookie (the session
token is in the user's row, not in a server). Failed sign-ins on one count on the other.

Both document stores are tried (the `servers` fixture's two parameters): the local store on a
folder both servers share, and an S3 bucket on the worker's moto server (tests/object_store.py),
where each server has an upload folder of its own, so the download can only come from the
bucket. Runs once, in the PostgreSQL run of the suite (SQLite is one file on one machine).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Document, Role
from provider_portal.storage import _client
from tests import files
from tests.factories import Factory
from tests.object_store import BUCKET
from tests.reliability.conftest import LiveClient, Server, multipart, run_gunicorn

pytestmark = [
    pytest.mark.gunicorn,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
        reason="runs once, in the PostgreSQL run of the suite (two servers share one database)",
    ),
]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADVICE = files.pdf_with_stream(b"% the advice\n" * 2_000)
UNKNOWN = "nobody-two-servers@example.test"


@dataclass(frozen=True)
class Store:
    """Where the two servers keep documents: a folder they share, or a bucket and prefix."""

    backend: str
    shared_folder: Path | None = None
    endpoint: str = ""
    prefix: str = ""

    def settings(self, own_folder: Path) -> dict[str, str]:
        """One server's storage environment; own_folder is that server's alone."""
        if self.shared_folder is not None:
            return {"PORTAL_TEST_SERVER_UPLOADS": str(self.shared_folder), "STORAGE": "local"}
        return {
            "PORTAL_TEST_SERVER_UPLOADS": str(own_folder),
            "STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_PREFIX": self.prefix,
        }

    def object_names(self) -> list[str]:
        """The names under this store's prefix in the bucket (S3 only)."""
        listing = _client(self.endpoint, None).list_objects_v2(Bucket=BUCKET, Prefix=self.prefix)
        return [item["Key"][len(self.prefix) :] for item in listing.get("Contents", [])]


@pytest.fixture(scope="module", params=["local", "s3"])
def document_store(request: pytest.FixtureRequest, app: Flask) -> Iterator[Store]:
    if request.param == "local":
        yield Store("local", shared_folder=Path(app.config["UPLOAD_FOLDER"]))
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = Store("s3", endpoint=endpoint, prefix=f"two-servers-{uuid.uuid4().hex}/")
    yield bucket
    client = _client(endpoint, None)
    for name in bucket.object_names():
        client.delete_object(Bucket=BUCKET, Key=bucket.prefix + name)


@pytest.fixture(scope="module")
def shared_redis() -> Iterator[tuple[redis.Redis, str]]:
    """The Redis both servers count sign-ins in, and a key prefix of this module's own."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis not reachable at {REDIS_URL}: CI needs it ({error})")
        pytest.skip(f"Redis not reachable at {REDIS_URL}; set TEST_REDIS_URL ({error})")
    prefix = f"portal-two-servers-{uuid.uuid4().hex}"
    yield connection, prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


@pytest.fixture(scope="module")
def servers(
    app: Flask,
    tmp_path_factory: pytest.TempPathFactory,
    shared_redis: tuple[redis.Redis, str],
    document_store: Store,
) -> Iterator[tuple[Server, Server]]:
    """Two gunicorn instances sharing the database, the rate limit store and the documents."""
    _, prefix = shared_redis
    settings = {
        "PORTAL_TEST_SERVER_DATABASE": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_TEST_SERVER_RATELIMIT": REDIS_URL,
        "PORTAL_TEST_SERVER_RATELIMIT_PREFIX": prefix,
    }

    def start(name: str) -> Server:
        folder = tmp_path_factory.mktemp(name)
        own_uploads = folder / "uploads"
        own_uploads.mkdir()
        return stack.enter_context(
            run_gunicorn(folder, {**settings, **document_store.settings(own_uploads)})
        )

    with ExitStack() as stack:
        first, second = start("first"), start("second")
        assert first.port != second.port
        yield first, second


@pytest.fixture(autouse=True)
def no_sign_in_counts(shared_redis: tuple[redis.Redis, str]) -> None:
    """Each test starts with no failed sign-ins counted (each store's run repeats them)."""
    connection, prefix = shared_redis
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def _upload(client: LiveClient, allocation_id: int, token: str) -> None:
    body, content_type = multipart(
        {"csrf_token": token}, {"upload-document": ("advice.pdf", ADVICE)}
    )
    path = f"/provider/allocations/{allocation_id}/documents"
    reply = client.request("POST", path, body, {"Content-Type": content_type})
    assert reply.status == 303, reply.body[:500]


def test_a_session_and_its_documents_work_on_either_server(
    app: Flask, make: Factory, servers: tuple[Server, Server], document_store: Store
) -> None:
    first, second = servers
    provider = make.provider()
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(
        provider=provider, assigned_to_id=practitioner.id, provider_accepted_on=date(2024, 8, 2)
    )
    db.session.commit()

    on_first = first.client()
    on_first.sign_in(practitioner)
    _upload(on_first, allocation.id, on_first.token("/provider/allocations"))
    db.session.rollback()  # read what the server committed
    document = db.session.scalars(select(Document)).one()
    document_id = document.id
    if document_store.backend == "s3":
        # In the bucket, and on neither server's disk: the second server can only read it there.
        assert document_store.object_names() == [document.stored_name]
        for server in servers:
            assert not list(server.log.parent.rglob(document.stored_name))

    # The same cookie, on the other server: the session and the file are both there.
    on_second = LiveClient(second.port)
    on_second.cookies = dict(on_first.cookies)
    download = on_second.request("GET", f"/provider/documents/{document_id}")
    assert download.status == 200
    assert download.content == ADVICE
    assert "attachment" in download.headers["Content-Disposition"]

    stale = dict(on_first.cookies)
    token = on_second.token("/provider/allocations")
    assert on_second.post("/sign-out", {}, token).status == 303

    # The first server never saw the sign-out, yet refuses the cookie from before it.
    on_first.cookies = stale
    refused = on_first.request("GET", "/provider/allocations")
    assert refused.status == 302
    assert "/sign-in" in refused.headers["Location"]


def test_failed_sign_ins_on_one_server_count_on_the_other(
    make: Factory, servers: tuple[Server, Server]
) -> None:
    first, second = servers
    on_first, on_second = first.client(), second.client()
    token = on_first.token()
    # Each server runs two workers: only a shared store could count all ten together.
    wrong = {"email": UNKNOWN, "password": "not the right password"}
    for attempt in range(1, 11):
        assert on_first.post("/sign-in", wrong, token).status == 200, attempt
    assert on_second.post("/sign-in", wrong, on_second.token()).status == 429
    assert on_first.post("/sign-in", wrong, token).status == 429
