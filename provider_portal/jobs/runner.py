"""The job registry, enqueue() and its two runners, and the hook that delivers mail after a commit.

Jobs take JSON-able keyword arguments only (a row's id, never the row), because on Redis they
travel as JSON (RQ's JSONSerializer: nothing is unpickled from the queue) and because a job may
run minutes later in another process, where it must read the current state anyway.

Enqueueing never breaks the request that asks for it: when Redis cannot be reached within half a
second, enqueue() logs it and answers False, and whatever the job would have done waits in the
database for the next run (the outbox for `flask notifications deliver`, say).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from provider_portal.database import immediate_transactions
from provider_portal.extensions import db
from provider_portal.notifications.services import OUTBOX_WRITTEN
from provider_portal.redis_clients import redis_client
from provider_portal.settings import running_app, setting

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
# The modules whose @job functions make up the registry: imported by whoever enqueues or runs
# a job, so the web process and the worker know the same names.
JOB_MODULES: tuple[str, ...] = (
    "provider_portal.imports.jobs",
    "provider_portal.notifications.jobs",
)
# The job enqueued after a commit that wrote to the email outbox, if a module registers it.
DELIVER_OUTBOX = "deliver_outbox"
# Redis that hangs rather than refuses holds an enqueue for this long, not redis-py's default
# of no limit: the request carries on and the work waits for the next run.
ENQUEUE_TIMEOUT_SECONDS = 0.5
# RQ stops a job that runs longer (an import of the largest file takes a few minutes).
JOB_TIMEOUT_SECONDS = 3600
IN_PROCESS_THREADS = 2

Job = Callable[..., None]
F = TypeVar("F", bound=Job)

_registry: dict[str, Job] = {}


def job(name: str) -> Callable[[F], F]:
    """Register the function as the job called name (keyword arguments only, JSON-able)."""

    def register(function: F) -> F:
        existing = _registry.get(name)
        if existing is not None and existing is not function:
            raise ValueError(f"a job called {name!r} is already registered")
        _registry[name] = function
        return function

    return register


def load_jobs() -> None:
    """Import every job module, so every job name is registered."""
    for module in JOB_MODULES:
        importlib.import_module(module)


def registered() -> frozenset[str]:
    """The names of the jobs that can be enqueued."""
    load_jobs()
    return frozenset(_registry)


def run(name: str, kwargs: dict[str, Any]) -> None:
    """Run a registered job now, in the current app context; on SQLite its transactions take
    the write lock when they begin, as a web request's do (provider_portal.database)."""
    load_jobs()
    with immediate_transactions():
        _registry[name](**kwargs)


def enqueue(name: str, **kwargs: Any) -> bool:
    """Run the job named name outside this request: on Redis if REDIS_URL is set, else in a
    thread of this process. False (and logged) when Redis could not be reached."""
    if name not in registered():
        raise ValueError(f"no job is registered as {name!r}")
    json.dumps(kwargs)  # a TypeError here, in the caller, rather than in a worker later
    url = setting("REDIS_URL")
    if not url:
        _submit(running_app(), name, kwargs)
        return True
    try:
        _queue(url).enqueue(
            perform,
            name,
            kwargs,
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
        )
    except (RedisError, OSError) as error:
        log.warning("job %s not queued: Redis did not answer (%s)", name, type(error).__name__)
        return False
    log.info("job %s queued", name)
    return True


# --- Redis ----------------------------------------------------------------------------------


def _queue(url: str) -> Queue:
    client = redis_client(url, ENQUEUE_TIMEOUT_SECONDS)
    return Queue(QUEUE_NAME, connection=client, serializer=JSONSerializer)


def worker_queue(url: str) -> Queue:
    """The queue as the worker reads it: a connection without the enqueue's short timeouts,
    since the worker waits on Redis for the next job."""
    return Queue(QUEUE_NAME, connection=Redis.from_url(url), serializer=JSONSerializer)


# The app the RQ worker created once, and the worker's own process id: RQ runs each job in a
# forked child, which must open its own database connections.
_worker: dict[str, Any] = {}


def serve_in_worker(app: Flask) -> None:
    """Make this process an RQ worker for the app: perform() runs each job inside it."""
    _worker["app"] = app
    _worker["pid"] = os.getpid()
    load_jobs()


def perform(name: str, kwargs: dict[str, Any]) -> None:
    """Run one job in the RQ worker's app: what RQ calls for each job on the queue."""
    app: Flask | None = _worker.get("app")
    if app is None:
        raise RuntimeError("perform() runs jobs for `flask jobs worker`")
    with app.app_context():
        if os.getpid() != _worker.get("pid"):
            # A forked child shares its parent's pooled connections: drop them unclosed.
            db.engine.dispose(close=False)
        run(name, kwargs)


# --- In this process ------------------------------------------------------------------------

_threads: dict[str, Any] = {}
_running: set[Future[None]] = set()
_threads_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    with _threads_lock:
        pool: ThreadPoolExecutor | None = _threads.get("pool")
        if pool is None or _threads.get("pid") != os.getpid():  # a fork needs threads of its own
            pool = ThreadPoolExecutor(IN_PROCESS_THREADS, thread_name_prefix="job")
            _threads.update(pool=pool, pid=os.getpid())
        return pool


def _run_in_app(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    try:
        with app.app_context():
            run(name, kwargs)
    except Exception as error:  # a thread's exception would otherwise vanish with it
        log.error("job %s failed: %s", name, type(error).__name__)


def _submit(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    future = _executor().submit(_run_in_app, app, name, kwargs)
    with _threads_lock:
        _running.add(future)
    future.add_done_callback(_finished)
    log.info("job %s started in this process", name)


def _finished(future: Future[None]) -> None:
    with _threads_lock:
        _running.discard(future)


def wait_for_jobs(timeout: float = 30) -> None:
    """Wait until every job this process started in a thread has ended (tests, shutdown)."""
    while True:
        with _threads_lock:
            running = list(_running)
        if not running:
            return
        done, not_done = wait(running, timeout=timeout)
        if not_done:
            return


# --- After a commit ---------------------------------------------------------------------------


def _after_commit(session: Session) -> None:
    """Mail written in the transaction is delivered now it is committed."""
    if session.info.pop(OUTBOX_WRITTEN, None) and setting("DELIVER_AFTER_COMMIT"):
        enqueue(DELIVER_OUTBOX)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Outbox rows rolled back are not there to deliver. Only the outermost transaction's end
    counts: rows written before a savepoint that was rolled back are still to be sent."""
    if transaction.parent is None:
        session.info.pop(OUTBOX_WRITTEN, None)


def install_after_commit() -> None:
    """Listen to the app's sessions: after a commit that wrote to the outbox, deliver it."""
    listeners: tuple[tuple[str, Callable[..., None]], ...] = (
        ("after_commit", _after_commit),
        ("after_transaction_end", _after_transaction_end),
    )
    for name, listener in listeners:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
