"""The two ways an outbox message leaves the portal: SMTP, or GOV.UK Notify (MAIL_BACKEND).

A backend sends one message, or says why it did not: TemporaryFailure when trying again later
may work (the server is down, busy or slow), PermanentFailure when it never will (the
recipient is refused). Each reason is written for the administrator's outbox page and never
holds an email address: servers often echo the address back, so their words are scrubbed.
"""

from __future__ import annotations

import json
import re
import smtplib
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from notifications_python_client.errors import HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from provider_portal.mail import SMTP_TIMEOUT_SECONDS, MailSettings, build_message, smtp_connect
from provider_portal.settings import setting

# OutboxMessage.failure_reason holds this many characters.
REASON_LENGTH = 300
_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]]*@[^\s<>\"'(),;:\[\]]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class DeliveryFailure(Exception):
    """The message was not sent; reason says why, without any address."""

    def __init__(self, reason: str) -> None:
        self.reason = reason[:REASON_LENGTH]
        super().__init__(self.reason)


class TemporaryFailure(DeliveryFailure):
    """Not sent this time; it may go if tried again later."""


class PermanentFailure(DeliveryFailure):
    """Not sent, and trying again would not change that."""


@dataclass(frozen=True)
class Email:
    """One message ready to send: who to, its words, and its fields (for Notify's own
    templates)."""

    message_id: int
    to: str
    template: str
    subject: str
    body: str
    fields: Mapping[str, str] = field(default_factory=dict)


class Backend(Protocol):
    def send(self, email: Email) -> None:
        """Send, or raise TemporaryFailure or PermanentFailure."""

    def close(self) -> None:
        """Let go of any connection kept between messages."""


def scrub(text: object) -> str:
    """A server's words, safe to store and show: no addresses, no control characters."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    cleaned = _CONTROL.sub(" ", _ADDRESS.sub("[address]", str(text)))
    return " ".join(cleaned.split())[:200]


class SmtpBackend:
    """The MAIL_* settings' server. One connection serves a whole run (TLS and signing in
    once, not per message); after any error it is dropped and the next message opens a new
    one, so a refusal of one message never leaves the next on a connection in doubt."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, email: Email) -> None:
        message = build_message(self.settings, email.to, email.subject, email.body)
        try:
            if self._smtp is None:
                self._smtp = smtp_connect(self.settings)
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise smtp_failure(error) from None
        except Exception:
            self._drop()  # whatever it was, the connection is in doubt
            raise

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server (QUIT), if a connection is open."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the messages are sent; a server that has gone needs no goodbye
            finally:
                self._drop()


def smtp_failure(error: Exception) -> DeliveryFailure:
    """What an SMTP error means for the message: a 5xx refusal of the recipient or of the
    message is for good; anything else (a 4xx, no server, a dropped connection, a refusal
    of the portal's own login or sender address, which a setting can fix) is tried again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        code = max((answer[0] for answer in answers), default=0)
        words = scrub(answers[0][1]) if answers else ""
        if answers and all(500 <= answer[0] < 600 for answer in answers):
            return PermanentFailure(f"The mail server refused the recipient ({code} {words})")
        return TemporaryFailure(f"The mail server did not take the recipient yet ({code} {words})")
    if isinstance(error, smtplib.SMTPResponseException):
        code, words = error.smtp_code, scrub(error.smtp_error)
        if isinstance(error, smtplib.SMTPDataError) and 500 <= code < 600:
            return PermanentFailure(f"The mail server refused the message ({code} {words})")
        if 400 <= code < 500:
            return TemporaryFailure(f"The mail server asked to try again later ({code} {words})")
        return TemporaryFailure(
            f"The mail server refused the portal ({code} {words}): check the MAIL_ settings"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TemporaryFailure("The mail server closed the connection")
    if isinstance(error, ConnectionRefusedError):
        return TemporaryFailure("The mail server refused the connection")
    if isinstance(error, ConnectionResetError):
        return TemporaryFailure("The connection to the mail server was reset")
    if isinstance(error, socket.timeout | TimeoutError):
        return TemporaryFailure("The mail server did not answer in time")
    return TemporaryFailure(f"The mail server could not be reached ({type(error).__name__})")


def notify_template_ids(text: str) -> dict[str, str]:
    """NOTIFY_TEMPLATE_IDS as a dict (empty when unset)."""
    parsed = json.loads(text) if text and text.strip() else {}
    if not isinstance(parsed, dict):
        raise ValueError("NOTIFY_TEMPLATE_IDS must be a JSON object")
    return {str(key): str(value) for key, value in parsed.items()}


class NotifyBackend:
    """GOV.UK Notify: one template for every message (((subject)) and ((body))), or a
    council's own template for some kinds, which also gets the message's fields. The outbox
    row's id goes as the reference, so a message sent twice (an answer lost on the way back)
    can be recognised in Notify's records."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        template_id: str,
        template_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.client = NotificationsAPIClient(
            api_key, base_url=base_url, timeout=SMTP_TIMEOUT_SECONDS
        )
        self.template_id = template_id
        self.template_ids = dict(template_ids or {})

    def send(self, email: Email) -> None:
        own = self.template_ids.get(email.template)
        personalisation = {"subject": email.subject, "body": email.body}
        if own:
            personalisation = {**email.fields, **personalisation}
        try:
            self.client.send_email_notification(
                email_address=email.to,
                template_id=own or self.template_id,
                personalisation=personalisation,
                reference=str(email.message_id),
            )
        except InvalidResponse:
            return  # a 2xx whose body was not JSON: Notify took the message
        except HTTPError as error:
            raise notify_failure(error) from None

    def close(self) -> None:
        self.client.request_session.close()


def notify_failure(error: HTTPError) -> DeliveryFailure:
    """400 (a bad address or template) and 403 (a key not allowed to send) are for good;
    429 (too many), 5xx and no answer at all (the client's 503) are tried again."""
    code = error.status_code
    detail = error.message
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("message", "")) if isinstance(item, dict) else str(item) for item in detail
        )
    words = scrub(detail)
    if code in (400, 403):
        return PermanentFailure(f"GOV.UK Notify refused the message ({code} {words})")
    return TemporaryFailure(f"GOV.UK Notify did not take the message ({code} {words})")


def chosen_backend() -> Backend:
    """The backend MAIL_BACKEND names, with its settings."""
    name = setting("MAIL_BACKEND")
    if name == "smtp":
        return SmtpBackend(MailSettings.from_app())
    if name == "notify":
        return NotifyBackend(
            setting("NOTIFY_API_KEY"),
            setting("NOTIFY_BASE_URL"),
            setting("NOTIFY_TEMPLATE_ID"),
            notify_template_ids(setting("NOTIFY_TEMPLATE_IDS")),
        )
    raise ValueError(f"MAIL_BACKEND must be smtp or notify, not {name!r}")
