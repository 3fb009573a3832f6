"""The SEN2 extract page and its two CSV downloads: the extract and its validation."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.forms import read_form
from provider_portal.reports.pages import ReportPage
from provider_portal.reports.sen2.forms import Sen2Form, with_default_year
from provider_portal.reports.sen2.queries import (
    ITEMS,
    NOT_HELD,
    Sen2Report,
    parse_year,
    sen2_export,
    sen2_report,
    validation_export,
)


def _read() -> tuple[Sen2Form, Sen2Report | None]:
    form = Sen2Form(with_default_year(request.args.copy()))
    return form, read_form(form, lambda form: sen2_report(parse_year(form.year.data)))


def _context(form: Sen2Form, report: Sen2Report | None) -> dict[str, object]:
    return {"form": form, "report": report, "not_held": NOT_HELD, "items": ITEMS}


SEN2 = ReportPage("reports/sen2/sen2.html", "reports/sen2/_report.html", _read, _context)


@bp.route("/sen2")
@requires("view_reports")
def sen2() -> Response:
    """The SEN2 items the portal holds for a calendar year, and the rows a validator rejects."""
    return SEN2.show()


@bp.route("/sen2.csv")
@requires("view_reports")
def sen2_csv() -> Response:
    """The extract as CSV, one row per case, SEN2's item names as headers."""
    return SEN2.download(sen2_export)


@bp.route("/sen2-validation.csv")
@requires("view_reports")
def sen2_validation_csv() -> Response:
    """The rows a SEN2 validator would reject, with the fix, as CSV."""
    return SEN2.download(validation_export)
