"""The report's choice of months, as-of date, provider and work type (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional, Regexp

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class MonthlyReportForm(FlaskForm):
    class Meta:
        csrf = False

    start = StringField(
        "From month",
        widget=GovTextInput(),
        description="For example, 2024-08",
        validators=[
            InputRequired(message="Enter the first month"),
            Regexp(
                MONTH_PATTERN, message="Enter the first month as a year and month, like 2024-08"
            ),
        ],
    )
    end = StringField(
        "To month",
        widget=GovTextInput(),
        description="For example, 2024-11",
        validators=[
            InputRequired(message="Enter the last month"),
            Regexp(MONTH_PATTERN, message="Enter the last month as a year and month, like 2024-11"),
        ],
    )
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
