"""The audit trail: append-only rows, written only through provider_portal.audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provider_portal.extensions import db
from provider_portal.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what to which object, when and from where."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column()
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(Text)
    # The case and provider the event concerns, where there is one: the filters people use.
    case_id: Mapped[int | None] = mapped_column(index=True)
    provider_id: Mapped[int | None] = mapped_column(index=True)

    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)
