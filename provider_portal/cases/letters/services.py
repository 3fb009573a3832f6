"""Producing a family letter for a case, reading the letters back, and forgetting their words.

A letter is filled in from its kind's template (the administrator's wording, or the default)
and recorded with the words as produced, so the PDF and the DOCX downloaded later say exactly
what was sent. Audit rows name the letter and its kind, never its words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from provider_portal import audit, submissions
from provider_portal.errors import LetterError
from provider_portal.extensions import db
from provider_portal.letters import (
    DEFAULT_TEMPLATES,
    LetterText,
    TemplateProblem,
    check_template,
    exception_values,
    fill,
    work_accepted_values,
)
from provider_portal.models import (
    SENT_BY,
    Allocation,
    AllocationStatus,
    Case,
    FamilyLetter,
    LetterTemplate,
    User,
)
from provider_portal.settings import setting
from provider_portal.timescales import exception_label, today

NOT_ACCEPTED = (
    "The provider has not accepted this work yet: a letter can name who prepares it once they do"
)
NOT_ON_CASE = "Select work or an exception on this case"
NO_SENT_BY = "Select how the letter was sent"


@dataclass(frozen=True)
class Subject:
    """What a letter on this case can be about: accepted work, or a recorded exception."""

    value: str
    label: str


def template_text(kind: str) -> tuple[str, str]:
    """The title and body of a kind of letter: the administrator's wording, else the default."""
    row = db.session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))
    return (row.title, row.body) if row is not None else DEFAULT_TEMPLATES[kind]


def letter_subjects(case: Case) -> list[Subject]:
    """The accepted work and the exceptions on the case a letter can be produced for."""
    subjects = [
        Subject(
            f"work-{a.id}",
            f"{a.work_type.name} from {a.provider.name}: who is preparing it",
        )
        for a in case.allocations
        if _letter_problem(a) is None
    ]
    subjects += [
        Subject(f"exception-{e.id}", f"{exception_label(e.reason)}: a time limit will not be met")
        for e in case.exceptions
    ]
    return subjects


def _letter_problem(allocation: Allocation) -> str | None:
    if allocation.provider_accepted_on is None:
        return NOT_ACCEPTED
    if allocation.status in (AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED):
        return "This work was withdrawn or declined: there is no one preparing it to name"
    return None


def _compose(case: Case, subject: str) -> tuple[str, LetterText, dict[str, int | None]]:
    """The letter's kind, its words, and the work or exception it is about."""
    kind_word, _, id_text = subject.partition("-")
    contact = setting("COUNCIL_CONTACT")
    on = today()
    if kind_word == "work":
        allocation = next((a for a in case.allocations if str(a.id) == id_text), None)
        if allocation is None:
            raise LetterError(NOT_ON_CASE, field="subject")
        problem = _letter_problem(allocation)
        if problem:
            raise LetterError(problem, field="subject")
        kind, values = "work_accepted", work_accepted_values(allocation, contact, on)
        about: dict[str, int | None] = {"allocation_id": allocation.id, "exception_id": None}
    elif kind_word == "exception":
        exception = next((e for e in case.exceptions if str(e.id) == id_text), None)
        if exception is None:
            raise LetterError(NOT_ON_CASE, field="subject")
        work = next((a for a in case.allocations if a.id == exception.allocation_id), None)
        kind, values = "exception_parent_told", exception_values(exception, work, contact, on)
        about = {"allocation_id": exception.allocation_id, "exception_id": exception.id}
    else:
        raise LetterError(NOT_ON_CASE, field="subject")
    title, body = template_text(kind)
    try:
        check_template(kind, title)
        check_template(kind, body)
    except TemplateProblem as problem:
        raise LetterError(
            f"The letter's template cannot be used ({problem}). An administrator must correct it",
            field="subject",
        ) from None
    return kind, LetterText(fill(title, values), fill(body, values)), about


def produce_letter(
    case: Case, subject: str, sent_by: str, *, actor: User, nonce: str
) -> FamilyLetter:
    """Record a family letter about the chosen work or exception (caller commits).

    subject is "work-<allocation id>" or "exception-<exception id>" on this case; sent_by one
    of SENT_BY. Nothing is recorded when either is wrong; the same form sent again (its nonce)
    raises Resubmitted.
    """
    if sent_by not in SENT_BY:
        raise LetterError(NO_SENT_BY, field="sent_by")
    kind, text, about = _compose(case, subject)
    submissions.claim(nonce, "family_letter", actor)
    letter = FamilyLetter(
        case_id=case.id,
        kind=kind,
        title=text.title,
        body=text.body,
        produced_on=today(),
        produced_by_id=actor.id,
        sent_by=sent_by,
        **about,
    )
    db.session.add(letter)
    db.session.flush()
    audit.record(
        "family_letter_produced",
        "family_letter",
        letter.id,
        detail=f"kind={kind} sent_by={sent_by}",
        actor=actor,
        case_id=case.id,
    )
    return letter


def case_letters(case_id: int) -> list[FamilyLetter]:
    """The letters produced on a case, newest first, with who produced each (one query)."""
    return list(
        db.session.scalars(
            select(FamilyLetter)
            .where(FamilyLetter.case_id == case_id)
            .options(joinedload(FamilyLetter.produced_by))
            .order_by(FamilyLetter.created_at.desc(), FamilyLetter.id.desc())
        )
    )


def case_letter(case_id: int, letter_id: int) -> FamilyLetter:
    """One of the case's letters; LetterError when the letter is not the case's."""
    letter = db.session.get(FamilyLetter, letter_id)
    if letter is None or letter.case_id != case_id:
        raise LetterError("There is no such letter on this case")
    return letter


def change_sent_by(letter: FamilyLetter, sent_by: str, *, actor: User) -> bool:
    """Record how the letter went after all (caller commits); False when it is unchanged."""
    if sent_by not in SENT_BY:
        raise LetterError(NO_SENT_BY, field="sent_by")
    if letter.sent_by == sent_by:
        return False
    letter.sent_by = sent_by
    audit.record(
        "family_letter_sent_by_changed",
        "family_letter",
        letter.id,
        detail=f"sent_by={sent_by}",
        actor=actor,
        case_id=letter.case_id,
    )
    return True


def letter_for_download(case_id: int, letter_id: int, fmt: str, *, actor: User) -> LetterText:
    """The words of one of the case's letters, the download audited (caller commits).

    NotFound-like LetterError when the letter is not the case's or its words were removed.
    """
    letter = case_letter(case_id, letter_id)
    if letter.body is None:
        raise LetterError("The letter's words were removed under the retention policy")
    audit.record(
        "family_letter_downloaded",
        "family_letter",
        letter.id,
        detail=f"format={fmt}",
        actor=actor,
        case_id=case_id,
    )
    return LetterText(letter.title, letter.body)
