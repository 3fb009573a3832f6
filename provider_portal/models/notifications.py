"""Notifications (in the portal and by email), each person's choices, and background jobs.

A Notification is what one person sees on their Notifications page; it is written in the same
transaction as the event that causes it. An OutboxMessage is one email waiting to be sent (or
sent, or failed): the sender claims it with a conditional update so no message goes twice, and
nothing is lost while the mail server or the queue is down. A NotificationPreference says how a
person wants one kind of event by email: at once, in a daily digest, or not at all.
A BackgroundJob is long work (an import) run outside the web request, with its progress; while
one runs, running_key holds its kind, so a second of the same kind cannot start.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.accounts import Provider, User
from provider_portal.models.types import UTCDateTime, utcnow
from provider_portal.models.work import Allocation

# OutboxMessage.status
OUTBOX_PENDING = "pending"
OUTBOX_SENDING = "sending"
OUTBOX_SENT = "sent"
OUTBOX_FAILED = "failed"
OUTBOX_STATUSES = (OUTBOX_PENDING, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED)

# NotificationPreference.delivery
DELIVER_IMMEDIATELY = "immediately"
DELIVER_DAILY = "daily"
DELIVER_OFF = "off"
DELIVERIES = (DELIVER_IMMEDIATELY, DELIVER_DAILY, DELIVER_OFF)

# Notification.digest: waiting for the person's daily digest, or included in one.
DIGEST_WAITING = "waiting"
DIGEST_SENT = "sent"

# BackgroundJob.status
JOB_QUEUED = "queued"
JOB_RUNNING = "running"
JOB_DONE = "done"
JOB_FAILED = "failed"
JOB_STATUSES = (JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED)


class Notification(db.Model):  # type: ignore[name-defined]
    """One event as one person sees it in the portal: read or not, and whether it waits for
    their daily digest."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # A key of provider_portal.notifications.kinds.KINDS.
    kind: Mapped[str] = mapped_column(String(40))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # DIGEST_WAITING while it waits for the person's daily digest, DIGEST_SENT after.
    digest: Mapped[str | None] = mapped_column(String(10), index=True)
    # Reminders carry a key (kind, work, period) so a second run on the same day adds nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    user: Mapped[User] = relationship()
    allocation: Mapped[Allocation | None] = relationship()


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """One email to send: to a person (user_id) or to a provider's team mailbox (provider_id).

    template names the message (a kind, or "digest"); personalisation holds its fields as JSON
    (the stage, the case reference, a link: never a child's name, birth date or school).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(40))
    personalisation: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(10), default=OUTBOX_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the conditional update that claims the message for one sender.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    user: Mapped[User | None] = relationship()
    provider: Mapped[Provider | None] = relationship()


class NotificationPreference(db.Model):  # type: ignore[name-defined]
    """How one person wants one kind of event by email (no row: the kind's default)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(12))


class BackgroundJob(db.Model):  # type: ignore[name-defined]
    """Long work run by a worker (or a thread of the web process), with its progress."""

    __tablename__ = "background_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the job does: "import_cases", "import_allocations".
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default=JOB_QUEUED)
    # The kind while the job is queued or running, cleared when it ends: the unique
    # constraint refuses a second job of the same kind meanwhile.
    running_key: Mapped[str | None] = mapped_column(String(30), unique=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "checking" then "saving" while it runs.
    stage: Mapped[str | None] = mapped_column(String(20))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_saved: Mapped[int] = mapped_column(Integer, default=0)
    # The uploaded file (children's details), held only until the job ends.
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    # JSON: the file name, the column mapping and the person's choices.
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    # JSON: the summary, or the per-row problems, as the import page shows them.
    result: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()
