"""The email outbox: every message newest first, filtered by status, and "Send again"."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.admin import bp
from provider_portal.admin.forms import ConfirmForm
from provider_portal.errors import Conflict, NotFound
from provider_portal.extensions import db
from provider_portal.models.notifications import OUTBOX_STATUSES
from provider_portal.notifications.outbox import (
    STATUSES,
    page_of_messages,
    send_again,
    status_counts,
)
from provider_portal.permissions import requires
from provider_portal.web import arg_choice, page_number, redirect_after_post, render


@bp.route("/outbox")
@requires("manage_accounts")
def outbox() -> Response:
    """The emails the portal has queued, newest first, 50 a page, by status."""
    status = arg_choice("status", OUTBOX_STATUSES)
    counts = status_counts()
    # The filter's choices: (status, label, how many), "" for every status.
    choices = [("", "All", sum(counts.values()))] + [
        (key, choice.label, counts[key]) for key, choice in STATUSES.items()
    ]
    return render(
        "admin/outbox/index.html",
        result=page_of_messages(status, page_number()),
        chosen=status,
        choices=choices,
    )


@bp.route("/outbox/<int:message_id>/send-again", methods=["POST"])
@requires("manage_accounts")
def send_outbox_message_again(message_id: int) -> Response:
    """Queue a failed email again: it goes with the next delivery."""
    if ConfirmForm().validate_on_submit():
        try:
            send_again(message_id, current_user)
            db.session.commit()
        except NotFound:
            db.session.rollback()
            abort(404)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash("The email will be sent again with the next delivery", "success")
    return redirect_after_post(url_for("admin.outbox", status="failed"))
