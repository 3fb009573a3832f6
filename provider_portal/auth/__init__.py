"""Signing in and out, two-factor sign-in, and how long a session lasts."""

from flask import Blueprint

from provider_portal.sessions import enforce_timeouts

bp = Blueprint("auth", __name__)
# Every request, on every blueprint: sessions past their idle limit or absolute cap end here.
bp.before_app_request(enforce_timeouts)

from provider_portal.auth import routes  # noqa: E402,F401
from provider_portal.auth.two_factor import routes as two_factor_routes  # noqa: E402,F401
