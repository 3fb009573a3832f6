"""Why work was sent back, and the quality check recorded when the council accepts it.

- A send-back reason is one line of a list the administrator keeps, for plans or for advice.
  Reasons are retired, never deleted, so old figures stay explainable.
- Each time the council sends work back for amendment, one SendBack row records the date, the
  comment and the reasons ticked. The allocation's amendment_* columns still hold the latest
  request (the pages and reminders read them); figures "as of a date" count these rows.
- A quality check is the rubric scored when the council accepts a piece of work: one score per
  section (2 met, 1 partly met, 0 not met). The rubric's sections live in code
  (provider_portal.quality.rubric), so a score row names its section by code.
- The scores are also counted by day, provider, contract, section and score
  (QualityScoreDay), as each check is written (quality.summary): the rubric's figures for a
  range of days read those counts, not every score.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.accounts import User
from provider_portal.models.types import UTCDateTime, utcnow
from provider_portal.models.work import Allocation

# Whom a reason applies to: plan writing (work types that are not advice) or advice.
REASON_APPLIES_TO = ("plan", "advice")

sendback_reason_link = Table(
    "sendback_reason_link",
    db.metadata,
    Column("sendback_id", ForeignKey("sendback.id", ondelete="CASCADE"), primary_key=True),
    Column("reason_id", ForeignKey("sendback_reason.id"), primary_key=True),
    Index("ix_sendback_reason_link_reason", "reason_id", "sendback_id"),
)


class SendBackReason(db.Model):  # type: ignore[name-defined]
    """One reason the council may give when it sends work back."""

    __tablename__ = "sendback_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    applies_to: Mapped[str] = mapped_column(String(10))  # one of REASON_APPLIES_TO
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    # Retired reasons are no longer offered; sends-back that gave them keep them.
    retired_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None


class SendBack(db.Model):  # type: ignore[name-defined]
    """One request to the provider to amend returned work."""

    __tablename__ = "sendback"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"))
    requested_on: Mapped[date] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allocation: Mapped[Allocation] = relationship()
    requested_by: Mapped[User | None] = relationship()
    reasons: Mapped[list[SendBackReason]] = relationship(
        secondary=sendback_reason_link, order_by="SendBackReason.display_order"
    )

    __table_args__ = (
        Index("ix_sendback_allocation", "allocation_id", "requested_on"),
        Index("ix_sendback_requested_on", "requested_on"),
    )


class QualityCheck(db.Model):  # type: ignore[name-defined]
    """The rubric scored when the council accepted one piece of work."""

    __tablename__ = "quality_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), unique=True)
    checked_on: Mapped[date] = mapped_column(Date, index=True)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allocation: Mapped[Allocation] = relationship()
    checked_by: Mapped[User | None] = relationship()
    scores: Mapped[list[QualityScore]] = relationship(
        back_populates="check", order_by="QualityScore.section", cascade="all, delete-orphan"
    )


class QualityScore(db.Model):  # type: ignore[name-defined]
    """One section's score in a quality check: 2 met, 1 partly met, 0 not met."""

    __tablename__ = "quality_score"

    quality_check_id: Mapped[int] = mapped_column(
        ForeignKey("quality_check.id", ondelete="CASCADE"), primary_key=True
    )
    section: Mapped[str] = mapped_column(String(10), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)

    check: Mapped[QualityCheck] = relationship(back_populates="scores")


# QualityScoreDay's section for the row that counts the checks themselves (each check also
# counts once per section it scored). Its contract_id for work under no contract is
# models.work.NO_CONTRACT, as in AllocationDay.
CHECKS_ROW = ""


class QualityScoreDay(db.Model):  # type: ignore[name-defined]
    """How many sections were given each score on one day, for one provider and contract, and
    (section CHECKS_ROW, score 0) how many checks were made: the quality checks counted as
    they are written (quality.summary), so the rubric's figures over months read a few
    thousand counts instead of every score. Derived from QualityCheck and QualityScore alone;
    `flask report check-summaries` compares the two."""

    __tablename__ = "quality_score_day"

    checked_on: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # NO_CONTRACT: none
    section: Mapped[str] = mapped_column(String(10), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
