"""The pack's contract or provider, months and as-of date (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import Optional

from provider_portal.reports.forms import month_field


class PackForm(FlaskForm):
    """Whose work, which months and as of when (a GET form)."""

    class Meta:
        csrf = False

    contract = SelectField(
        "Contract",
        widget=GovSelect(),
        validators=[Optional()],
        default="",
        validate_choice=False,
    )
    provider = SelectField(
        "Provider",
        widget=GovSelect(),
        validators=[Optional()],
        default="",
        validate_choice=False,
        description="Choose a contract or a provider, or neither for all work.",
    )
    start = month_field("From month", "first", "2024-08")
    end = month_field("To month", "last", "2024-11")
    as_of = DateField(
        "As of",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="Only what happened on or before this date counts. For example, 2 12 2024",
        validators=[Optional()],
    )
    submit = SubmitField("Show pack", widget=GovSubmitInput())
