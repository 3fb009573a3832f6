"""A person's own account: accepting an invitation, resetting and changing the password."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/account")

import provider_portal.accounts.routes  # noqa: E402,F401
