"""The pack's contract or provider, months and as-of date (a GET form)."""

from __future__ import annotations

from collections.abc import Sequence

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from provider_portal.forms import options
from provider_portal.models import Contract, Provider
from provider_portal.reports.forms import (
    ReportForm,
    as_of_field,
    list_field,
    month_field,
    provider_choices,
)


class PackForm(ReportForm):
    """Whose work, which months and as of when (a GET form).

    The lists do not check the choice themselves: scope.read_scope does, with the pack's own
    wording, and takes any provider by id, listed or not.
    """

    contract = list_field("Contract", check_choice=False)
    provider = list_field(
        "Provider", "Choose a contract or a provider, or neither for all work.", check_choice=False
    )
    start = month_field("From month", "first", "2024-08")
    end = month_field("To month", "last", "2024-11")
    as_of = as_of_field(
        "As of", "Only what happened on or before this date counts. For example, 2 12 2024"
    )
    submit = SubmitField("Show pack", widget=GovSubmitInput())

    def offer(self, contracts: Sequence[Contract], providers: Sequence[Provider]) -> None:
        """Fill the lists: contracts by reference (the pack's URLs name them so), with titles."""
        self.contract.choices = options(
            [("", "All contracts")]
            + [(c.reference, f"{c.reference}: {c.title} ({c.provider.name})") for c in contracts]
        )
        self.provider.choices = options(provider_choices(providers))
