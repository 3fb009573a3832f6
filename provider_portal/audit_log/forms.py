"""The audit page's filters (a GET form, so a filtered list can be shared and bookmarked)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import DateField, Field, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from provider_portal.forms import DATE_FORMAT, DateInput, error_list, offered

FIRST_YEAR, LAST_YEAR = 1900, 2999


class BlankOrRealDate:
    """All three boxes blank means no limit; anything else must be a real date."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = [str(value).strip() for value in (field.raw_data or [])]
        if not any(raw):
            field.errors[:] = []
            field.data = None
            raise StopValidation()
        if field.data is None or not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            field.errors[:] = []
            field.data = None
            raise StopValidation(f"{self.what} must be a real date, like 27 3 2024")


class AuditFilterForm(FlaskForm):
    """Who, which case, which provider, what and when."""

    class Meta:
        csrf = False

    person = SelectField("Person", widget=GovSelect(), validators=[Optional()], default="")
    case_ref = StringField(
        "Case reference",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=50, message="Enter a case reference")],
    )
    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    action = SelectField("Action", widget=GovSelect(), validators=[Optional()], default="")
    date_from = DateField(
        "From",
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[BlankOrRealDate("The start date")],
        description="For example, 27 3 2024",
    )
    date_to = DateField(
        "To",
        widget=DateInput(),
        format=DATE_FORMAT,
        validators=[BlankOrRealDate("The end date")],
        description="Includes the whole of this day",
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def validate_date_to(self, field: Field) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")

    def keep_known_choices(self) -> None:
        """A value that is not among the choices (an old link, a hand-made URL) is ignored."""
        for select in (self.person, self.provider, self.action):
            if select.data not in offered(select):
                select.data = ""

    def error_list(self) -> list[dict[str, str]]:
        """The error summary's entries, linking to the first box of a date."""
        return error_list(self)
