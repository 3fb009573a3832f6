"""Reading and saving the family letters' templates.

A template is saved only when every {placeholder} in its title and body is one its kind of
letter can fill in (provider_portal.letters.PLACEHOLDERS) and its braces pair up; an edit made
from an older version than the one saved is refused, so one administrator never silently
overwrites another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from provider_portal import audit, submissions
from provider_portal.errors import Conflict, LetterError
from provider_portal.extensions import db
from provider_portal.letters import DEFAULT_TEMPLATES, TemplateProblem, check_template
from provider_portal.models import LETTER_KINDS, LetterTemplate, User


@dataclass(frozen=True)
class TemplateView:
    """A kind of letter's wording as it stands, and the version an edit starts from (0: the
    default wording, never saved)."""

    kind: str
    label: str
    title: str
    body: str
    version: int


def letter_template(kind: str) -> TemplateView:
    """The kind's saved wording, or the default one."""
    row = db.session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))
    if row is None:
        title, body = DEFAULT_TEMPLATES[kind]
        return TemplateView(kind, LETTER_KINDS[kind], title, body, 0)
    return TemplateView(kind, LETTER_KINDS[kind], row.title, row.body, row.version)


def letter_templates() -> list[TemplateView]:
    """Every kind of letter's wording, in the order of LETTER_KINDS."""
    return [letter_template(kind) for kind in LETTER_KINDS]


def save_template(
    kind: str, title: str, body: str, *, seen_version: int, actor: User, nonce: str
) -> LetterTemplate:
    """Save a kind of letter's wording (caller commits).

    LetterError (on the title or the body) for a broken brace or a placeholder the kind cannot
    use; Conflict when it was saved since seen_version was read; Resubmitted for the same form
    sent again. Nothing is saved in any of those cases.
    """
    title, body = title.strip(), body.strip()
    for field, text in (("title", title), ("body", body)):
        try:
            check_template(kind, text)
        except TemplateProblem as problem:
            raise LetterError(str(problem), field=field) from None
    row = db.session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))
    if (row.version if row is not None else 0) != seen_version:
        raise Conflict()
    submissions.claim(nonce, "letter_template", actor)
    if row is None:
        row = LetterTemplate(kind=kind)
        db.session.add(row)
    row.title, row.body, row.updated_by_id = title, body, actor.id
    db.session.flush()
    audit.record(
        "letter_template_changed",
        "letter_template",
        row.id,
        detail=f"kind={kind} version={row.version}",
        actor=actor,
    )
    return row
