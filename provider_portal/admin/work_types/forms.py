"""The administrator's work type form: whether the work is advice under reg 8."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import InputRequired

from provider_portal.forms import options

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
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Save", widget=GovSubmitInput())
