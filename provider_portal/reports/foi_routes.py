"""The Freedom of Information answers page and its CSV download."""

from __future__ import annotations

import io

from flask import request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from werkzeug.wrappers import Response
from wtforms import DateField, SubmitField
from wtforms.validators import Optional

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.foi import CSV_HEADER, FoiReport, csv_rows, foi_report
from provider_portal.reports.forms import default_as_of
from provider_portal.tabular import write_csv
from provider_portal.timescales import today
from provider_portal.web import attachment, render


class FoiForm(FlaskForm):
    """The date the answers are given as of (a GET form)."""

    class Meta:
        csrf = False

    as_of = DateField(
        "Answers as of",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="The answers use the records as they stood at the end of this day. "
        "For example, 31 3 2025",
        validators=[Optional()],
    )
    submit = SubmitField("Show answers", widget=GovSubmitInput())


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
    return render("reports/foi.html", "reports/_foi_answers.html", form=form, report=report)


@bp.route("/foi.csv")
@requires("view_reports")
def foi_csv() -> Response:
    """The same answers as CSV: question, answer, as of, method."""
    form, report = _report()
    if report is None:
        return render("reports/foi.html", form=form, report=None, status=400)
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report))
    audit.record("report_exported", detail=f"foi as_of={report.as_of.isoformat()}")
    db.session.commit()
    filename = f"foi-answers-{report.as_of.isoformat()}.csv"
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)
