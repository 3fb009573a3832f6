"""Contracts with providers: value, variations, prices, targets and what is left in them."""

from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

from provider_portal.contracts import routes  # noqa: E402,F401
