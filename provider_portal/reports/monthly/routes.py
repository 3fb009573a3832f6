"""The monthly table page and its CSV download."""

from __future__ import annotations

import io

from flask import request
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.cases.services import active_providers, work_types
from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Provider, WorkType
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.forms import default_as_of
from provider_portal.reports.monthly.forms import MonthlyReportForm
from provider_portal.reports.monthly.queries import (
    CSV_HEADER,
    MonthlyReport,
    csv_rows,
    monthly_report,
    parse_month,
)
from provider_portal.tabular import write_csv
from provider_portal.timescales import add_months, today
from provider_portal.web import attachment, render


def _form() -> MonthlyReportForm:
    args = request.args.copy()
    now = today()
    args.setdefault("start", add_months(now, -5).strftime("%Y-%m"))
    args.setdefault("end", now.strftime("%Y-%m"))
    default_as_of(args)
    form = MonthlyReportForm(args)
    form.provider.choices = [("", "All providers")] + [
        (str(p.id), p.name) for p in active_providers()
    ]
    form.work_type.choices = [("", "All types of work")] + [
        (wt.code, wt.name) for wt in work_types()
    ]
    return form


def _report(form: MonthlyReportForm) -> MonthlyReport | None:
    if not form.validate():
        return None
    provider = None
    if (form.provider.data or "").isdigit():
        provider = db.session.get(Provider, int(form.provider.data or 0))
    work_type = None
    if form.work_type.data:
        work_type = db.session.query(WorkType).filter_by(code=form.work_type.data).one_or_none()
    try:
        return monthly_report(
            parse_month(form.start.data or ""),
            parse_month(form.end.data or ""),
            form.as_of.data or today(),
            provider=provider,
            work_type=work_type,
        )
    except ReportError as error:
        form.end.errors = list(form.end.errors) + [str(error)]
        return None


@bp.route("/monthly")
@requires("view_reports")
def monthly() -> Response:
    """Allocated and returned by month of allocation, as of a date."""
    form = _form()
    report = _report(form)
    return render(
        "reports/monthly/monthly.html", "reports/monthly/_table.html", form=form, report=report
    )


@bp.route("/monthly.csv")
@requires("view_reports")
def monthly_csv() -> Response:
    """The same table as CSV."""
    form = _form()
    report = _report(form)
    if report is None:
        return render("reports/monthly/monthly.html", form=form, report=None, status=400)
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report))
    audit.record(
        "report_exported", detail=f"monthly {report.first_month:%Y-%m}..{report.last_month:%Y-%m}"
    )
    db.session.commit()
    filename = f"monthly-{report.first_month:%Y-%m}-to-{report.last_month:%Y-%m}.csv"
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)
