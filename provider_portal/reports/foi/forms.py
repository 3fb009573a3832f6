"""The date the FOI answers are given as of (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from wtforms import DateField, SubmitField
from wtforms.validators import Optional


class FoiForm(FlaskForm):
    """The date the answers are given as of (a GET form)."""

    class Meta:
        csrf = False

    as_of = DateField(
        "Answers as of",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="The answers use the records as they stood at the end of this day. "
        "For example, 31 3 2025",
        validators=[Optional()],
    )
    submit = SubmitField("Show answers", widget=GovSubmitInput())
