"""The compliance report's months (a GET form)."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.reports.forms import ReportForm, month_field


class ComplianceReportForm(ReportForm):
    """The months to report on (a GET form)."""

    start = month_field("From month", "first", "2023-12")
    end = month_field("To month", "last", "2024-11")
    submit = SubmitField("Show report", widget=GovSubmitInput())
