"""The home pages (what needs doing, for council managers) and the accessibility statement."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from provider_portal.home import routes  # noqa: E402,F401
