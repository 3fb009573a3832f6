"""The storage interface, exhaustively, on the folder and on an S3 bucket (tests.object_store)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from provider_portal.storage import BucketStore, check_settings, file_store, key_prefix


def _temp(app, data: bytes) -> Path:
    path = Path(app.config["UPLOAD_FOLDER"]) / f".upload-{hashlib.sha256(data).hexdigest()[:12]}"
    path.write_bytes(data)
    return path


def test_a_kept_file_is_read_back_listed_and_its_temp_file_gone(app, store):
    temp = _temp(app, b"%PDF-1.4 kept")
    file_store().keep(temp, "a" * 32)
    assert not temp.exists()
    assert store.read("a" * 32) == b"%PDF-1.4 kept"
    [listed] = file_store().objects()
    assert (listed.name, listed.size) == ("a" * 32, len(b"%PDF-1.4 kept"))
    assert listed.modified.tzinfo is not None


def test_a_large_file_comes_back_whole_in_chunks_of_a_mebibyte_at_most(app, store):
    data = os.urandom(9 * 1024 * 1024 + 7)  # over boto3's 8 MB threshold for a multipart put
    file_store().keep(_temp(app, data), "large")
    chunks = list(file_store().chunks("large"))
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 1024 * 1024


def test_fetch_hashes_every_byte_and_hands_back_the_file_from_its_start(app, store):
    data = os.urandom(3 * 1024 * 1024 + 5)
    file_store().keep(_temp(app, data), "fetched")
    digest = hashlib.sha256()
    with file_store().fetch("fetched", digest) as handle:
        assert handle.read() == data
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_missing_file_is_file_not_found_and_deleting_it_is_no_error(app, store):
    with pytest.raises(FileNotFoundError):
        list(file_store().chunks("never-stored"))
    with pytest.raises(FileNotFoundError):
        file_store().fetch("never-stored", hashlib.sha256())
    file_store().delete("never-stored")
    store.write("gone", b"x")
    file_store().delete("gone")
    assert store.names() == []


def test_uploads_in_progress_are_not_listed_as_kept(app, store):
    _temp(app, b"half")
    (Path(app.config["UPLOAD_FOLDER"]) / "folder").mkdir()
    store.write("kept", b"whole")
    assert store.names() == ["kept"]


@pytest.mark.parametrize("store", ["s3"], indirect=True)  # a folder relies on the disk's own
def test_every_object_is_put_with_server_side_encryption(app, store):
    store.write("secret", b"%PDF-1.4")
    assert store.head("secret")["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_the_bucket_lists_only_its_own_prefix(app, store):
    store.write("mine", b"x")
    neighbour = BucketStore(
        bucket=app.config["S3_BUCKET"],
        prefix=app.config["S3_PREFIX"] + "other/",
        endpoint_url=app.config["S3_ENDPOINT_URL"],
        region=None,
        sse="AES256",
        spool_folder=Path(app.config["UPLOAD_FOLDER"]),
    )
    assert [item.name for item in neighbour.objects()] == []
    neighbour.keep(_temp(app, b"theirs"), "theirs")
    # The neighbour's object is under this prefix too, one level down: listed by its path,
    # so the documents check would call it an orphan rather than miss it.
    assert store.names() == ["mine", "other/theirs"]
    neighbour.delete("theirs")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", ""),
        (None, ""),
        ("documents", "documents/"),
        ("/documents/", "documents/"),
        ("a/b", "a/b/"),
    ],
)
def test_a_prefix_is_used_as_a_folder(given, expected):
    assert key_prefix(given) == expected


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"STORAGE": "disk"}, "STORAGE must be local or s3, not 'disk'"),
        ({"STORAGE": "S3"}, "STORAGE must be local or s3, not 'S3'"),
        ({"STORAGE": "s3", "S3_BUCKET": ""}, "STORAGE=s3 needs S3_BUCKET"),
        ({"STORAGE": "s3", "S3_BUCKET": "  "}, "STORAGE=s3 needs S3_BUCKET"),
        ({"STORAGE": "s3"}, "STORAGE=s3 needs S3_BUCKET"),
    ],
)
def test_settings_that_cannot_work_refuse_to_start(config, message):
    with pytest.raises(RuntimeError, match=message):
        check_settings(config)


@pytest.mark.parametrize(
    "config", [{}, {"STORAGE": "local"}, {"STORAGE": "s3", "S3_BUCKET": "documents"}]
)
def test_settings_that_work_are_accepted(config):
    check_settings(config)
