"""gunicorn settings for the worker-kill tests: each worker says which request it has just
started (its pid, the method and the path) in a file the test reads, so the test can kill
exactly the worker that is handling its request."""

from __future__ import annotations

import os
from typing import Any

MARKERS = os.environ["PORTAL_TEST_SERVER_MARKERS"]


def pre_request(worker: Any, req: Any) -> None:
    # One short append per request: O_APPEND keeps lines from two workers whole.
    line = f"{os.getpid()} {req.method} {req.path}\n".encode()
    descriptor = os.open(MARKERS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def post_fork(server: Any, worker: Any) -> None:
    # The app is loaded once in the master (--preload): a new worker starts at once, and
    # must not share the master's database connections (it has none, but be sure).
    from provider_portal.extensions import db
    from tests.reliability.gunicorn_app import app

    with app.app_context():
        db.engine.dispose(close=False)
