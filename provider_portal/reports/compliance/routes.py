"""The 20-week compliance page, its CSV download and its chart."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.charts import compliance_chart_svg
from provider_portal.reports.compliance.forms import ComplianceReportForm
from provider_portal.reports.compliance.queries import (
    ComplianceReport,
    compliance_export,
    compliance_report,
    rolling_summary,
)
from provider_portal.reports.forms import read_form, report_args
from provider_portal.reports.monthly.queries import parse_month
from provider_portal.reports.pages import ReportPage


def _read() -> tuple[ComplianceReportForm, ComplianceReport | None]:
    form = ComplianceReportForm(report_args(months=12))
    return form, read_form(form, _report)


def _report(form: ComplianceReportForm) -> ComplianceReport:
    return compliance_report(parse_month(form.start.data or ""), parse_month(form.end.data or ""))


def _context(form: ComplianceReportForm, report: ComplianceReport | None) -> dict[str, Any]:
    summary = rolling_summary(report) if report else None
    return {"form": form, "report": report, "summary": summary}


COMPLIANCE = ReportPage(
    "reports/compliance/compliance.html", "reports/compliance/_table.html", _read, _context
)


@bp.route("/compliance")
@requires("view_reports")
def compliance() -> Response:
    """Final plans issued within 20 weeks by month of issue, with and without exceptions."""
    return COMPLIANCE.show()


@bp.route("/compliance.csv")
@requires("view_reports")
def compliance_csv() -> Response:
    """The same table as CSV."""
    return COMPLIANCE.download(compliance_export)


@bp.route("/compliance.svg")
@requires("view_reports")
def compliance_chart() -> Response:
    """The monthly percentage (excluding exceptions) as an SVG line chart."""
    return COMPLIANCE.chart(lambda report: compliance_chart_svg(report.rows))
