"""The portal as gunicorn serves it in the worker-kill and two-server tests: the suite's own
database and upload folder, the scanner and the rate limit store the test chose, all passed in
the environment."""

from __future__ import annotations

import os

from config import TestConfig
from provider_portal import create_app


class ServerConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = os.environ["PORTAL_TEST_SERVER_DATABASE"]
    UPLOAD_FOLDER = os.environ["PORTAL_TEST_SERVER_UPLOADS"]
    SCANNER = os.environ.get("PORTAL_TEST_SERVER_SCANNER", "none")
    CLAMD_SOCKET = os.environ.get("PORTAL_TEST_SERVER_CLAMD", "")
    CLAMD_TIMEOUT = 60
    MAX_UPLOAD_MB = 1
    MAX_CONTENT_LENGTH = 1024 * 1024 + 64 * 1024
    # Redis, when the test shares the sign-in counts between servers; else each worker's own.
    RATELIMIT_STORAGE_URI = os.environ.get("PORTAL_TEST_SERVER_RATELIMIT", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("PORTAL_TEST_SERVER_RATELIMIT_PREFIX", "")


app = create_app(ServerConfig)
