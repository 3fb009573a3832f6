"""The document store under test, on both backends: the upload folder, and an S3 bucket on a
real S3-protocol server (moto's standalone server) that each test worker starts for itself.

A test that asks for `store` runs twice, once per backend. The bucket is shared by the
worker's tests; each test gets its own key prefix, emptied afterwards. moto runs in its own
process, so a memory measurement of the portal (tracemalloc) does not count the bucket's copy.
Without moto_server the S3 runs are skipped, except on CI, where they fail.

    def test_round_trip(store):
        store.names()               # the stored names, temp files aside
        store.read(name); store.write(name, data); store.remove(name)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from provider_portal.storage import _client, file_store
from tests.servers import require_program

BUCKET = "portal-documents"
# moto accepts any credentials; boto3 must find some rather than ask an instance's metadata.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_EC2_METADATA_DISABLED": "true",
}
STORAGE_SETTINGS = ("STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PREFIX")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def s3_endpoint(tmp_root: Path) -> Iterator[str]:
    """A moto S3 server of this worker's own on a loopback port, with the bucket made."""
    program = require_program("moto_server", str(Path(sys.executable).parent))
    os.environ.update(AWS_ENVIRONMENT)
    port = _free_port()
    log = (tmp_root / "moto.log").open("wb")
    server = subprocess.Popen(
        [program, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not start: see {tmp_root / 'moto.log'}")
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{port}"
        _client(endpoint, None).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


class StoreUnderTest:
    """The configured store, with the few raw operations a test needs to set a scene."""

    def __init__(self, backend: str, app: Flask) -> None:
        self.backend = backend
        self.app = app

    def names(self) -> list[str]:
        return [item.name for item in file_store().objects()]

    def read(self, name: str) -> bytes:
        return b"".join(file_store().chunks(name))

    def write(self, name: str, data: bytes) -> None:
        """Put data under name as the portal would (a temp file in the folder, then kept)."""
        temp = Path(self.app.config["UPLOAD_FOLDER"]) / f".upload-test-{uuid.uuid4().hex}"
        temp.write_bytes(data)
        file_store().keep(temp, name)

    def remove(self, name: str) -> None:
        file_store().delete(name)

    def head(self, name: str) -> dict[str, Any]:
        """The bucket's own record of an object (S3 only): its encryption, its size."""
        config = self.app.config
        client = _client(config["S3_ENDPOINT_URL"], None)
        answer: dict[str, Any] = client.head_object(
            Bucket=config["S3_BUCKET"], Key=config["S3_PREFIX"] + name
        )
        return answer


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, app: Flask) -> Iterator[StoreUnderTest]:
    """The document store on each backend in turn; the S3 one under a prefix of its own."""
    if request.param == "local":
        yield StoreUnderTest("local", app)
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    saved = {name: app.config[name] for name in STORAGE_SETTINGS}
    app.config.update(
        STORAGE="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=endpoint,
        S3_PREFIX=f"test-{uuid.uuid4().hex}/",
    )
    try:
        yield StoreUnderTest("s3", app)
    finally:
        with app.app_context():
            for name in StoreUnderTest("s3", app).names():
                file_store().delete(name)
        app.config.update(saved)
