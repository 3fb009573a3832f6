"""Administration: accounts and providers for the council; a provider's own team."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from provider_portal.admin import routes, team_routes  # noqa: E402,F401
