"""The portal as the load test serves it with gunicorn: production's settings (two-factor
sign-in required, the base Config read from the environment) except where a load test on
one machine over plain http needs otherwise.

    gunicorn --workers 2 loadtest.app:app
"""

from __future__ import annotations

import os

from config import Config
from provider_portal import create_app


class LoadTestConfig(Config):
    """Config as production has it, with a few settings the load test's own."""

    # The run's own random key (run.py sets it): nothing outside the run trusts its cookies.
    SECRET_KEY = os.environ["LOADTEST_SECRET_KEY"]
    # Every simulated person signs in from 127.0.0.1 within a few seconds of each other.
    SIGN_IN_RATE_LIMIT = "10000 per minute"
    # No clamd on a developer's machine; the upload path is timed without the scan.
    SCANNER = "none"
    # Nobody reads the email: queued in the outbox as usual, but not sent.
    DELIVER_AFTER_COMMIT = False


app = create_app(LoadTestConfig)
