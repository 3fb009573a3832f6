"""The provider's side: their organisation's work, uploads and returns."""

from flask import Blueprint

bp = Blueprint("provider", __name__, url_prefix="/provider")

from provider_portal.provider import papers, routes  # noqa: E402,F401
