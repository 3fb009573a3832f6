"""The spend report's date and its contract or provider (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import Optional


class SpendReportForm(FlaskForm):
    """The date and the contract or provider to report on (a GET form)."""

    class Meta:
        csrf = False

    as_of = DateField(
        "Spend as of",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="Work accepted on or before this date is spent; work allocated by then and "
        "not yet accepted is committed. For example, 31 3 2025",
        validators=[Optional()],
    )
    contract = SelectField("Contract", widget=GovSelect(), validators=[Optional()], default="")
    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    submit = SubmitField("Show spend", widget=GovSubmitInput())
