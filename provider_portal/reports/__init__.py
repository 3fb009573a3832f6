"""Reports: the monthly allocated/returned table the board sees."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from provider_portal.reports import compliance_routes, routes  # noqa: E402,F401
