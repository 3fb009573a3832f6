"""Import page (being built)."""

from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.permissions import requires
from provider_portal.web import render


@bp.route("/import", methods=["GET", "POST"])
@requires("import_data")
def import_cases() -> Response:
    """Upload a CSV or XLSX of cases or allocations."""
    return render("errors/error.html", title="Import", body="", reference=None)
