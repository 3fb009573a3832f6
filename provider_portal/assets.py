"""Front-end assets installed from the npm registry (node_modules), served without copying,
and the council's own look: its brand colour as a stylesheet and its logo."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, send_file, send_from_directory
from werkzeug.wrappers import Response

from provider_portal.permissions import requires

bp = Blueprint("assets", __name__)

VENDOR_FILES = {
    "govuk-frontend.min.css": "govuk-frontend/dist/govuk/govuk-frontend.min.css",
    "govuk-frontend.min.js": "govuk-frontend/dist/govuk/govuk-frontend.min.js",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}


# GDS Transport is GOV.UK's own typeface, for GOV.UK alone: the stylesheet is served without
# its @font-face rules, and every font stack that names it starts at Arial instead.
_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
_GDS_TRANSPORT = re.compile(r"(?:\"GDS Transport\"|GDS Transport),\s*")


@lru_cache(maxsize=4)
def council_stylesheet(path: str, modified: float) -> str:
    """GOV.UK Frontend's compiled stylesheet with a system font stack (read once per file
    version: modified is part of the cache key)."""
    css = Path(path).read_text("utf-8")
    return _GDS_TRANSPORT.sub("", _FONT_FACE.sub("", css))


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
    if name == "govuk-frontend.min.css":
        full = _vendor_dir() / path
        if not full.is_file():
            abort(404)
        response = make_response(council_stylesheet(str(full), full.stat().st_mtime))
        response.headers["Content-Type"] = "text/css; charset=utf-8"
        response.cache_control.public = True
        response.cache_control.max_age = 3600
        return response
    return send_from_directory(_vendor_dir() / path.parent, path.name, max_age=3600)


@bp.route("/brand.css")
@requires("public")
def brand_css() -> Response:
    """The council's brand colour for GOV.UK Frontend (header, banners), as a stylesheet:
    the Content-Security-Policy allows no inline styles."""
    colour = current_app.config["COUNCIL_BRAND_COLOUR"]
    response = make_response(f":root {{ --govuk-brand-colour: {colour}; }}\n")
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return response


@bp.route("/council-logo")
@requires("public")
def council_logo() -> Response:
    """The council's logo file (COUNCIL_LOGO), checked to be an image when the portal started."""
    path = current_app.config.get("COUNCIL_LOGO")
    if not path:
        abort(404)
    response = send_file(path, mimetype=current_app.config["COUNCIL_LOGO_TYPE"], max_age=3600)
    # An SVG opened on its own may not run or load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
