"""The outbox as administrators see it: its messages newest first, counts by status, and
sending a failed message again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from provider_portal import audit
from provider_portal.errors import Conflict, NotFound
from provider_portal.extensions import db
from provider_portal.models import User
from provider_portal.models.notifications import (
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    OUTBOX_STATUSES,
    OutboxMessage,
)
from provider_portal.notifications.kinds import KINDS
from provider_portal.pagination import Page, paginate

DIGEST_LABEL = "Daily digest"


@dataclass(frozen=True)
class OutboxStatus:
    """A message's status as a tag (components/macros.html status_tag)."""

    key: str
    label: str
    tag_class: str


STATUSES = {
    OUTBOX_PENDING: OutboxStatus(OUTBOX_PENDING, "Pending", "govuk-tag--blue"),
    OUTBOX_SENDING: OutboxStatus(OUTBOX_SENDING, "Sending", "govuk-tag--light-blue"),
    OUTBOX_SENT: OutboxStatus(OUTBOX_SENT, "Sent", "govuk-tag--green"),
    OUTBOX_FAILED: OutboxStatus(OUTBOX_FAILED, "Failed", "govuk-tag--red"),
}


@dataclass(frozen=True)
class OutboxRow:
    """One message as the outbox page shows it: never its address or its fields."""

    id: int
    queued_at: datetime
    kind: str
    to: str
    status: OutboxStatus
    attempts: int
    failure_reason: str | None
    sent_at: datetime | None

    @property
    def can_send_again(self) -> bool:
        return self.status.key == OUTBOX_FAILED


def kind_label(template: str) -> str:
    """What the message is about: its kind's label, or the digest."""
    if template in KINDS:
        return KINDS[template].label
    return DIGEST_LABEL if template == "digest" else template


def recipient(message: OutboxMessage) -> str:
    """Who the message is to, by name: a person, or a provider's team mailbox."""
    if message.user is not None:
        return message.user.name
    if message.provider is not None:
        return f"Team mailbox of {message.provider.name}"
    return "Nobody named"


def _row(message: OutboxMessage) -> OutboxRow:
    return OutboxRow(
        id=message.id,
        queued_at=message.created_at,
        kind=kind_label(message.template),
        to=recipient(message),
        status=STATUSES[message.status],
        attempts=message.attempts,
        failure_reason=message.failure_reason,
        sent_at=message.sent_at,
    )


def status_counts() -> dict[str, int]:
    """Messages in each status (every status, 0 for none), in one query."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update({status: count for status, count in rows if status in counts})
    return counts


def page_of_messages(status: str, page: int) -> Page[OutboxRow]:
    """One page of messages, newest first, in one status ("" for all); bounded queries."""
    query = select(OutboxMessage).options(
        selectinload(OutboxMessage.user), selectinload(OutboxMessage.provider)
    )
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    ordered = query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(ordered, page).map(_row)


def send_again(message_id: int, actor: User, *, now: datetime | None = None) -> None:
    """Put a failed message back in the queue, due now with no attempts (caller commits).

    NotFound for no such message; Conflict when it is not failed (sent again already)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OUTBOX_FAILED)
        .values(
            status=OUTBOX_PENDING,
            attempts=0,
            next_attempt_at=now or datetime.now(UTC),
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        if db.session.get(OutboxMessage, message_id) is None:
            raise NotFound()
        raise Conflict("This email has already been queued to send again.")
    audit.record("outbox_message_resent", "outbox_message", message_id, actor=actor)
