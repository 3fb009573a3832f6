"""A child's EHC needs assessment request (the case) and its ledger of timescale exceptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.types import UTCDateTime, utcnow

# Trigram indexes for the case search on PostgreSQL, made by migration 0014 and not declared
# here: they need the pg_trgm extension, which the tables alone (create_all) cannot assume.
# Autogenerate and the schema comparison leave them alone.
MIGRATION_ONLY_INDEXES = frozenset({"ix_case_ref_trgm", "ix_case_child_name_trgm"})

if TYPE_CHECKING:
    from provider_portal.models.work import Allocation


class Case(db.Model):  # type: ignore[name-defined]
    """One request for an EHC needs assessment for one child or young person."""

    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(50), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    # The year group as entered, and the academic year the child is (was) in Reception, from
    # which the current year group and any phase transfer follow for any date.
    year_group: Mapped[str | None] = mapped_column(String(30))
    reception_year: Mapped[int | None] = mapped_column(Integer, index=True)
    setting: Mapped[str | None] = mapped_column(String(200), index=True)
    request_received_on: Mapped[date] = mapped_column(Date, index=True)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The setting's type (provider_portal.outcomes.SETTING_TYPES) decides phase transfers; the
    # year group is anchored to the day it was recorded (None: the day the case was added).
    setting_type: Mapped[str | None] = mapped_column(String(20))
    year_group_as_of: Mapped[date | None] = mapped_column(Date)
    # Outcomes (provider_portal.outcomes): each with its date and who recorded it.
    assessment_decision: Mapped[str | None] = mapped_column(String(20))
    decision_to_assess_on: Mapped[date | None] = mapped_column(Date, index=True)
    decision_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issue_decision: Mapped[str | None] = mapped_column(String(20))
    issue_decision_on: Mapped[date | None] = mapped_column(Date, index=True)
    issue_decision_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    draft_plan_issued_on: Mapped[date | None] = mapped_column(Date)
    draft_plan_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    final_plan_issued_on: Mapped[date | None] = mapped_column(Date)
    final_plan_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The family agreed to a final plan before their 15 days to comment on the draft were up.
    family_agreed_early_final: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Closed without a plan: the date, the reason (refused_to_assess, not_issuing,
    # withdrawn_by_family, moved_away, ceased) and, for ceased, why.
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(30))
    ceased_reason: Mapped[str | None] = mapped_column(String(20))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The people the provider needs to reach while its work is open: kept minimal, shown to the
    # provider only then, never in reports, exports, titles or logs; cleared by retention.
    parent_carer_name: Mapped[str | None] = mapped_column(String(200))
    parent_carer_phone: Mapped[str | None] = mapped_column(String(50))
    parent_carer_email: Mapped[str | None] = mapped_column(String(254))
    senco_name: Mapped[str | None] = mapped_column(String(200))
    senco_phone: Mapped[str | None] = mapped_column(String(50))
    senco_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when retention replaced the child's personal details; figures still count the case.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    allocations: Mapped[list[Allocation]] = relationship(back_populates="case")
    exceptions: Mapped[list[CaseException]] = relationship(
        back_populates="case", order_by="CaseException.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Plans issued by date; the stage report (reports.stages) reads their request dates
        # and ids from the index alone.
        Index("ix_case_final_plan", "final_plan_issued_on", "request_received_on", "id"),
        # The backlog board reads open cases by request date, and counts them (those not
        # closed) from the index alone.
        Index(
            "ix_case_open_by_request",
            "request_received_on",
            "closed_on",
            sqlite_where=text("final_plan_issued_on IS NULL"),
            postgresql_where=text("final_plan_issued_on IS NULL"),
        ),
        # Its phase-transfer group (open cases of a few reception years) from the index alone.
        Index(
            "ix_case_open_by_reception_year",
            "reception_year",
            "setting_type",
            "request_received_on",
            "looked_after",
            "closed_on",
            "id",
            sqlite_where=text("final_plan_issued_on IS NULL"),
            postgresql_where=text("final_plan_issued_on IS NULL"),
        ),
    )

    @property
    def child_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CaseException(db.Model):  # type: ignore[name-defined]
    """A recorded exception to a time limit: which limb, the dates it covers, who was told."""

    __tablename__ = "case_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    # "final_plan" (reg 10(4), the 16/20-week limits) or "advice" (reg 8(2), one allocation).
    applies_to: Mapped[str] = mapped_column(String(20))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"), index=True)
    reason: Mapped[str] = mapped_column(String(50))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    parent_told_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="exceptions")

    __table_args__ = (Index("ix_case_exception_case_applies", "case_id", "applies_to"),)


class ImportMapping(db.Model):  # type: ignore[name-defined]
    """How one user matched the columns of a file with these headers, kept for the next upload."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # "cases" or "allocations".
    kind: Mapped[str] = mapped_column(String(20))
    # SHA-256 of the file's normalised headers, in order.
    headers_key: Mapped[str] = mapped_column(String(64))
    # JSON: {"the file's header": "the portal's column"}.
    mapping: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind", "headers_key"),)


class BoardSelection(db.Model):  # type: ignore[name-defined]
    """A case a council user has ticked on the backlog board, to allocate in bulk.

    Kept in the database, one row a tick, rather than in the session cookie: every response
    sends the cookie back whole, so a filter answered after a tick was saved (or two ticks at
    once) put back the selection as it was before; and every server sees the same rows. The
    id keeps the order of ticking. A new sign-in starts with nothing ticked (sessions.begin).
    """

    __tablename__ = "board_selection"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("user_id", "case_id"),)
