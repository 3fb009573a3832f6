"""The date the FOI answers are given as of (a GET form)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.reports.forms import ReportForm, as_of_field


class FoiForm(ReportForm):
    """The date the answers are given as of (a GET form)."""

    as_of = as_of_field(
        "Answers as of",
        "The answers use the records as they stood at the end of this day. For example, 31 3 2025",
    )
    submit = SubmitField("Show answers", widget=GovSubmitInput())
