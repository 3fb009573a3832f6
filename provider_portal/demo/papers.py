"""The demo's files: case papers on open work and the provider's document on returned work.

Every file is a small PDF made here with fpdf2, saying it is a demo paper, naming no one (the
case reference only), and stored through the same services as a real upload.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

from fpdf import FPDF
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import (
    OPEN_STATUSES,
    PAPER_KINDS,
    Allocation,
    User,
    WorkType,
    WorkTypePaperKind,
)
from provider_portal.papers.services import add_paper, default_kinds, share
from provider_portal.provider.services import store_document

# What migration 0011 gives every work type; a database made with create_all has none.
DEFAULT_PAPER_KINDS = ("request_for_assessment", "parental_views", "consent_to_share")
# The open work that gets papers: the most recently allocated, enough to try the journey.
PAPERED_WORK = 12


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in ["Demo data: not about a real child.", *lines]:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def ensure_paper_kinds() -> None:
    """Give every work type the default kinds, as the migration does, if none has any."""
    if db.session.scalar(select(WorkTypePaperKind.kind).limit(1)) is not None:
        return
    for work_type_id in db.session.scalars(select(WorkType.id)):
        db.session.add_all(
            WorkTypePaperKind(work_type_id=work_type_id, kind=kind) for kind in DEFAULT_PAPER_KINDS
        )
    db.session.flush()


def returned_document(allocation: Allocation, actor: User) -> None:
    """The provider's completed work, uploaded on the day it was returned."""
    assert allocation.returned_on is not None
    title = f"{allocation.work_type.name} for case {allocation.case.case_ref}"
    data = demo_pdf(title, [f"Returned by {allocation.provider.name}."])
    document = store_document(
        allocation, io.BytesIO(data), f"{allocation.case.case_ref}.pdf", actor=actor
    )
    document.uploaded_at = datetime.combine(allocation.returned_on, time(10), tzinfo=UTC)


def share_papers_with_open_work(manager: User) -> int:
    """Papers of its work type's default kinds on the cases of the latest open work, shared
    with it as a manager allocating it would; how many papers were added."""
    open_work = db.session.scalars(
        select(Allocation)
        .where(Allocation.status.in_(OPEN_STATUSES))
        .order_by(Allocation.allocated_on.desc(), Allocation.id.desc())
        .limit(PAPERED_WORK)
    ).all()
    added = 0
    for allocation in open_work:
        ref = allocation.case.case_ref
        papers = [
            add_paper(
                allocation.case,
                kind,
                f"{PAPER_KINDS[kind]} ({ref})",
                io.BytesIO(demo_pdf(PAPER_KINDS[kind], [f"Case {ref}."])),
                f"{kind}.pdf",
                actor=manager,
                nonce=new_nonce(),
            )
            for kind in PAPER_KINDS
            if kind in default_kinds(allocation.work_type_id)
        ]
        share(allocation, papers, actor=manager)
        added += len(papers)
    return added
