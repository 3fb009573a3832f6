"""Long work run outside a web request: named jobs, and the two ways they are run.

A job is a function registered under a name (@job("import")) that takes JSON-able keyword
arguments and runs inside the Flask app. enqueue(name, **kwargs) runs it:
- with REDIS_URL set, on RQ's "portal" queue in Redis, for `flask --app wsgi jobs worker`;
- without, in a background thread of the current process (`make run` and the tests).
Every job module is listed in JOB_MODULES, so the web process and the worker know the same
names. See provider_portal.jobs.runner.
"""

from provider_portal.jobs.runner import (
    JOB_MODULES,
    QUEUE_NAME,
    enqueue,
    install_after_commit,
    job,
    perform,
    registered,
    wait_for_jobs,
)

__all__ = [
    "JOB_MODULES",
    "QUEUE_NAME",
    "enqueue",
    "install_after_commit",
    "job",
    "perform",
    "registered",
    "wait_for_jobs",
]
