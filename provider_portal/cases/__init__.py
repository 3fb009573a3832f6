"""Cases: the backlog a commissioning manager works through."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from provider_portal.cases import board_routes, import_routes, routes  # noqa: E402,F401
