"""Reports: the monthly tables, the monitoring pack, spend and the FOI answers."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from provider_portal.reports import routes  # noqa: E402,F401
from provider_portal.reports.compliance import routes as compliance_routes  # noqa: E402,F401
from provider_portal.reports.foi import routes as foi_routes  # noqa: E402,F401
from provider_portal.reports.monthly import routes as monthly_routes  # noqa: E402,F401
from provider_portal.reports.pack import routes as pack_routes  # noqa: E402,F401
from provider_portal.reports.providers import routes as providers_routes  # noqa: E402,F401
from provider_portal.reports.sen2 import routes as sen2_routes  # noqa: E402,F401
from provider_portal.reports.spend import routes as spend_routes  # noqa: E402,F401
