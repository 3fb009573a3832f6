"""The spend page (committed and actual by financial year) and its CSV download."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.forms import read_form, report_args
from provider_portal.reports.pages import ReportPage
from provider_portal.reports.scope import choosable_contracts, choosable_providers, read_scope
from provider_portal.reports.spend.forms import SpendReportForm
from provider_portal.reports.spend.queries import SpendReport, spend_export, spend_report
from provider_portal.timescales import today


def _read() -> tuple[SpendReportForm, SpendReport | None]:
    form = SpendReportForm(report_args(as_of=True))
    # Held while the form is read, so that the session still has the chosen ones.
    contracts, providers = choosable_contracts(), choosable_providers()
    form.offer(contracts, providers)
    return form, read_form(form, _report)


def _report(form: SpendReportForm) -> SpendReport:
    scope = read_scope(form.contract.data or "", form.provider.data or "", contract_key="id")
    return spend_report(form.as_of.data or today(), scope)


SPEND = ReportPage("reports/spend/spend.html", "reports/spend/_table.html", _read)


@bp.route("/spend")
@requires("view_reports")
def spend() -> Response:
    """Committed and actual spend by financial year, contract, provider and type of work."""
    return SPEND.show()


@bp.route("/spend.csv")
@requires("view_reports")
def spend_csv() -> Response:
    """The same figures as CSV, one row per year, contract and type of work."""
    return SPEND.download(spend_export)
