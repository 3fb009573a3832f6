"""The Freedom of Information answers page and its CSV download."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.foi.forms import FoiForm
from provider_portal.reports.foi.queries import FoiReport, foi_export, foi_report
from provider_portal.reports.forms import read_form, report_args
from provider_portal.reports.pages import ReportPage
from provider_portal.timescales import today


def _read() -> tuple[FoiForm, FoiReport | None]:
    form = FoiForm(report_args(as_of=True))
    return form, read_form(form, lambda form: foi_report(form.as_of.data or today()))


FOI = ReportPage("reports/foi/foi.html", "reports/foi/_answers.html", _read)


@bp.route("/foi")
@requires("view_reports")
def foi() -> Response:
    """Answers to common Freedom of Information questions, from the records."""
    return FOI.show()


@bp.route("/foi.csv")
@requires("view_reports")
def foi_csv() -> Response:
    """The same answers as CSV: question, answer, as of, method."""
    return FOI.download(foi_export)
