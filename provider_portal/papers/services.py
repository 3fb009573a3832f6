"""Adding case papers, sharing them with work and un-sharing them, and opening their files.

A paper reaches a provider only through an AllocationPaper row that is not un-shared; the
provider's reads go through permissions.provider_papers(). Titles may name the child, so no
audit row or log line ever holds one: audit details carry ids and kinds only. Every function
leaves the commit to its caller.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import IO

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit, submissions
from provider_portal.documents import (
    IntegrityFailure,
    checked_file,
    discard,
    keep,
    receive_upload,
    stored_columns,
)
from provider_portal.errors import (
    PaperError,
    PortalError,
    ScannerUnavailable,
    StorageFailed,
    UploadRejected,
)
from provider_portal.extensions import db
from provider_portal.models import (
    OPEN_STATUSES,
    PAPER_KINDS,
    Allocation,
    AllocationPaper,
    Case,
    CasePaper,
    User,
    WorkType,
    WorkTypePaperKind,
)
from provider_portal.models.types import utcnow

MAX_TITLE = 200


def _title(text: str | None) -> str:
    """The title as stored: PostgreSQL refuses NUL, blank is missing, 200 characters at most."""
    title = (text or "").replace("\x00", "").strip()
    if not title:
        raise PaperError("Enter a title for the paper", field="title")
    if len(title) > MAX_TITLE:
        raise PaperError(f"The title must be {MAX_TITLE} characters or fewer", field="title")
    return title


def _paper_event(action: str, paper: CasePaper, actor: User | None, **where: object) -> None:
    """A case paper event, filterable by its case (and provider, for work it went with)."""
    allocation = where.get("allocation")
    detail = f"kind={paper.kind}"
    provider_id = None
    if isinstance(allocation, Allocation):
        detail += f" allocation={allocation.id}"
        provider_id = allocation.provider_id
    audit.record(
        action,
        "case_paper",
        paper.id,
        detail=detail,
        actor=actor,
        case_id=paper.case_id,
        provider_id=provider_id,
    )


def add_paper(
    case: Case,
    kind: str,
    title: str | None,
    stream: IO[bytes],
    filename: str | None,
    *,
    actor: User,
    nonce: str,
) -> CasePaper:
    """Check, scan and store a paper on the case (PDF, DOCX, JPEG or PNG); caller commits.

    The kind and title are checked before the file is read; the file is checked exactly as a
    provider's upload is (documents.receive_upload) and renamed under its stored name only
    once its row and audit row are flushed, so a failure leaves no row without a file.
    """
    if kind not in PAPER_KINDS:
        raise PaperError("Select what kind of paper this is", field="kind")
    clean = _title(title)
    if case.anonymised_at is not None:
        raise PaperError("This case's details were removed under the retention policy")
    submissions.claim(nonce, "case_paper", actor)
    stored = receive_upload(stream, filename, images=True)
    try:
        paper = CasePaper(
            case_id=case.id,
            kind=kind,
            title=clean,
            **stored_columns(stored),
            uploaded_by_id=actor.id,
        )
        db.session.add(paper)
        db.session.flush()
        _paper_event("case_paper_uploaded", paper, actor)
        db.session.flush()
        keep(stored)
    except BaseException:
        discard(stored)
        raise
    return paper


def record_refused_paper(case: Case, error: PortalError, *, actor: User) -> None:
    """Audit a paper upload refused for its file or a scanner or store that is down (caller
    commits, after rolling back). The file's name and the title are never recorded."""
    if not isinstance(error, UploadRejected | ScannerUnavailable | StorageFailed):
        return
    detail = f"reason={error.reason}"
    if isinstance(error, UploadRejected) and error.detail:
        detail += f" {error.detail}"
    audit.record(
        "case_paper_upload_refused", "case", case.id, detail=detail, actor=actor, case_id=case.id
    )


def case_paper(case_id: int, paper_id: int) -> CasePaper | None:
    """One of the case's papers (None for another case's)."""
    return db.session.scalar(
        select(CasePaper).where(CasePaper.id == paper_id, CasePaper.case_id == case_id)
    )


def default_kinds(work_type_id: int) -> set[str]:
    """The kinds of paper that go with the work type unless the manager chooses otherwise."""
    return set(
        db.session.scalars(
            select(WorkTypePaperKind.kind).where(WorkTypePaperKind.work_type_id == work_type_id)
        )
    )


def papers_of_kinds(case_ids: Collection[int], kinds: Collection[str]) -> list[CasePaper]:
    """The live papers of the cases whose kind is among kinds, in one query."""
    if not case_ids or not kinds:
        return []
    return list(
        db.session.scalars(
            select(CasePaper)
            .where(
                CasePaper.case_id.in_(case_ids),
                CasePaper.kind.in_(kinds),
                CasePaper.deleted_at.is_(None),
            )
            .order_by(CasePaper.case_id, CasePaper.id)
        )
    )


