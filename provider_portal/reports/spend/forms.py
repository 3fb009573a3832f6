"""The spend report's date and its contract or provider (a GET form)."""

from __future__ import annotations

from collections.abc import Sequence

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.forms import options
from provider_portal.models import Contract, Provider
from provider_portal.reports.forms import ReportForm, as_of_field, list_field, provider_choices


class SpendReportForm(ReportForm):
    """The date and the contract or provider to report on (a GET form)."""

    as_of = as_of_field(
        "Spend as of",
        "Work accepted on or before this date is spent; work allocated by then and "
        "not yet accepted is committed. For example, 31 3 2025",
    )
    contract = list_field("Contract")
    provider = list_field("Provider")
    submit = SubmitField("Show spend", widget=GovSubmitInput())

    def offer(self, contracts: Sequence[Contract], providers: Sequence[Provider]) -> None:
        """Fill the lists: contracts by id, named by reference and provider."""
        self.contract.choices = options(
            [("", "All contracts")]
            + [(str(c.id), f"{c.reference} ({c.provider.name})") for c in contracts]
        )
        self.provider.choices = options(provider_choices(providers))
