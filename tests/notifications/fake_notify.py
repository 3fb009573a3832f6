"""A stand-in for GOV.UK Notify's API on a loopback port, for the Notify backend's tests.

It checks the Authorization header as Notify does (a JWT signed with the API key's secret,
issued by the key's service id), records each POST /v2/notifications/email and answers 201,
or the status it is told to give next:

def test_something(notify_api):
    notify_api.answers = [500, 201]   # then 201 for the rest
    ...
    assert notify_api.requests[0]["reference"] == "12"
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from flask import Flask

SERVICE_ID = "0c2e5bc5-4e1f-4bd0-9a3f-3a1bd9e6e0a1"
SECRET = "5d1c1e4e-8f7b-4f3a-9d2e-6a7b8c9d0e1f"
API_KEY = f"portal_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
NOTIFY_SETTINGS = (
    "MAIL_BACKEND",
    "NOTIFY_API_KEY",
    "NOTIFY_BASE_URL",
    "NOTIFY_TEMPLATE_ID",
    "NOTIFY_TEMPLATE_IDS",
)
# What Notify says, by status, when it refuses (its v2 error shape).
ERRORS = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 s"),
    500: ("Exception", "Internal server error"),
}


class FakeNotify:
    """The server's state: what it received and what it answers next."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.refused_tokens = 0
        self.answers: list[int] = []
        # Put in a 400's message, as a server might echo what it was sent.
        self.echo: str = ""
        self.lock = threading.Lock()

    def next_answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 201


def _handler(state: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads state.requests

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            error = ERRORS.get(status, ("Error", "Error"))[0]
            self._answer(
                status, {"status_code": status, "errors": [{"error": error, "message": message}]}
            )

        def _token_ok(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return False
            try:
                claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                return False
            return claims.get("iss") == SERVICE_ID and "iat" in claims

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if self.path != "/v2/notifications/email":
                self._error(404, "Not found")
                return
            if not self._token_ok():
                with state.lock:
                    state.refused_tokens += 1
                self._error(403, ERRORS[403][1])
                return
            status = state.next_answer()
            if status != 201:
                message = ERRORS.get(status, ("", "Error"))[1]
                self._error(status, f"{message} {state.echo}".strip())
                return
            with state.lock:
                state.requests.append(body)
            self._answer(
                201,
                {
                    "id": str(uuid.uuid4()),
                    "reference": body.get("reference"),
                    "content": {"subject": "", "body": "", "from_email": "portal@notify.test"},
                    "template": {"id": body["template_id"], "version": 1, "uri": ""},
                    "uri": "",
                },
            )

    return Handler


@pytest.fixture
def notify_api(app: Flask) -> Iterator[FakeNotify]:
    """The fake Notify, running; the app delivers the outbox through it for the test."""
    state = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    saved = {key: app.config[key] for key in NOTIFY_SETTINGS}
    app.config.update(
        MAIL_BACKEND="notify",
        NOTIFY_API_KEY=API_KEY,
        NOTIFY_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
        NOTIFY_TEMPLATE_ID=TEMPLATE_ID,
        NOTIFY_TEMPLATE_IDS="",
    )
    try:
        yield state
    finally:
        app.config.update(saved)
        server.shutdown()
        server.server_close()
