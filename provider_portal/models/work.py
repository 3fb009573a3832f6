"""Kinds of work, the allocations of work to providers, and the documents that come back."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
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
from provider_portal.models.accounts import Provider, User
from provider_portal.models.cases import Case
from provider_portal.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from provider_portal.models.contracts import Contract


def _advice_by_code(context: Any) -> bool:
    return str(context.get_current_parameters().get("code") or "").endswith("advice")


class WorkType(db.Model):  # type: ignore[name-defined]
    """A kind of work a provider can be given, with its turnaround in calendar days."""

    __tablename__ = "work_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    turnaround_days: Mapped[int] = mapped_column(Integer)
    # Advice under reg 8: due 6 weeks from the request for advice, whatever the contract says.
    # Unless told, a work type is advice when its code ends in "advice" (as the migration set
    # the existing ones); the administrator's work type form says so explicitly.
    is_advice: Mapped[bool] = mapped_column(
        Boolean, default=_advice_by_code, server_default=false()
    )


class AllocationStatus(enum.StrEnum):
    """Where a piece of allocated work is."""

    ALLOCATED = "allocated"
    RETURNED = "returned"
    AMENDMENT_REQUESTED = "amendment_requested"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def tag_class(self) -> str:
        return STATUS_TAGS[self]


STATUS_LABELS = {
    AllocationStatus.ALLOCATED: "With provider",
    AllocationStatus.RETURNED: "Returned",
    AllocationStatus.AMENDMENT_REQUESTED: "Amendment requested",
    AllocationStatus.ACCEPTED: "Accepted",
    AllocationStatus.WITHDRAWN: "Withdrawn",
    AllocationStatus.DECLINED: "Declined by provider",
}
STATUS_TAGS = {
    AllocationStatus.ALLOCATED: "govuk-tag--blue",
    AllocationStatus.RETURNED: "govuk-tag--yellow",
    AllocationStatus.AMENDMENT_REQUESTED: "govuk-tag--orange",
    AllocationStatus.ACCEPTED: "govuk-tag--green",
    AllocationStatus.WITHDRAWN: "govuk-tag--grey",
    AllocationStatus.DECLINED: "govuk-tag--pink",
}
OPEN_STATUSES = (
    AllocationStatus.ALLOCATED,
    AllocationStatus.RETURNED,
    AllocationStatus.AMENDMENT_REQUESTED,
)
_OPEN_SQL = text("status IN ('allocated', 'returned', 'amendment_requested')")


class Allocation(db.Model):  # type: ignore[name-defined]
    """One piece of work on one case, given to one provider."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    # The contract the work was bought under: its price and targets apply. Older records
    # may have none; they are counted but not costed.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    # The contract's unit price for this work type on the day it was allocated (None when
    # there is no contract or no price for that day). Kept by allocate() and, when a price
    # is added later, by contracts.pricing.reprice, so money sums read one column.
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_type.id"), index=True)
    status: Mapped[AllocationStatus] = mapped_column(
        Enum(
            AllocationStatus,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=AllocationStatus.ALLOCATED,
        index=True,
    )
    allocated_on: Mapped[date] = mapped_column(Date, index=True)
    # The contract's due date (its turnaround for the work type).
    due_on: Mapped[date] = mapped_column(Date)
    # Advice only: the statutory due date (reg 8), 6 weeks from allocation, moved by the days
    # any advice exception on this item covers. None for work with no statutory limit of its own.
    statutory_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The first time the work came back: the board's "number returned" counts this.
    returned_on: Mapped[date | None] = mapped_column(Date, index=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, index=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    amendment_requested_on: Mapped[date | None] = mapped_column(Date)
    amendment_comment: Mapped[str | None] = mapped_column(Text)
    amendment_count: Mapped[int] = mapped_column(Integer, default=0)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    amendment_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The provider's answer to the allocation, and who in the provider does the work.
    provider_accepted_on: Mapped[date | None] = mapped_column(Date)
    provider_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declined_on: Mapped[date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # When the work closed (accepted, withdrawn or declined): provider access ends a set
    # number of days after this.
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Since when the provider's latest question has waited for the council (None: none waiting).
    unanswered_question_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship(back_populates="allocations")
    provider: Mapped[Provider] = relationship()
    work_type: Mapped[WorkType] = relationship()
    contract: Mapped[Contract | None] = relationship()
    allocated_by: Mapped[User | None] = relationship(foreign_keys=[allocated_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    documents: Mapped[list[Document]] = relationship(
        back_populates="allocation", order_by="Document.version"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # At most one open allocation per case and work type, whatever the code does.
        Index(
            "uq_allocation_open_case_work_type",
            "case_id",
            "work_type_id",
            unique=True,
            sqlite_where=_OPEN_SQL,
            postgresql_where=_OPEN_SQL,
        ),
        Index("ix_allocation_provider_status", "provider_id", "status"),
        # The allocations list's order: a deep page finds its ids from this index alone.
        Index("ix_allocation_allocated_on_id", "allocated_on", "id"),
        # Covers the cohort read from the allocations (monthly.queries.cohort_counts_by, for
        # the league table): it reads only these columns, by allocation date.
        Index("ix_allocation_cohort", "allocated_on", "status", "returned_on"),
        # The daily reminders: open work not yet returned, by its due date.
        Index("ix_allocation_status_due_on", "status", "due_on"),
        # Every column the contract spend totals read (contracts.queries.spend_by_contract),
        # by contract: the allocation form's headroom figures come from the index alone.
        Index(
            "ix_allocation_contract_spend",
            "contract_id",
            "allocated_on",
            "accepted_on",
            "withdrawn_on",
            "declined_on",
            "unit_price",
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# What AllocationDay counts on a day: work allocated, accepted, declined or withdrawn that
# day; work that stopped being outstanding that day (ENDED: the earliest of its returned,
# withdrawn and declined dates, or its allocation day if that was later); and work whose
# spend stopped being committed that day (SETTLED: the earliest of its accepted, withdrawn
# and declined dates, likewise).
ALLOCATED, ACCEPTED, DECLINED, WITHDRAWN = "allocated", "accepted", "declined", "withdrawn"
ENDED, SETTLED = "ended", "settled"
DAY_KINDS = (ALLOCATED, ACCEPTED, DECLINED, WITHDRAWN, ENDED, SETTLED)
# AllocationDay's contract_id for work under no contract.
NO_CONTRACT = 0


class AllocationDay(db.Model):  # type: ignore[name-defined]
    """The work counted by what happened to it on each day (DAY_KINDS), by provider, contract
    and type of work: how many, the sum of their prices, and how many had a price.
    Kept with every allocation written (allocations.summary), so figures over months (the
    pack's flow, burn-down and spend) read some 40,000 counts instead of every allocation.
    Derived from Allocation alone; `flask report check-summaries` compares the two."""

    __tablename__ = "allocation_day"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # NO_CONTRACT: none
    work_type_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The financial year the work was allocated in (spend committed by year of allocation).
    allocated_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    priced: Mapped[int] = mapped_column(Integer)  # of the `count`, how many had a price


# CohortDay's kinds: what happened, on a day, to the work allocated in a month.
JOINED = "allocated"  # allocated
LEFT = "left"  # withdrawn or declined (by its status)
CAME_BACK = "returned"  # first returned
CAME_BACK_LEFT = "returned_left"  # returned and left, on the later of the two days
COHORT_KINDS = (JOINED, LEFT, CAME_BACK, CAME_BACK_LEFT)


class CohortDay(db.Model):  # type: ignore[name-defined]
    """The work allocated each month counted by what happened to it on each day (COHORT_KINDS),
    by provider, contract and type of work. The cohort table (of the work allocated in a month
    and not withdrawn or declined by a date, how much had come back by then) adds these up to
    the date: allocated less left, returned less returned-and-left. Kept with every
    allocation written (allocations.summary); `flask report check-summaries` compares."""

    __tablename__ = "cohort_day"

    # The month the work was allocated in, as year × 100 + month (reports.sql.month_key).
    allocated_month: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # NO_CONTRACT: none
    work_type_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class DataChanges(db.Model):  # type: ignore[name-defined]
    """How many transactions have changed the data the reports are worked out from, counted on
    a few rows (shards) so that two writers seldom wait for each other (provider_portal.changes
    keeps it; the pack cache's data marker is its sum)."""

    __tablename__ = "data_changes"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    changes: Mapped[int] = mapped_column(BigInteger)


class Document(db.Model):  # type: ignore[name-defined]
    """A version of the output a provider uploaded for an allocation."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Set when retention removed the file; the row stays so figures still add up.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allocation: Mapped[Allocation] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("allocation_id", "version"),)
