"""Forms for reviewing returned work."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from provider_portal.forms import offered, options
from provider_portal.models import AllocationStatus, SendBackReason
from provider_portal.quality.rubric import SCORE_LABELS, SECTIONS, section_title
from provider_portal.quality.services import ONLY_LISTED_REASONS, SELECT_A_REASON


class AllocationFilterForm(FlaskForm):
    """Filters on the allocation list (GET)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        widget=GovSelect(),
        choices=options([("", "Any status")] + [(s.value, s.label) for s in AllocationStatus]),
        validators=[Optional()],
        default="",
    )
    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    work_type = SelectField("Type of work", widget=GovSelect(), validators=[Optional()], default="")
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class AcceptForm(FlaskForm):
    """Accept returned work (the button is the whole form)."""

    submit = SubmitField("Accept work", widget=GovSubmitInput())


class RubricAcceptForm(AcceptForm):
    """Accept returned plan writing, scoring each section of the rubric (fields added below)."""

    def scores(self) -> dict[str, int]:
        """Section code -> score, from the answers (call after validating)."""
        return {section.code: int(self[_section_field(section.code)].data) for section in SECTIONS}


def _section_field(code: str) -> str:
    return f"section_{code}"


SCORE_CHOICES = options([(str(score), label) for score, label in SCORE_LABELS.items()])
for _section in SECTIONS:
    _missing = f"Select whether section {_section.code} is met, partly met or not met"
    setattr(
        RubricAcceptForm,
        _section_field(_section.code),
        RadioField(
            section_title(_section.code),
            widget=GovRadioInput(),
            choices=SCORE_CHOICES,
            validate_choice=False,
            validators=[
                InputRequired(message=_missing),
                AnyOf([choice.value for choice in SCORE_CHOICES], message=_missing),
            ],
        ),
    )


def accept_form(rubric: bool, **kwargs: Any) -> AcceptForm:
    """The accept form, asking for the rubric's scores when the work needs a quality check."""
    return (RubricAcceptForm if rubric else AcceptForm)(prefix="accept", **kwargs)


class AmendmentForm(FlaskForm):
    """Send returned work back with the reasons ticked and what must change."""

    # Choices are the current reasons for the work type (amendment_form, below).
    reasons = SelectMultipleField(
        "Why is the work being sent back?",
        description="Select all that apply.",
        widget=GovCheckboxesInput(),
        validate_choice=False,
        validators=[InputRequired(message=SELECT_A_REASON)],
        default=[],
    )
    comment = TextAreaField(
        "What needs to be amended",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter what needs to be amended"),
            Length(max=5000, message="What needs to be amended must be 5,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Send back for amendment", widget=GovSubmitInput())

    def validate_reasons(self, field: SelectMultipleField) -> None:
        if not set(field.data or []) <= offered(field):
            raise ValidationError(ONLY_LISTED_REASONS)

    def reason_ids(self) -> list[int]:
        return [int(value) for value in self.reasons.data or []]


def amendment_form(reasons: list[SendBackReason], **kwargs: Any) -> AmendmentForm:
    """The send-back form offering these reasons (the current ones for the work type)."""
    form = AmendmentForm(prefix="amend", **kwargs)
    form.reasons.choices = options([(str(reason.id), reason.label) for reason in reasons])
    return form


class WithdrawForm(FlaskForm):
    """Take open work back from the provider, saying why."""

    reason = TextAreaField(
        "Why are you withdrawing this work?",
        widget=GovTextArea(),
        description="The provider will see this. Do not include the child's name.",
        validators=[
            InputRequired(message="Enter why you are withdrawing this work"),
            Length(max=2000, message="Why you are withdrawing must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Withdraw this work", widget=GovSubmitInput())
