"""The portal as gunicorn serves it in the worker-kill tests: the suite's own database and
upload folder, and the scanner the test chose, all passed in the environment."""

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


app = create_app(ServerConfig)
