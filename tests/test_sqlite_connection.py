"""Every SQLite connection the portal opens on a database file is set up the same way:
foreign keys enforced, write-ahead logging (readers never wait for the writer), and the file
read through memory mapping."""

from __future__ import annotations

import pytest

from provider_portal.database import SQLITE_MMAP_BYTES
from provider_portal.extensions import db


def test_each_connection_to_a_database_file_is_set_up(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the PRAGMAs are SQLite's")
    assert db.engine.url.database not in (None, "", ":memory:")
    with db.engine.connect() as first, db.engine.connect() as second:
        for connection in (first, second):
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
