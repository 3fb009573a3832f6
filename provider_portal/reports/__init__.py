"""Reports: the monthly tables, the monitoring pack, spend and the FOI answers."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from provider_portal.reports import (  # noqa: E402,F401
    compliance_routes,
    foi_routes,
    index_routes,
    pack_routes,
    routes,
    spend_routes,
)
