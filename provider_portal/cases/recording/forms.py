"""Recording a case's timescale exceptions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import DateField, HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from provider_portal.forms import DATE_FORMAT, DateInput, new_nonce, options
from provider_portal.models import Case
from provider_portal.timescales import ADVICE_EXCEPTIONS, FINAL_PLAN_EXCEPTIONS

DATE_MESSAGE = "{} must be a real date, like 27 3 2024"


REASON_CHOICES = options(
    [(code, label) for code, label in FINAL_PLAN_EXCEPTIONS.items()]
    + [(code, f"Advice: {label}") for code, label in ADVICE_EXCEPTIONS.items()]
)


class ExceptionForm(FlaskForm):
    """An exception to a time limit, with the dates it covers and when the parent was told."""

    reason = RadioField(
        "Reason",
        widget=GovRadioInput(),
        choices=REASON_CHOICES,
        validators=[InputRequired(message="Select the reason for the exception")],
    )
    allocation = SelectField(
        "Advice it applies to",
        widget=GovSelect(),
        validators=[Optional()],
        description="Only for exceptions to the 6 weeks for advice",
        default="",
    )
    starts_on = DateField(
        "Starts",
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[InputRequired(message="Enter the date the exception starts")],
        description="For example, 19 7 2024",
    )
    ends_on = DateField(
        "Ends",
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[Optional()],
        description="Leave blank if it has not ended",
    )
    parent_told_on = DateField(
        "Parent or young person told",
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[Optional()],
    )
    note = TextAreaField(
        "Note",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=2000, message="The note must be 2,000 characters or fewer"),
        ],
    )
    nonce = HiddenField()  # recorded once: provider_portal.submissions
    submit = SubmitField("Record exception", widget=GovSubmitInput())


def case_exception_form(case: Case, formdata: bool = False) -> ExceptionForm:
    form = (
        ExceptionForm(prefix="exception")
        if formdata
        else ExceptionForm(formdata=None, prefix="exception", nonce=new_nonce())
    )
    form.allocation.choices = options(
        [("", "Not advice: the 20-week limit")]
        + [(str(a.id), f"{a.work_type.name} from {a.provider.name}") for a in case.allocations]
    )
    return form
