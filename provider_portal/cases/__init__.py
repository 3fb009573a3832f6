"""Cases: the case list and page, the backlog board, recording outcomes and exceptions."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

# The import page lives with its service in imports/ but answers at /cases/import.
from provider_portal.cases import routes  # noqa: E402,F401
from provider_portal.cases.board import routes as board_routes  # noqa: E402,F401
from provider_portal.cases.contacts import routes as contacts_routes  # noqa: E402,F401
from provider_portal.cases.details import routes as details_routes  # noqa: E402,F401
from provider_portal.cases.letters import routes as letter_routes  # noqa: E402,F401
from provider_portal.cases.outcomes import routes as outcome_routes  # noqa: E402,F401
from provider_portal.cases.papers import routes as paper_routes  # noqa: E402,F401
from provider_portal.cases.recording import routes as recording_routes  # noqa: E402,F401
from provider_portal.imports import routes as import_routes  # noqa: E402,F401
