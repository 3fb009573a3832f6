"""Administration: accounts and providers for the council; a provider's own team."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from provider_portal.admin import routes  # noqa: E402,F401
from provider_portal.admin.letters import routes as letter_routes  # noqa: E402,F401
from provider_portal.admin.outbox import routes as outbox_routes  # noqa: E402,F401
from provider_portal.admin.sendback_reasons import routes as reason_routes  # noqa: E402,F401
from provider_portal.admin.team import routes as team_routes  # noqa: E402,F401
from provider_portal.admin.work_types import routes as work_type_routes  # noqa: E402,F401
