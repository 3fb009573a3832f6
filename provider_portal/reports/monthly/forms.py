"""The monthly table's months, as-of date, provider and work type (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import Optional

from provider_portal.reports.forms import month_field


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
