"""The monthly table's months, as-of date, provider and work type (a GET form)."""

from __future__ import annotations

from collections.abc import Sequence

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.forms import options
from provider_portal.models import Provider, WorkType
from provider_portal.reports.forms import (
    ReportForm,
    as_of_field,
    list_field,
    month_field,
    provider_choices,
)


class MonthlyReportForm(ReportForm):
    start = month_field("From month", "first", "2024-08")
    end = month_field("To month", "last", "2024-11")
    as_of = as_of_field(
        "Returned by",
        "Work counts as returned if it came back on or before this date. For example, 2 12 2024",
    )
    provider = list_field("Provider")
    work_type = list_field("Type of work")
    submit = SubmitField("Show report", widget=GovSubmitInput())

    def offer(self, providers: Sequence[Provider], work_types: Sequence[WorkType]) -> None:
        """Fill the provider and work type lists."""
        self.provider.choices = options(provider_choices(providers))
        self.work_type.choices = options(
            [("", "All types of work")] + [(wt.code, wt.name) for wt in work_types]
        )
