"""Reads for the case page's papers: each paper with the work it is shared with, and the
kinds each work type takes by default."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from provider_portal.extensions import db
from provider_portal.models import (
    PAPER_KINDS,
    Allocation,
    AllocationPaper,
    CasePaper,
    WorkType,
    WorkTypePaperKind,
)


@dataclass
class PaperRow:
    """A case paper and the pieces of work it is shared with now."""

    paper: CasePaper
    shares: list[AllocationPaper] = field(default_factory=list)


def case_papers(case_id: int) -> list[PaperRow]:
    """Every paper of the case, oldest first, with its current shares: one query."""
    rows: dict[int, PaperRow] = {}
    found = db.session.execute(
        select(CasePaper, AllocationPaper)
        .outerjoin(
            AllocationPaper,
            and_(AllocationPaper.paper_id == CasePaper.id, AllocationPaper.unshared_at.is_(None)),
        )
        .where(CasePaper.case_id == case_id)
        .options(
            joinedload(AllocationPaper.allocation).joinedload(Allocation.provider),
            joinedload(AllocationPaper.allocation).joinedload(Allocation.work_type),
        )
        .order_by(CasePaper.uploaded_at, CasePaper.id, AllocationPaper.allocation_id)
    )
    for paper, share in found:
        row = rows.setdefault(paper.id, PaperRow(paper))
        if share is not None:
            row.shares.append(share)
    return list(rows.values())


def live_papers(case_id: int) -> list[CasePaper]:
    """The case's papers whose files are still held, oldest first."""
    return list(
        db.session.scalars(
            select(CasePaper)
            .where(CasePaper.case_id == case_id, CasePaper.deleted_at.is_(None))
            .order_by(CasePaper.uploaded_at, CasePaper.id)
        )
    )


def paper_defaults() -> list[tuple[str, list[str]]]:
    """(work type name, the labels of the kinds of paper it takes by default), by name."""
    defaults: dict[str, list[str]] = {}
    rows = db.session.execute(
        select(WorkType.name, WorkTypePaperKind.kind)
        .outerjoin(WorkTypePaperKind, WorkTypePaperKind.work_type_id == WorkType.id)
        .order_by(WorkType.name)
    )
    order = list(PAPER_KINDS)
    for name, kind in rows:
        kinds = defaults.setdefault(name, [])
        if kind is not None:
            kinds.append(kind)
    return [
        (
            name,
            [
                PAPER_KINDS.get(kind, kind)
                for kind in sorted(
                    kinds, key=lambda k: order.index(k) if k in order else len(order)
                )
            ],
        )
        for name, kinds in defaults.items()
    ]


def shared_words(count: int) -> str:
    """What the confirmation says about the papers that went with the work (nothing for none)."""
    if count == 0:
        return ""
    return f" {count} case {'paper was' if count == 1 else 'papers were'} shared with it."
