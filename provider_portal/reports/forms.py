"""The report's choice of months, as-of date, provider and work type (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput, GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional, Regexp

from provider_portal.timescales import today

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def default_as_of(args: MultiDict[str, str], name: str = "as_of") -> None:
    """Fill the as-of date input (three boxes: day, month, year) with today unless the
    request gave all three; a hand-made link with anything else starts from today."""
    if len(args.getlist(name)) != 3:
        now = today()
        args.setlist(name, [str(now.day), str(now.month), str(now.year)])


def month_field(label: str, which: str, example: str) -> StringField:
    """A year-and-month box ("2024-08") with the GOV.UK wording for its errors."""
    return StringField(
        label,
        widget=GovTextInput(),
        description=f"For example, {example}",
        validators=[
            InputRequired(message=f"Enter the {which} month"),
            Regexp(
                MONTH_PATTERN,
                message=f"Enter the {which} month as a year and month, like {example}",
            ),
        ],
    )


class MonthlyReportForm(FlaskForm):
    class Meta:
        csrf = False

    start = month_field("From month", "first", "2024-08")
    end = month_field("To month", "last", "2024-11")
    as_of = DateField(
        "Returned by",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="Work counts as returned if it came back on or before this date. "
        "For example, 2 12 2024",
        validators=[Optional()],
    )
    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    work_type = SelectField("Type of work", widget=GovSelect(), validators=[Optional()], default="")
    submit = SubmitField("Show report", widget=GovSubmitInput())