def default_papers(case_id: int, work_type_id: int) -> list[CasePaper]:
    """The case's papers of the kinds its work type needs."""
    return papers_of_kinds([case_id], default_kinds(work_type_id))


def chosen_papers(case_id: int, paper_ids: Collection[int]) -> list[CasePaper]:
    """The live papers of the case among the ids (anything else is left out)."""
    if not paper_ids:
        return []
    return list(
        db.session.scalars(
            select(CasePaper)
            .where(
                CasePaper.case_id == case_id,
                CasePaper.id.in_(paper_ids),
                CasePaper.deleted_at.is_(None),
            )
            .order_by(CasePaper.id)
        )
    )


def share(
    allocation: Allocation, papers: Sequence[CasePaper], *, actor: User | None
) -> list[CasePaper]:
    """Share the papers with open work on their case; the ones newly shared (caller commits).

    A paper shared already is left as it is; one un-shared before is shared again.
    """
    if not papers:
        return []
    if not allocation.is_open:
        raise PaperError("Papers can only be shared with work that is still open")
    rows = {
        row.paper_id: row
        for row in db.session.scalars(
            select(AllocationPaper).where(AllocationPaper.allocation_id == allocation.id)
        )
    }
    shared = []
    for paper in papers:
        if paper.case_id != allocation.case_id or paper.deleted_at is not None:
            raise PaperError("Only the case's own papers can be shared with its work")
        row = rows.get(paper.id)
        if row is not None and row.unshared_at is None:
            continue
        if row is None:
            row = AllocationPaper(allocation_id=allocation.id, paper_id=paper.id)
            rows[paper.id] = row
            db.session.add(row)
        row.shared_by_id = actor.id if actor else None
        row.shared_at = utcnow()
        row.unshared_at = None
        row.unshared_by_id = None
        _paper_event("case_paper_shared", paper, actor, allocation=allocation)
        shared.append(paper)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise PaperError(
            "Someone else shared these papers a moment ago. Reload the page."
        ) from error
    return shared


def unshare(allocation: Allocation, paper: CasePaper, *, actor: User) -> None:
    """Stop sharing a paper with a piece of work: the provider's access ends at once."""
    row = db.session.scalar(
        select(AllocationPaper).where(
            AllocationPaper.allocation_id == allocation.id,
            AllocationPaper.paper_id == paper.id,
            AllocationPaper.unshared_at.is_(None),
        )
    )
    if row is None:
        raise PaperError("This paper is not shared with that work")
    row.unshared_at = utcnow()
    row.unshared_by_id = actor.id
    _paper_event("case_paper_unshared", paper, actor, allocation=allocation)


def share_with_open_work(paper: CasePaper, *, actor: User) -> list[Allocation]:
    """Share a paper with every piece of open work on its case that lacks it (caller commits)."""
    if paper.deleted_at is not None:
        raise PaperError("This paper was removed under the retention policy")
    open_work = list(
        db.session.scalars(
            select(Allocation)
            .where(Allocation.case_id == paper.case_id, Allocation.status.in_(OPEN_STATUSES))
            .order_by(Allocation.id)
        )
    )
    if not open_work:
        raise PaperError("There is no open work on this case to share the paper with")
    return [allocation for allocation in open_work if share(allocation, [paper], actor=actor)]


def set_default_kinds(work_type: WorkType, kinds: Collection[str], *, actor: User) -> bool:
    """Say which kinds of paper go with the work type by default; False when they were so
    already. The work type form's nonce is claimed by admin's set_advice, saved with this in
    one transaction (caller commits)."""
    unknown = set(kinds) - set(PAPER_KINDS)
    if unknown:
        raise PaperError("Select only the kinds of paper listed", field="paper_kinds")
    if set(kinds) == default_kinds(work_type.id):
        return False
    db.session.execute(
        delete(WorkTypePaperKind).where(WorkTypePaperKind.work_type_id == work_type.id)
    )
    for kind in sorted(set(kinds)):
        db.session.add(WorkTypePaperKind(work_type_id=work_type.id, kind=kind))
    audit.record(
        "work_type_paper_kinds_changed",
        "work_type",
        work_type.id,
        detail="kinds=" + (",".join(sorted(set(kinds))) or "none"),
        actor=actor,
    )
    return True


def open_paper(paper: CasePaper, allocation: Allocation | None) -> IO[bytes]:
    """The paper's stored file, checked against its SHA-256, the download audited (with the
    work it was opened through, for a provider). The caller commits either row."""
    try:
        handle = checked_file(paper)
    except IntegrityFailure:
        _paper_event("case_paper_integrity_failure", paper, None, allocation=allocation)
        raise
    _paper_event("case_paper_downloaded", paper, None, allocation=allocation)
    return handle
