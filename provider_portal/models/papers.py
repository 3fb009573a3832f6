"""What the council shares with a provider to start the work, and what it tells the family.

Case papers belong to a case and reach a piece of work only through an AllocationPaper row
(un-sharing sets unshared_at and ends access at once). A work type's default papers are its
WorkTypePaperKind rows. AllocationMessage is the question thread of one piece of work.
LetterTemplate is the editable wording of a family letter; FamilyLetter records each one made.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.accounts import User
from provider_portal.models.cases import Case
from provider_portal.models.types import UTCDateTime, utcnow
from provider_portal.models.work import Allocation

# The kinds of case paper, in the order a manager thinks of them.
PAPER_KINDS: dict[str, str] = {
    "request_for_assessment": "Request for assessment",
    "parental_views": "Parental views and aspirations",
    "school_evidence": "School or setting evidence",
    "previous_reports": "Previous reports",
    "consent_to_share": "Consent to share",
    "other": "Other",
}


class CasePaper(db.Model):  # type: ignore[name-defined]
    """A paper the council holds for a case, stored like a provider's document."""

    __tablename__ = "case_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the file was removed (by retention); the row stays for the record.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return PAPER_KINDS.get(self.kind, self.kind)


class AllocationPaper(db.Model):  # type: ignore[name-defined]
    """A case paper shared with one piece of work, until it is un-shared."""

    __tablename__ = "allocation_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("case_paper.id"), index=True)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unshared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unshared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    allocation: Mapped[Allocation] = relationship()
    paper: Mapped[CasePaper] = relationship()

    __table_args__ = (UniqueConstraint("allocation_id", "paper_id"),)


class WorkTypePaperKind(db.Model):  # type: ignore[name-defined]
    """A kind of paper that goes with a work type unless the manager chooses otherwise."""

    __tablename__ = "work_type_paper_kind"

    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_type.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)


class AllocationMessage(db.Model):  # type: ignore[name-defined]
    """One message in the question thread of a piece of work (provider or council)."""

    __tablename__ = "allocation_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    from_council: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    allocation: Mapped[Allocation] = relationship()
    author: Mapped[User | None] = relationship()


# The letters a family is sent, by kind.
LETTER_KINDS: dict[str, str] = {
    "work_accepted": "Who is preparing the advice",
    "exception_parent_told": "A time limit will not be met",
}
# How a letter reached the family.
SENT_BY: dict[str, str] = {
    "post": "Post",
    "email": "Email",
    "by_hand": "By hand",
}


class LetterTemplate(db.Model):  # type: ignore[name-defined]
    """The wording of one kind of family letter, with {placeholders}, edited by administrators."""

    __tablename__ = "letter_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class FamilyLetter(db.Model):  # type: ignore[name-defined]
    """A letter produced for a family: the words as produced, when, by whom and how it went."""

    __tablename__ = "family_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocation.id"))
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("case_exception.id"))
    title: Mapped[str] = mapped_column(String(200))
    # The letter's text as produced; cleared by retention with the child's details.
    body: Mapped[str | None] = mapped_column(Text)
    produced_on: Mapped[date] = mapped_column(Date)
    produced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_by: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    produced_by: Mapped[User | None] = relationship()
