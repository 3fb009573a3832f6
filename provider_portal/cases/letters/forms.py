"""The case page's form for producing a family letter."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import InputRequired

from provider_portal.cases.letters.services import (
    NO_SENT_BY,
    case_letters,
    letter_subjects,
)
from provider_portal.forms import new_nonce, options
from provider_portal.models import SENT_BY, Case


def sent_by_field() -> RadioField:
    """How the letter goes to the family; the service refuses anything not in SENT_BY."""
    return RadioField(
        "How will it be sent?",
        widget=GovRadioInput(),
        choices=options(SENT_BY.items()),
        validate_choice=False,
        validators=[InputRequired(message=NO_SENT_BY)],
    )


class LetterForm(FlaskForm):
    """Which work or exception the letter is about, and how it goes to the family."""

    # The service checks the choice belongs to the case, so a stale or hand-made one gets its
    # own message rather than WTForms' "Not a valid choice".
    subject = RadioField(
        "What is the letter about?",
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[InputRequired(message="Select what the letter is about")],
    )
    sent_by = sent_by_field()
    nonce = HiddenField()  # recorded once: provider_portal.submissions
    submit = SubmitField("Produce the letter", widget=GovSubmitInput())


class SentByForm(FlaskForm):
    """How a letter already produced went to the family, when that changed."""

    sent_by = sent_by_field()
    submit = SubmitField("Save", widget=GovSubmitInput())


def letter_section(case: Case, posted: LetterForm | None = None) -> dict[str, Any]:
    """What the case page's family letters section draws: the letters and the form."""
    subjects = letter_subjects(case)
    form = posted or LetterForm(formdata=None, prefix="letter", nonce=new_nonce())
    form.subject.choices = options((s.value, s.label) for s in subjects)
    return {"letters": case_letters(case.id), "letter_form": form, "sent_by_labels": SENT_BY}
