"""The monthly table page and its CSV download."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.forms import read_form, report_args
from provider_portal.reports.monthly.forms import MonthlyReportForm
from provider_portal.reports.monthly.queries import (
    MonthlyReport,
    monthly_export,
    monthly_report,
    parse_month,
    work_type_by_code,
    work_types,
)
from provider_portal.reports.pages import ReportPage
from provider_portal.reports.scope import choosable_providers, read_scope
from provider_portal.timescales import today


def _read() -> tuple[MonthlyReportForm, MonthlyReport | None]:
    form = MonthlyReportForm(report_args(months=6, as_of=True))
    # Held while the form is read, so that the session still has the chosen provider.
    providers = choosable_providers(active_only=True)
    form.offer(providers, work_types())
    return form, read_form(form, _report)


def _report(form: MonthlyReportForm) -> MonthlyReport:
    scope = read_scope(provider=form.provider.data or "")
    return monthly_report(
        parse_month(form.start.data or ""),
        parse_month(form.end.data or ""),
        form.as_of.data or today(),
        provider=scope.provider,
        work_type=work_type_by_code(form.work_type.data) if form.work_type.data else None,
    )


MONTHLY = ReportPage("reports/monthly/monthly.html", "reports/monthly/_table.html", _read)


@bp.route("/monthly")
@requires("view_reports")
def monthly() -> Response:
    """Allocated and returned by month of allocation, as of a date."""
    return MONTHLY.show()


@bp.route("/monthly.csv")
@requires("view_reports")
def monthly_csv() -> Response:
    """The same table as CSV."""
    return MONTHLY.download(monthly_export)
