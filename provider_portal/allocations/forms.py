"""Forms for reviewing returned work."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from provider_portal.forms import options
from provider_portal.models import AllocationStatus


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


class AmendmentForm(FlaskForm):
    """Send returned work back with what must change."""

    comment = TextAreaField(
        "What needs to be amended",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Enter what needs to be amended"),
            Length(max=5000, message="What needs to be amended must be 5,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Send back for amendment", widget=GovSubmitInput())


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
