"""Front-end assets installed from the npm registry (node_modules), served without copying."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

from provider_portal.permissions import requires

bp = Blueprint("assets", __name__)

VENDOR_FILES = {
    "govuk-frontend.min.css": "govuk-frontend/dist/govuk/govuk-frontend.min.css",
    "govuk-frontend.min.js": "govuk-frontend/dist/govuk/govuk-frontend.min.js",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}


def _vendor_dir() -> Path:
    return Path(current_app.config["VENDOR_DIR"])


@bp.route("/assets/<path:filename>")
@requires("public")
def govuk_assets(filename: str) -> Response:
    """GOV.UK Frontend fonts and images, where its compiled CSS expects them."""
    return send_from_directory(
        _vendor_dir() / "govuk-frontend" / "dist" / "govuk" / "assets", filename, max_age=86400
    )


@bp.route("/vendor/<string:name>")
@requires("public")
def vendor(name: str) -> Response:
    """The GOV.UK Frontend stylesheet and script, and htmx."""
    if name not in VENDOR_FILES:
        abort(404)
    path = Path(VENDOR_FILES[name])
    return send_from_directory(_vendor_dir() / path.parent, path.name, max_age=3600)
