"""Sending email over SMTP: plain-text bodies from templates/email/, no personal details.

Emails carry links and notices only: never a child's name or anything about a case, and the
logs name the recipient by user id, never by address.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import render_template

from provider_portal.errors import MailError
from provider_portal.settings import setting

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class MailSettings:
    """The MAIL_* settings, read once so a background send does not need the app."""

    server: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str

    @classmethod
    def from_app(cls) -> MailSettings:
        return cls(
            server=setting("MAIL_SERVER"),
            port=int(setting("MAIL_PORT")),
            use_tls=bool(setting("MAIL_USE_TLS")),
            username=setting("MAIL_USERNAME") or None,
            password=setting("MAIL_PASSWORD") or None,
            sender=setting("MAIL_SENDER"),
        )


def render_body(template: str, **context: Any) -> str:
    """A plain-text body from templates/email/<template>."""
    return render_template(f"email/{template}", **context)


def portal_link(path: str) -> str:
    """An absolute link to a path on the portal, for an email."""
    return setting("PORTAL_URL").rstrip("/") + path


def build_message(settings: MailSettings, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text email from the portal's sender address."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def smtp_connect(settings: MailSettings) -> smtplib.SMTP:
    """A connection to the mail server, secured and signed in as the settings say; smtplib's
    errors (and OSError) go to the caller, who decides what a refusal means."""
    smtp = smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def smtp_send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand one message to the mail server on a connection of its own."""
    with smtp_connect(settings) as smtp:
        smtp.send_message(message)


def _deliver(settings: MailSettings, message: EmailMessage, user_id: int | None) -> None:
    try:
        smtp_send(settings, message)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("email to user %s not sent: %s", user_id, type(error).__name__)
        raise MailError("the mail server did not accept the message") from error
    log.info("email %r sent to user %s", message["Subject"], user_id)


def send_email(to: str, subject: str, body: str, *, user_id: int | None = None) -> None:
    """Send now; raises MailError if the mail server cannot be reached or refuses."""
    settings = MailSettings.from_app()
    _deliver(settings, build_message(settings, to, subject, body), user_id)


# Mail that need not hold up the answer goes through one small pool per process, so a
# password-reset request takes the same time whether or not an email is sent.
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pending: set[Future[None]] = set()
_lock = threading.Lock()


def _background_pool() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked worker needs its own threads
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
            _pool_pid = os.getpid()
        return _pool


def _deliver_quietly(settings: MailSettings, message: EmailMessage, user_id: int | None) -> None:
    try:
        _deliver(settings, message, user_id)
    except MailError:
        pass  # logged by _deliver; the person can ask again


def send_email_later(to: str, subject: str, body: str, *, user_id: int | None = None) -> None:
    """Send in the background; a failure is logged (by user id) and otherwise ignored."""
    settings = MailSettings.from_app()
    message = build_message(settings, to, subject, body)
    future = _background_pool().submit(_deliver_quietly, settings, message, user_id)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _lock:
        _pending.discard(future)


def wait_for_background_mail(timeout: float = 15) -> None:
    """Wait until every background send has finished (tests, and before shutting down)."""
    with _lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)
