"""Telling people what happened and what is due: in the portal, by email, and in digests.

The blueprint is each person's Notifications page and their choices; the rest of the package
writes and sends the notifications.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
