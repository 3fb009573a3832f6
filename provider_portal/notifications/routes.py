"""Each person's Notifications page, following a notification to its work, and their choices.

Following a notification is a POST (a small form per item) that marks it read and sends the
person on with a 303: marking read is a change, so it goes under the CSRF token like every
other change, and a link scanner or a browser prefetching a GET cannot mark anything read.
"""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.extensions import db
from provider_portal.notifications import bp
from provider_portal.notifications.choices import current_choices, kinds_for, save_choices
from provider_portal.notifications.forms import choices_form
from provider_portal.notifications.kinds import KINDS, SECURITY_MAIL
from provider_portal.notifications.queries import notifications_page, own_notification
from provider_portal.notifications.reading import mark_all_read, mark_read
from provider_portal.permissions import requires
from provider_portal.web import page_number, redirect_after_post, render, run_form_action


@bp.route("")
@requires("signed_in")
def index() -> Response:
    """Your notifications, newest first; opening the page marks nothing read."""
    return render(
        "notifications/index.html",
        result=notifications_page(current_user.id, page_number()),
        kinds=KINDS,
    )


@bp.route("/read", methods=["POST"])
@requires("signed_in")
def mark_all() -> Response:
    """Mark all your notifications as read."""
    marked = mark_all_read(current_user.id)
    db.session.commit()
    if marked:
        flash("All your notifications are marked as read", "success")
    return redirect_after_post(url_for("notifications.index"))


@bp.route("/<int:notification_id>", methods=["POST"])
@requires("signed_in")
def open_notification(notification_id: int) -> Response:
    """Mark one of your notifications read and go to its work (the work's page on your side
    decides, as always, whether you may still see it)."""
    notification = own_notification(current_user.id, notification_id)
    if notification is None:
        abort(404)
    mark_read(notification)
    db.session.commit()
    if notification.allocation_id is None:
        return redirect_after_post(url_for("notifications.index"))
    endpoint = "provider.show" if current_user.is_provider_user else "allocations.show"
    return redirect_after_post(url_for(endpoint, allocation_id=notification.allocation_id))


@bp.route("/settings", methods=["GET", "POST"])
@requires("signed_in")
def settings() -> Response:
    """Choose how email about each kind of notification reaches you."""
    kinds = kinds_for(current_user.role)
    form = choices_form(kinds, current_choices(current_user))
    if form.validate_on_submit():
        chosen = {kind.key: form[kind.key].data for kind in kinds}
        if run_form_action(form.submit, lambda: save_choices(current_user, chosen)):
            flash("Your choices are saved", "success")
            return redirect_after_post(url_for("notifications.settings"))
    return render("notifications/settings.html", form=form, kinds=kinds, security=SECURITY_MAIL)
