"""The league table's months, as-of date and type of work (a GET form)."""

from __future__ import annotations

from collections.abc import Sequence

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.forms import options
from provider_portal.models import WorkType
from provider_portal.reports.forms import ReportForm, as_of_field, list_field, month_field


class LeagueForm(ReportForm):
    start = month_field("From month", "first", "2024-01")
    end = month_field("To month", "last", "2024-12")
    as_of = as_of_field(
        "As of", "Only what happened on or before this date counts. For example, 2 12 2024"
    )
    work_type = list_field("Type of work")
    submit = SubmitField("Show table", widget=GovSubmitInput())

    def offer(self, work_types: Sequence[WorkType]) -> None:
        """Fill the work type list, by code."""
        self.work_type.choices = options(
            [("", "All types of work")] + [(wt.code, wt.name) for wt in work_types]
        )
