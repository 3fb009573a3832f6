"""The 20-week compliance page, its CSV download and its chart."""

from __future__ import annotations

import io

from flask import request
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.charts import compliance_chart_svg, svg_response
from provider_portal.reports.compliance.forms import ComplianceReportForm
from provider_portal.reports.compliance.queries import (
    CSV_HEADER,
    ComplianceReport,
    compliance_report,
    csv_rows,
    rolling_summary,
)
from provider_portal.reports.monthly.queries import parse_month
from provider_portal.tabular import write_csv
from provider_portal.timescales import add_months, today
from provider_portal.web import attachment, render


def _form() -> ComplianceReportForm:
    args = request.args.copy()
    now = today()
    args.setdefault("start", add_months(now, -11).strftime("%Y-%m"))
    args.setdefault("end", now.strftime("%Y-%m"))
    return ComplianceReportForm(args)


def _report(form: ComplianceReportForm) -> ComplianceReport | None:
    if not form.validate():
        return None
    try:
        return compliance_report(
            parse_month(form.start.data or ""), parse_month(form.end.data or "")
        )
    except ReportError as error:
        form.end.errors = list(form.end.errors) + [str(error)]
        return None


@bp.route("/compliance")
@requires("view_reports")
def compliance() -> Response:
    """Final plans issued within 20 weeks by month of issue, with and without exceptions."""
    form = _form()
    report = _report(form)
    return render(
        "reports/compliance/compliance.html",
        "reports/compliance/_table.html",
        form=form,
        report=report,
        summary=rolling_summary(report) if report else None,
    )


@bp.route("/compliance.csv")
@requires("view_reports")
def compliance_csv() -> Response:
    """The same table as CSV."""
    form = _form()
    report = _report(form)
    if report is None:
        return render(
            "reports/compliance/compliance.html", form=form, report=None, summary=None, status=400
        )
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report))
    audit.record(
        "report_exported",
        detail=f"compliance {report.first_month:%Y-%m}..{report.last_month:%Y-%m}",
    )
    db.session.commit()
    filename = f"compliance-{report.first_month:%Y-%m}-to-{report.last_month:%Y-%m}.csv"
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)


@bp.route("/compliance.svg")
@requires("view_reports")
def compliance_chart() -> Response:
    """The monthly percentage (excluding exceptions) as an SVG line chart."""
    form = _form()
    report = _report(form)
    if report is None:
        return render(
            "reports/compliance/compliance.html", form=form, report=None, summary=None, status=400
        )
    return svg_response(compliance_chart_svg(report.rows))
