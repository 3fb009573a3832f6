"""The administrator's work type form: whether the work is advice under reg 8, and the
kinds of case paper that go with it by default."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput
from wtforms import HiddenField, RadioField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, Optional

from provider_portal.forms import options
from provider_portal.models import PAPER_KINDS

YES_NO = options([("yes", "Yes"), ("no", "No")])


class WorkTypeForm(FlaskForm):
    """Whether work of this type is advice under reg 8 (6 weeks from the request for it)."""

    is_advice = RadioField(
        "Is this advice under regulation 8?",
        description=(
            "Advice from a professional or body asked to contribute to the assessment (an "
            "educational psychologist, health, social care, a therapist) is due 6 weeks from "
            "the request for it, moved only by an advice exception. Other work, such as "
            "writing a draft plan, has only the contract's turnaround."
        ),
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired(message="Select yes if this work is advice under regulation 8")],
    )
    # The service refuses a kind it does not know, with its own message.
    paper_kinds = SelectMultipleField(
        "Which case papers go with this work by default?",
        description=(
            "When a manager allocates this work, the case's papers of these kinds are shared "
            "with the provider unless the manager chooses otherwise. Share only what the "
            "work needs."
        ),
        widget=GovCheckboxesInput(),
        choices=options(list(PAPER_KINDS.items())),
        validate_choice=False,
        validators=[Optional()],
        default=[],
    )
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Save", widget=GovSubmitInput())
