"""The one-time nonces of forms whose changes were saved, so a form sent twice saves once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from provider_portal.extensions import db
from provider_portal.models.types import UTCDateTime, utcnow


class FormSubmission(db.Model):  # type: ignore[name-defined]
    """A form's nonce, saved in the same transaction as the change the form made: the same
    form posted again (a double click, back and resubmit, a retry) finds it, and the primary
    key stops a second copy arriving at the same moment."""

    __tablename__ = "form_submission"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    form: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
