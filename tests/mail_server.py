"""A real SMTP server for tests (aiosmtpd on 127.0.0.1): the portal sends, tests read.

def test_something(mail_server):
    ...
    message = mail_server.wait_for(1)[0]
    link = mail_server.link_in(message)
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from provider_portal.mail import wait_for_background_mail

MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD")


class _Controller(Controller):
    """aiosmtpd on a port the kernel picks, bound before the server starts.

    Asking for a free port and then binding it leaves a moment in which another test worker
    can take the same port; a socket bound here is never free in between.
    """

    def __init__(self, handler: Any) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        super().__init__(handler, hostname="127.0.0.1", port=self._socket.getsockname()[1])

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections for the length of the test: bound, so
    no other test worker can listen on it, but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = False
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 Transaction failed"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
        """The messages, once at least `count` have arrived (background sends take a moment)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"expected {count} emails, got {len(self.messages)}"
                self._arrived.wait(remaining)
            return list(self.messages)

    def settle(self) -> list[EmailMessage]:
        """Every message, after any send still in the background has finished."""
        wait_for_background_mail()
        with self._arrived:
            return list(self.messages)

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @classmethod
    def link_in(cls, message: EmailMessage) -> str:
        """The path of the one portal link in the message (PORTAL_URL stripped)."""
        links = re.findall(r"https?://\S+", cls.body(message))
        assert links, "no link in the email"
        return re.sub(r"^https?://[^/]+", "", links[0])


@pytest.fixture
def mail_server(app: Flask) -> Iterator[Mailbox]:
    """A running SMTP server on a free port; the app sends to it for the length of the test."""
    mailbox = Mailbox()
    controller = _Controller(mailbox)
    controller.start()
    saved = {key: app.config[key] for key in MAIL_SETTINGS}
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
    )
    try:
        yield mailbox
    finally:
        wait_for_background_mail()
        app.config.update(saved)
        controller.stop()


@pytest.fixture
def no_mail_server(app: Flask, refused_port: int) -> Iterator[None]:
    """Nothing listens where the app sends mail: every send fails at once."""
    saved = {key: app.config[key] for key in MAIL_SETTINGS}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=refused_port, MAIL_USE_TLS=False)
    try:
        yield
    finally:
        wait_for_background_mail()
        app.config.update(saved)
