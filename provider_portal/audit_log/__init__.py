"""The audit trail for administrators: who did what, filtered and exported (read only)."""

from flask import Blueprint

# The routes spell out /audit and /audit.csv: a url_prefix cannot produce "/audit.csv".
bp = Blueprint("audit_log", __name__)

from provider_portal.audit_log import routes  # noqa: E402,F401
