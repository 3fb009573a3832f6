"""The case details form: the child, the request and the setting, for adding or changing."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from provider_portal.accounts.forms import strip
from provider_portal.forms import (
    new_nonce,
    options,
    required_date,
)
from provider_portal.models import Case
from provider_portal.outcomes import SETTING_TYPES

SETTING_TYPE_CHOICES = options([("", "Not recorded"), *SETTING_TYPES.items()])
YES_NO = options([("yes", "Yes"), ("no", "No")])


def _text(label: str, missing: str | None, most: int, description: str = "") -> StringField:
    required = [InputRequired(message=missing)] if missing else [Optional()]
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        description=description,
        validators=[
            *required,
            Length(max=most, message=f"{label} must be {most} characters or fewer"),
        ],
    )


class CaseDetailsForm(FlaskForm):
    """The child and the request; the case reference only when the case is new."""

    case_ref = _text("Case reference", "Enter the case reference", 50)
    first_name = _text("First name", "Enter the child's first name", 100)
    last_name = _text("Last name", "Enter the child's last name", 100)
    date_of_birth = required_date("Date of birth", "Enter the date of birth")
    request_received_on = required_date(
        "Date the request was received", "Enter the date the request was received"
    )
    year_group = _text(
        "Year group (optional)",
        None,
        30,
        "As the setting writes it: Nursery, Reception or Year 1 to Year 14. It is kept as of "
        "the day you save it and moves on each September.",
    )
    setting = _text("Setting (optional)", None, 200, "The name of the school, college or nursery")
    setting_type = SelectField(
        "Type of setting",
        widget=GovSelect(),
        choices=SETTING_TYPE_CHOICES,
        validate_choice=False,  # checked by the service, in its own words
        validators=[Optional()],
        default="",
        description="Decides when a phase transfer falls: a primary or special school has "
        "no move from infant to junior.",
    )
    looked_after = RadioField(
        "Is the child looked after?",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired(message="Select yes if the child is looked after")],
    )
    version = HiddenField()
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Save", widget=GovSubmitInput())


def new_case_form() -> CaseDetailsForm:
    return CaseDetailsForm(formdata=None, prefix="case", nonce=new_nonce())


def edit_case_form(case: Case) -> CaseDetailsForm:
    form = CaseDetailsForm(
        formdata=None, obj=case, prefix="case", version=str(case.version), nonce=new_nonce()
    )
    form.setting_type.data = case.setting_type or ""
    form.looked_after.data = "yes" if case.looked_after else "no"
    return form
