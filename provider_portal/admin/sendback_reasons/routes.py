"""Send-back reasons for the administrator: the list, adding, changing, retiring, reinstating."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.admin import bp
from provider_portal.admin.forms import ConfirmForm
from provider_portal.admin.routes import found
from provider_portal.admin.sendback_reasons.forms import APPLIES_TO_LABELS, ReasonForm
from provider_portal.admin.sendback_reasons.services import (
    add_reason,
    all_reasons,
    reason_by_id,
    reinstate_reason,
    retire_reason,
    update_reason,
)
from provider_portal.errors import QualityError
from provider_portal.extensions import db
from provider_portal.models import SendBackReason
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, render

FORM_PAGE = "admin/sendback_reasons/reason.html"


def _list_url() -> str:
    return url_for("admin.sendback_reasons")


@bp.route("/send-back-reasons")
@requires("manage_accounts")
def sendback_reasons() -> Response:
    """Every send-back reason, current and retired, for plans and for advice."""
    return render(
        "admin/sendback_reasons/reasons.html",
        reasons=all_reasons(),
        applies_to_labels=APPLIES_TO_LABELS,
    )


def _saved(form: ReasonForm, reason: SendBackReason | None) -> bool:
    """Add or change the reason from the form; False (with the error shown) when refused."""
    try:
        if reason is None:
            add_reason(
                form.label.data or "", form.applies_to.data or "", form.order(), actor=current_user
            )
        else:
            update_reason(
                reason,
                form.label.data or "",
                form.applies_to.data or "",
                form.order(),
                actor=current_user,
            )
        db.session.commit()
    except QualityError as error:
        db.session.rollback()
        getattr(form, error.field or "label").errors = [error.message]
        return False
    return True


@bp.route("/send-back-reasons/new", methods=["GET", "POST"])
@requires("manage_accounts")
def add_sendback_reason() -> Response:
    """Add a reason the council can give when it sends work back."""
    form = ReasonForm()
    if form.validate_on_submit() and _saved(form, None):
        flash(f"Reason ‘{form.label.data}’ added", "success")
        return redirect_after_post(_list_url())
    return render(FORM_PAGE, form=form, reason=None)


@bp.route("/send-back-reasons/<int:reason_id>", methods=["GET", "POST"])
@requires("manage_accounts")
def sendback_reason(reason_id: int) -> Response:
    """Change a reason's words, the work it is offered for, or its place in the list."""
    reason = found(reason_by_id(reason_id))
    if not ReasonForm().is_submitted():
        form = ReasonForm(
            formdata=None,
            label=reason.label,
            applies_to=reason.applies_to,
            display_order=str(reason.display_order),
        )
        return render(FORM_PAGE, form=form, reason=reason)
    form = ReasonForm()
    if form.validate_on_submit() and _saved(form, reason):
        flash(f"Reason ‘{reason.label}’ saved", "success")
        return redirect_after_post(_list_url())
    return render(FORM_PAGE, form=form, reason=reason)


@bp.route("/send-back-reasons/<int:reason_id>/retire", methods=["POST"])
@requires("manage_accounts")
def retire_sendback_reason(reason_id: int) -> Response:
    """Stop offering a reason; send-backs that gave it keep it."""
    reason = found(reason_by_id(reason_id))
    if ConfirmForm().validate_on_submit() and retire_reason(reason, actor=current_user):
        db.session.commit()
        flash(f"Reason ‘{reason.label}’ retired: it is no longer offered", "success")
    return redirect_after_post(_list_url())


@bp.route("/send-back-reasons/<int:reason_id>/reinstate", methods=["POST"])
@requires("manage_accounts")
def reinstate_sendback_reason(reason_id: int) -> Response:
    """Offer a retired reason again."""
    reason = found(reason_by_id(reason_id))
    if ConfirmForm().validate_on_submit() and reinstate_reason(reason, actor=current_user):
        db.session.commit()
        flash(f"Reason ‘{reason.label}’ reinstated", "success")
    return redirect_after_post(_list_url())
