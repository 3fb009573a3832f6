"""Invitation links, forgotten passwords and changing a password."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, g, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal import sessions
from provider_portal.accounts import bp
from provider_portal.accounts.forms import (
    ChangePasswordForm,
    NewPasswordForm,
    PasswordResetRequestForm,
)
from provider_portal.accounts.services import (
    accept_invitation,
    change_password,
    invitation_for,
    normalise_email,
    request_password_reset,
    reset_for,
    reset_password,
    send_password_changed_notice,
)
from provider_portal.errors import LinkInvalid
from provider_portal.extensions import db, limiter
from provider_portal.models import User
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, render


def link_expired() -> Response:
    """One answer for every unusable link: it says nothing about the account or why."""
    return render("accounts/link_expired.html", status=404)


def _counted() -> None:
    """Count this request against the route's rate limits (only real attempts count)."""
    g.account_attempt = True


def _was_counted(response: Response) -> bool:
    return bool(g.get("account_attempt"))


def _email_key() -> str:
    """Requests for one address, wherever they come from (stops mail-bombing one person)."""
    return "reset-email:" + normalise_email(request.form.get("email", ""))[:320]


def _user_key() -> str:
    if current_user.is_authenticated:
        return f"change-password:{current_user.id}"
    return f"change-password:{get_remote_address()}"


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
@requires("public")
def accept_invitation_page(token: str) -> Response:
    """Set the first password from the link in an invitation email."""
    try:
        invitation = invitation_for(token)
    except LinkInvalid:
        return link_expired()
    user = db.session.get(User, invitation.user_id)
    form = NewPasswordForm()
    done = "Your password has been set. Sign in with your email address and password."
    answer = _password_from_link(accept_invitation, token, form, done)
    if answer is not None:
        return answer
    return render("accounts/accept_invitation.html", form=form, user=user, token=token)


def _password_from_link(
    set_password: Callable[[str, str], User], token: str, form: NewPasswordForm, done: str
) -> Response | None:
    """Once the form is right, set the password from the link and go to sign in (or the one
    answer for an unusable link); None while the form still needs the person."""
    if not form.validate_on_submit():
        return None
    try:
        set_password(token, form.password.data or "")
    except LinkInvalid:
        db.session.rollback()
        return link_expired()
    db.session.commit()
    flash(done, "success")
    return redirect_after_post(url_for("auth.sign_in"))


@bp.route("/password-reset", methods=["GET", "POST"], endpoint="forgotten_password")
@requires("public")
@limiter.limit("5 per minute", methods=["POST"], deduct_when=_was_counted)
@limiter.limit("5 per hour", methods=["POST"], key_func=_email_key, deduct_when=_was_counted)
def forgotten_password_page() -> Response:
    """Ask for a password-reset link; the answer never says whether the account exists."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        _counted()
        request_password_reset(form.email.data or "")
        return redirect_after_post(url_for("accounts.password_reset_sent"))
    return render("accounts/forgotten_password.html", form=form)


@bp.route("/password-reset/sent")
@requires("public")
def password_reset_sent() -> Response:
    """The same confirmation for every address."""
    return render("accounts/password_reset_sent.html")


@bp.route("/password-reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
@requires("public")
def reset_password_page(token: str) -> Response:
    """Choose a new password from the link in a reset email."""
    try:
        reset_for(token)
    except LinkInvalid:
        return link_expired()
    form = NewPasswordForm()
    done = "Your password has been reset. Sign in with your new password."
    answer = _password_from_link(reset_password, token, form, done)
    if answer is not None:
        return answer
    return render("accounts/reset_password.html", form=form, token=token)


@bp.route("/password", methods=["GET", "POST"], endpoint="change_password")
@requires("own_account")
@limiter.limit("10 per hour", methods=["POST"], key_func=_user_key, deduct_when=_was_counted)
def change_password_page() -> Response:
    """Change your own password: your other sessions end, this one carries on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        if change_password(user, form.current_password.data or "", form.password.data or ""):
            # Every other session has ended; this one is renewed with the new session token.
            sessions.renew(user)
            db.session.commit()
            send_password_changed_notice(user)
            flash("Your password has been changed", "success")
            return redirect_after_post(url_for("auth.home"))
        _counted()  # only wrong current passwords count towards the limit
        db.session.rollback()
        form.current_password.errors = list(form.current_password.errors) + [
            "Your current password is incorrect"
        ]
    return render("accounts/change_password.html", form=form)
