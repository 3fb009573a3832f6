"""Retention: some time after a case closed, delete the documents and anonymise the case.

A case is due when it closed (its final plan was issued, or it closed without one: see
provider_portal.outcomes.closing_date) more than RETENTION_DAYS_AFTER_CLOSE days before the
as-of date and it has not been anonymised yet. Rows stay (the figures still count them);
what could identify the child goes: names, the day and month of birth, the setting, exception
notes, free text on allocations, the contacts for the work, the text of question threads, the
documents' files and names, the case papers' files, names and titles, and the words of the
family letters (when, by whom and how each was sent stay).

Each case commits on its own with its audit rows; its files are deleted only after that
commit. A crash in between leaves orphan files (rows already say "deleted" and are never
served), never a row pointing at a file that is gone without saying so.

`flask retention apply --dry-run` lists the cases exactly as `flask retention apply` does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import and_, func, null, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit
from provider_portal.cases.contacts.services import CONTACT_FIELDS
from provider_portal.documents import EXTENSIONS
from provider_portal.extensions import db
from provider_portal.models import (
    LETTER_KINDS,
    Allocation,
    AllocationMessage,
    Case,
    CasePaper,
    Document,
    FamilyLetter,
    SendBack,
)
from provider_portal.models.types import utcnow
from provider_portal.outcomes import CLOSED_REASONS, closing_date, closing_date_column
from provider_portal.settings import setting
from provider_portal.storage import file_store
from provider_portal.timescales import today

log = logging.getLogger(__name__)

REMOVED_NAME = "Removed"
REMOVED_TEXT = "Removed under the retention policy"
# Allocation fields people type into, which could name the child or their family.
FREE_TEXT_FIELDS = ("amendment_comment", "decline_reason", "withdrawn_reason")


@dataclass(frozen=True)
class DueCase:
    """A case due for retention, how it closed and how many of its documents still have files."""

    case_id: int
    case_ref: str
    closed_on: date
    # None: its final plan was issued; otherwise why it closed without one.
    closed_reason: str | None
    documents: int

    def line(self) -> str:
        noun = "document" if self.documents == 1 else "documents"
        how = (
            "final plan issued"
            if self.closed_reason is None
            else f"closed ({CLOSED_REASONS.get(self.closed_reason, self.closed_reason).lower()})"
        )
        return (
            f"case {self.case_id} {self.case_ref}: {how} "
            f"{self.closed_on:%Y-%m-%d}, {self.documents} {noun}"
        )


@dataclass
class RetentionResult:
    """What an apply did: the cases anonymised, and anything to look at by hand."""

    done: list[DueCase] = field(default_factory=list)
    documents_deleted: int = 0
    papers_deleted: int = 0
    # Cases someone changed while retention ran: left alone, picked up next time.
    skipped: list[DueCase] = field(default_factory=list)
    # Stored names whose files could not be deleted (the rows already say deleted).
    files_left: list[str] = field(default_factory=list)


def retention_days() -> int:
    return int(setting("RETENTION_DAYS_AFTER_CLOSE"))


def latest_kept_issue_date(as_of: date) -> date:
    """Cases closed on or after this date are kept: exactly the limit is not over it."""
    return as_of - timedelta(days=retention_days())


def due_for_retention(as_of: date) -> list[DueCase]:
    """Cases due on as_of, with their live document counts: one grouped query."""
    closed_on = closing_date_column()
    # The reason only for a case closed without a plan (a plan wins, as in closing_date).
    reason = sql_case((Case.final_plan_issued_on.is_(None), Case.closed_reason), else_=null())
    rows = db.session.execute(
        select(Case.id, Case.case_ref, closed_on, reason, func.count(Document.id))
        .select_from(Case)
        .outerjoin(Allocation, Allocation.case_id == Case.id)
        .outerjoin(
            Document,
            and_(Document.allocation_id == Allocation.id, Document.deleted_at.is_(None)),
        )
        .where(Case.anonymised_at.is_(None), closed_on < latest_kept_issue_date(as_of))
        .group_by(Case.id, Case.case_ref, closed_on, reason)
        .order_by(closed_on, Case.id)
    )
    return [
        DueCase(case_id=case_id, case_ref=ref, closed_on=on, closed_reason=why, documents=count)
        for case_id, ref, on, why, count in rows
        if on is not None  # always: the WHERE compares it
    ]


def _delete_papers(case: Case, now: datetime) -> list[str]:
    """Mark the case's papers deleted (their titles may name the child), audited; the stored
    names of their files, to delete once committed."""
    files = []
    papers = db.session.scalars(
        select(CasePaper).where(CasePaper.case_id == case.id, CasePaper.deleted_at.is_(None))
    )
    for paper in papers:
        paper.deleted_at = now
        paper.title = REMOVED_TEXT
        paper.original_filename = "removed" + EXTENSIONS.get(paper.content_type, "")
        files.append(paper.stored_name)
        audit.record(
            "case_paper_deleted",
            "case_paper",
            paper.id,
            detail="retention",
            actor=None,
            case_id=case.id,
        )
    return files


def _anonymise(due: DueCase, as_of: date) -> tuple[list[str], list[str]] | None:
    """Anonymise one case and mark its documents and papers deleted, with audit rows (caller
    commits).

    Returns the stored names of the documents' and the papers' files to delete once
    committed, or None if the case is no longer due (someone changed it since the list was
    made).
    """
    case = db.session.scalar(
        select(Case)
        .where(Case.id == due.case_id)
        .options(
            selectinload(Case.allocations).selectinload(Allocation.documents),
            selectinload(Case.exceptions),
        )
    )
    closed_on = None if case is None else closing_date(case.final_plan_issued_on, case.closed_on)
    if (
        case is None
        or case.anonymised_at is not None
        or closed_on is None
        or closed_on >= latest_kept_issue_date(as_of)
    ):
        return None
    now = utcnow()
    files: list[str] = []
    # Each request for amendment keeps its own copy of the comment (the reasons are the
    # council's list, and stay for the figures).
    db.session.execute(
        update(SendBack)
        .where(
            SendBack.allocation_id.in_([a.id for a in case.allocations]),
            SendBack.comment.is_not(None),
        )
        .values(comment=REMOVED_TEXT)
    )
    for allocation in case.allocations:
        for name in FREE_TEXT_FIELDS:
            if getattr(allocation, name):
                setattr(allocation, name, REMOVED_TEXT)
        for document in allocation.documents:
            if document.deleted_at is not None:
                continue
            document.deleted_at = now
            document.original_filename = "removed" + EXTENSIONS.get(document.content_type, "")
            files.append(document.stored_name)
            audit.record(
                "document_deleted",
                "document",
                document.id,
                detail="retention",
                actor=None,
                case_id=case.id,
                provider_id=allocation.provider_id,
            )
    papers = _delete_papers(case, now)
    for exception in case.exceptions:
        exception.note = None
    # The contacts for the work, and the question threads, which could name the family.
    for name in CONTACT_FIELDS:
        setattr(case, name, None)
    blanked = db.session.execute(
        update(AllocationMessage)
        .where(
            AllocationMessage.allocation_id.in_([a.id for a in case.allocations]),
            AllocationMessage.body != REMOVED_TEXT,
        )
        .values(body=REMOVED_TEXT),
        execution_options={"synchronize_session": False},
    )
    messages = blanked.rowcount  # type: ignore[attr-defined]
    _forget_letters(case.id)
    case.first_name = REMOVED_NAME
    case.last_name = REMOVED_NAME
    # The year stays so that age bands and year groups still come out the same.
    case.date_of_birth = date(case.date_of_birth.year, 1, 1)
    case.setting = None
    case.anonymised_at = now
    audit.record(
        "case_anonymised",
        "case",
        case.id,
        detail=f"retention as_of={as_of:%Y-%m-%d} documents={len(files)} messages={messages}"
        + (f" papers={len(papers)}" if papers else ""),
        actor=None,
        case_id=case.id,
    )
    return files, papers


def _forget_letters(case_id: int) -> None:
    """Remove the words of the case's family letters, keeping when, by whom and how each was
    sent. The title goes too: an administrator's wording may have put the child's name in it."""
    for letter in db.session.scalars(
        select(FamilyLetter).where(FamilyLetter.case_id == case_id, FamilyLetter.body.is_not(None))
    ):
        letter.body = None
        letter.title = LETTER_KINDS.get(letter.kind, "Family letter")
        audit.record(
            "family_letter_removed",
            "family_letter",
            letter.id,
            detail="retention",
            actor=None,
            case_id=case_id,
        )


def _delete_files(stored_names: list[str]) -> list[str]:
    """Delete committed-as-deleted files; the names of any that could not be deleted."""
    store = file_store()
    left = []
    for name in stored_names:
        try:
            store.delete(name)
        except OSError:
            log.exception("retention could not delete stored file %s", name)
            left.append(name)
    return left


def apply_retention(as_of: date) -> RetentionResult:
    """Anonymise every case due on as_of; each case commits, then its files are deleted."""
    result = RetentionResult()
    for due in due_for_retention(as_of):
        try:
            deleted = _anonymise(due, as_of)
            if deleted is None:
                db.session.rollback()
                result.skipped.append(due)
                continue
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            result.skipped.append(due)
            continue
        result.done.append(due)
        files, papers = deleted
        result.documents_deleted += len(files)
        result.papers_deleted += len(papers)
        result.files_left.extend(_delete_files(files + papers))
    return result


# --- flask retention ---------------------------------------------------------------------

retention_cli = AppGroup("retention", help="Delete documents and anonymise old cases.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="List the cases that are due; change nothing")
@click.option("--as-of", "as_of", help="Judge as on this date, YYYY-MM-DD (default today)")
def apply_command(dry_run: bool, as_of: str | None) -> None:
    """Anonymise cases that closed more than the retention period ago."""
    try:
        as_of_date = date.fromisoformat(as_of) if as_of else today()
    except ValueError as error:
        raise click.BadParameter("Enter the date as YYYY-MM-DD", param_hint="--as-of") from error
    limit = latest_kept_issue_date(as_of_date)
    click.echo(
        f"Retention as of {as_of_date:%Y-%m-%d}: cases closed (a final plan issued, or closed "
        f"without one) before "
        f"{limit:%Y-%m-%d} ({retention_days()} days)"
    )
    if dry_run:
        cases = due_for_retention(as_of_date)
        for due in cases:
            click.echo(due.line())
        documents = sum(due.documents for due in cases)
        click.echo(
            f"Dry run: {len(cases)} {_cases(len(cases))} and {documents} "
            f"{_documents(documents)} would be removed. Nothing was changed."
        )
        return
    result = apply_retention(as_of_date)
    for due in result.done:
        click.echo(due.line())
    click.echo(
        f"Anonymised {len(result.done)} {_cases(len(result.done))} and deleted "
        f"{result.documents_deleted} {_documents(result.documents_deleted)}"
        + (f" and {result.papers_deleted} case papers." if result.papers_deleted else ".")
    )
    for due in result.skipped:
        click.echo(f"Skipped case {due.case_id}: it changed while retention ran", err=True)
    for name in result.files_left:
        click.echo(f"Could not delete stored file {name}: delete it by hand", err=True)
    if result.skipped or result.files_left:
        raise click.exceptions.Exit(1)


def _cases(count: int) -> str:
    return "case" if count == 1 else "cases"


def _documents(count: int) -> str:
    return "document" if count == 1 else "documents"
