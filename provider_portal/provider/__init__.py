"""The provider's side: their organisation's work, uploads and returns."""

from flask import Blueprint

bp = Blueprint("provider", __name__, url_prefix="/provider")

from provider_portal.provider import routes  # noqa: E402,F401
from provider_portal.provider.papers import routes as paper_routes  # noqa: E402,F401
from provider_portal.provider.questions import routes as question_routes  # noqa: E402,F401
