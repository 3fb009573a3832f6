"""A child's EHC needs assessment request: the case."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from provider_portal.models.work import Allocation

TIMESCALE_EXCEPTIONS = {
    "school_holiday": "School or college holiday (reg 10(4)(a))",
    "early_years_closure": "Early years provider closure (reg 10(4)(b))",
    "exceptional_personal_circumstances": "Exceptional personal circumstances (reg 10(4)(c))",
    "absent_from_area": "Absent from the area for 4 weeks or more (reg 10(4)(d))",
}


class Case(db.Model):  # type: ignore[name-defined]
    """One request for an EHC needs assessment for one child or young person."""

    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(50), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    year_group: Mapped[str | None] = mapped_column(String(30))
    setting: Mapped[str | None] = mapped_column(String(200))
    request_received_on: Mapped[date] = mapped_column(Date, index=True)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    final_plan_issued_on: Mapped[date | None] = mapped_column(Date, index=True)
    timescale_exception: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    allocations: Mapped[list[Allocation]] = relationship(back_populates="case")

    __mapper_args__ = {"version_id_col": version}

    @property
    def child_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
