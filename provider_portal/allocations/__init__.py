"""Allocations as the council sees them: what is out, what came back, review and acceptance."""

from flask import Blueprint

bp = Blueprint("allocations", __name__, url_prefix="/allocations")

from provider_portal.allocations import routes  # noqa: E402,F401
from provider_portal.allocations.questions import routes as question_routes  # noqa: E402,F401
