"""Delivering the outbox: claim each message that is due, send it, record what happened.

A message is due when it is pending and its next attempt time has come, or when a sender
claimed it more than STALE_AFTER ago and never finished (that sender died). A sender claims
a message with a conditional UPDATE on the status and claim token it read, and commits the
claim before sending: of two senders that read the same message, one UPDATE changes a row
and the other changes none, so no message is sent twice. The result is written only under
the claim's own token.

A temporary failure puts the message back, to be tried after 1, 2, 4, 8... minutes (at most
LONGEST_WAIT); a permanent one, or MAX_ATTEMPTS tries, marks it failed with the reason. A
message to someone whose account has been deactivated since it was queued is not sent.
The logs name the message and the person by id, never by address.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jinja2 import TemplateError as JinjaTemplateError
from sqlalchemy import and_, or_, select, update

from provider_portal.extensions import db
from provider_portal.models import User
from provider_portal.models.notifications import (
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    OutboxMessage,
)
from provider_portal.notifications.backends import (
    REASON_LENGTH,
    Backend,
    DeliveryFailure,
    Email,
    PermanentFailure,
    TemporaryFailure,
    chosen_backend,
)
from provider_portal.notifications.messages import TemplateError, render_message

log = logging.getLogger(__name__)

# A claim older than this belongs to a sender that stopped part way: the message is due again.
STALE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 10
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
# Due messages read at a time.
BATCH_SIZE = 100

DEACTIVATED = "Not sent: the person's account was deactivated after the message was queued"


@dataclass
class DeliveryReport:
    """What one run did: messages sent, put back to try again, and failed for good."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"Sent {self.sent}, will retry {self.retrying}, failed {self.failed}."


@dataclass(frozen=True)
class _Due:
    id: int
    status: str
    claim_token: str | None


@dataclass(frozen=True)
class _Claimed:
    """A message this sender holds, read in the claim's transaction."""

    id: int
    token: str
    user_id: int | None
    provider_id: int | None
    to_address: str
    template: str
    personalisation: str
    attempts: int
    person_active: bool


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after the attempts-th failed try: 1, 2, 4, 8... minutes, at most
    LONGEST_WAIT."""
    return min(FIRST_WAIT * 2 ** min(max(attempts - 1, 0), 20), LONGEST_WAIT)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _due(now: datetime, after: int, size: int) -> list[_Due]:
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claim_token)
        .where(
            OutboxMessage.id > after,
            or_(
                and_(OutboxMessage.status == OUTBOX_PENDING, OutboxMessage.next_attempt_at <= now),
                and_(
                    OutboxMessage.status == OUTBOX_SENDING,
                    OutboxMessage.claimed_at < now - STALE_AFTER,
                ),
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(size)
    ).all()
    db.session.commit()  # each claim starts its own transaction with its UPDATE
    return [_Due(row.id, row.status, row.claim_token) for row in rows]


def _claim(due: _Due, now: datetime) -> _Claimed | None:
    """Take the message for this sender, or None if another sender got there first."""
    token = secrets.token_hex(16)
    seen_token = (
        OutboxMessage.claim_token.is_(None)
        if due.claim_token is None
        else OutboxMessage.claim_token == due.claim_token
    )
    result: Any = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due.id, OutboxMessage.status == due.status, seen_token)
        .values(status=OUTBOX_SENDING, claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.commit()
        return None
    row = db.session.execute(
        select(
            OutboxMessage.user_id,
            OutboxMessage.provider_id,
            OutboxMessage.to_address,
            OutboxMessage.template,
            OutboxMessage.personalisation,
            OutboxMessage.attempts,
            User.active,
        )
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.id == due.id)
    ).one()
    db.session.commit()  # the claim is kept before anything is sent
    return _Claimed(
        due.id,
        token,
        row.user_id,
        row.provider_id,
        row.to_address,
        row.template,
        row.personalisation,
        row.attempts,
        row.user_id is None or bool(row.active),
    )


def _who(claimed: _Claimed) -> str:
    """The recipient as the logs name them: by id, never by address."""
    if claimed.user_id is not None:
        return f"user {claimed.user_id}"
    return f"the team mailbox of provider {claimed.provider_id}"


def _finish(claimed: _Claimed, **values: Any) -> None:
    """Record the outcome, only while the claim is still this sender's."""
    result: Any = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claimed.id,
            OutboxMessage.status == OUTBOX_SENDING,
            OutboxMessage.claim_token == claimed.token,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        # Only when this sender took longer than STALE_AFTER and another took the message
        # over: that one records its own outcome.
        log.warning("outbox message %s: its claim was taken over by another sender", claimed.id)


