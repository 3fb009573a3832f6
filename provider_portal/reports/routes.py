"""The list of reports: where finance and managers start."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.web import render


@bp.route("/")
@requires("view_reports")
def index() -> Response:
    """Every report, with what it answers."""
    return render("reports/index.html")
