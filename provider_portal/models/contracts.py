"""Contracts with providers: value and its variations, prices by work type, and targets."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.accounts import Provider, User
from provider_portal.models.types import Money, UTCDateTime, utcnow
from provider_portal.models.work import WorkType


class ContractStatus(enum.StrEnum):
    """Whether work can be allocated under a contract."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return {"active": "Active", "suspended": "Suspended", "ended": "Ended"}[self.value]

    @property
    def tag_class(self) -> str:
        return {
            "active": "govuk-tag--green",
            "suspended": "govuk-tag--yellow",
            "ended": "govuk-tag--grey",
        }[self.value]


class Contract(db.Model):  # type: ignore[name-defined]
    """What the council bought from one provider: a ceiling, prices and delivery targets."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    # The value agreed when the contract was let; variations add to (or take from) it.
    original_value: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[ContractStatus] = mapped_column(
        Enum(
            ContractStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ContractStatus.ACTIVE,
    )
    # Targets: pieces of work a month, the share returned within the turnaround, the most
    # work that may be sent back for amendment; and what the provider says it can take on.
    monthly_volume: Mapped[int | None] = mapped_column(Integer)
    on_time_target_percent: Mapped[int | None] = mapped_column(Integer)
    max_rework_percent: Mapped[int | None] = mapped_column(Integer)
    stated_monthly_capacity: Mapped[int | None] = mapped_column(Integer)
    # Whether the council scores the quality rubric when it accepts plan writing under this
    # contract (provider_portal.models.quality). On unless the contract says otherwise.
    quality_check: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    provider: Mapped[Provider] = relationship()
    prices: Mapped[list[ContractPrice]] = relationship(
        back_populates="contract",
        order_by="(ContractPrice.work_type_id, ContractPrice.effective_from)",
    )
    variations: Mapped[list[ContractVariation]] = relationship(
        back_populates="contract",
        order_by="(ContractVariation.approved_on, ContractVariation.id)",
    )
    turnarounds: Mapped[list[ContractTurnaround]] = relationship(
        back_populates="contract", order_by="ContractTurnaround.work_type_id"
    )

    __mapper_args__ = {"version_id_col": version}


class ContractPrice(db.Model):  # type: ignore[name-defined]
    """The unit price of one work type under a contract, for work allocated from a date.

    A later row for the same work type replaces the price for work allocated from its date;
    work allocated earlier keeps the price that applied then.
    """

    __tablename__ = "contract_price"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_type.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="prices")
    work_type: Mapped[WorkType] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "contract_id", "work_type_id", "effective_from", name="uq_contract_price_from"
        ),
    )


class ContractVariation(db.Model):  # type: ignore[name-defined]
    """An approved change to a contract's value, e.g. an Executive Board decision."""

    __tablename__ = "contract_variation"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    approved_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    approval_reference: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="variations")
    created_by: Mapped[User | None] = relationship()


class ContractTurnaround(db.Model):  # type: ignore[name-defined]
    """The contract's turnaround target for one work type, in calendar days from allocation."""

    __tablename__ = "contract_turnaround"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_type.id"))
    days: Mapped[int] = mapped_column(Integer)

    contract: Mapped[Contract] = relationship(back_populates="turnarounds")
    work_type: Mapped[WorkType] = relationship()

    __table_args__ = (
        UniqueConstraint("contract_id", "work_type_id", name="uq_contract_turnaround"),
    )


__all__ = [
    "Contract",
    "ContractPrice",
    "ContractStatus",
    "ContractTurnaround",
    "ContractVariation",
]
