"""The Freedom of Information answers page and its CSV download."""

from __future__ import annotations

import io

from flask import request
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.foi.forms import FoiForm
from provider_portal.reports.foi.queries import CSV_HEADER, FoiReport, csv_rows, foi_report
from provider_portal.reports.forms import default_as_of
from provider_portal.tabular import write_csv
from provider_portal.timescales import today
from provider_portal.web import attachment, render


def _report() -> tuple[FoiForm, FoiReport | None]:
    args = request.args.copy()
    default_as_of(args)
    form = FoiForm(args)
    if not form.validate():
        return form, None
    return form, foi_report(form.as_of.data or today())


@bp.route("/foi")
@requires("view_reports")
def foi() -> Response:
    """Answers to common Freedom of Information questions, from the records."""
    form, report = _report()
    return render("reports/foi/foi.html", "reports/foi/_answers.html", form=form, report=report)


@bp.route("/foi.csv")
@requires("view_reports")
def foi_csv() -> Response:
    """The same answers as CSV: question, answer, as of, method."""
    form, report = _report()
    if report is None:
        return render("reports/foi/foi.html", form=form, report=None, status=400)
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report))
    audit.record("report_exported", detail=f"foi as_of={report.as_of.isoformat()}")
    db.session.commit()
    filename = f"foi-answers-{report.as_of.isoformat()}.csv"
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)