def _email(claimed: _Claimed) -> Email:
    """The message's words, from its template and fields; PermanentFailure if they cannot be
    written (a missing template, a missing field)."""
    try:
        fields = json.loads(claimed.personalisation or "{}")
        subject, body = render_message(claimed.template, fields)
    except (ValueError, TemplateError, JinjaTemplateError) as error:
        raise PermanentFailure(
            f"The message could not be written from its template ({type(error).__name__})"
        ) from None
    plain = {str(key): str(value) for key, value in fields.items()}
    return Email(claimed.id, claimed.to_address, claimed.template, subject, body, plain)


def _send(backend: Backend, claimed: _Claimed) -> None:
    if not claimed.person_active:
        raise PermanentFailure(DEACTIVATED)
    email = _email(claimed)
    try:
        backend.send(email)
    except DeliveryFailure:
        raise
    except Exception as error:  # an unforeseen error must not leave the message claimed
        raise TemporaryFailure(f"Sending failed unexpectedly ({type(error).__name__})") from None


def _deliver_one(
    backend: Backend, claimed: _Claimed, now: datetime, report: DeliveryReport
) -> None:
    attempts = claimed.attempts + 1
    try:
        _send(backend, claimed)
    except PermanentFailure as failure:
        tried = claimed.attempts if failure.reason == DEACTIVATED else attempts
        _finish(claimed, status=OUTBOX_FAILED, attempts=tried, failure_reason=failure.reason)
        report.failed += 1
        log.warning("outbox message %s to %s failed: %s", claimed.id, _who(claimed), failure)
    except TemporaryFailure as failure:
        if attempts >= MAX_ATTEMPTS:
            reason = f"Not sent after {attempts} attempts. The last: {failure.reason}"
            _finish(
                claimed,
                status=OUTBOX_FAILED,
                attempts=attempts,
                failure_reason=reason[:REASON_LENGTH],
            )
            report.failed += 1
        else:
            _finish(
                claimed,
                status=OUTBOX_PENDING,
                attempts=attempts,
                next_attempt_at=now + retry_wait(attempts),
                failure_reason=failure.reason,
            )
            report.retrying += 1
        log.warning(
            "outbox message %s to %s not sent (attempt %s): %s",
            claimed.id,
            _who(claimed),
            attempts,
            failure,
        )
    else:
        _finish(claimed, status=OUTBOX_SENT, attempts=attempts, sent_at=now, failure_reason=None)
        report.sent += 1
        log.info("outbox message %s sent to %s", claimed.id, _who(claimed))


def deliver_pending(*, now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send every message that is due (at most limit), inside an app context; see the
    module's note. now fixes the clock (tests); by default each step reads the time.

    It commits as it goes (each claim, each outcome), so call it with nothing of the
    caller's own waiting in the session."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else _utcnow
    backend = chosen_backend()
    report = DeliveryReport()
    tried = 0
    after = 0
    try:
        while limit is None or tried < limit:
            size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - tried)
            batch = _due(clock(), after, size)
            if not batch:
                break
            for due in batch:
                after = due.id
                tried += 1
                claimed = _claim(due, clock())
                if claimed is not None:
                    _deliver_one(backend, claimed, clock(), report)
    finally:
        backend.close()
    return report
