"""The second sign-in step (authenticator code or recovery code) and setting up two-factor."""

from __future__ import annotations

from flask import flash, redirect, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal import sessions
from provider_portal.auth import bp, pending
from provider_portal.auth.forms import CodeForm, NewRecoveryCodesForm, RecoveryCodeForm
from provider_portal.auth.routes import home_for, sign_in_rate_limit
from provider_portal.auth.services import (
    confirm_two_factor,
    record_sign_in,
    renew_recovery_codes,
    sign_in_with_code,
    sign_in_with_recovery_code,
)
from provider_portal.auth.two_factor.services import (
    CodeCheck,
    grouped,
    has_two_factor,
    new_secret,
    plain_secret,
    qr_code,
    recovery_codes_left,
    secret_digest,
)
from provider_portal.database import writes_when_read
from provider_portal.extensions import db, limiter
from provider_portal.models import User
from provider_portal.permissions import requires
from provider_portal.web import render

WRONG_CODE = "Enter a correct code"
REUSED_CODE = "That code has already been used. Wait for your app to show a new code, then enter it"
WRONG_RECOVERY_CODE = "Enter a correct recovery code"
REUSED_RECOVERY_CODE = "That recovery code has already been used. Enter a different one"
SECRET_CHANGED = "The set-up key has changed. Add the new one to your app, then enter its code"
# Where the account page keeps the fingerprint of the secret it is showing.
ACCOUNT_SET_UP_KEY = "two_factor_set_up"

# One count per address for every second-step form: trying codes on one page and then the
# other does not double the attempts.
second_step_limit = limiter.shared_limit(
    sign_in_rate_limit, scope="sign_in_second_step", methods=["POST"]
)


def _pending_at(step: str) -> pending.Pending | Response:
    """The pending sign-in at this step, or where to send the visitor instead."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    had_pending = pending.KEY in session
    found = pending.current()
    if found is None:
        if had_pending:
            flash("Your sign-in timed out. Sign in again", "important")
        return redirect(url_for("auth.sign_in"))
    if found.step != step:
        return redirect(found.url)
    return found


def _signed_in(found: pending.Pending) -> Response:
    """The second step passed: a brand new session, then on to where the person was going."""
    sessions.begin(found.user)
    db.session.commit()
    return redirect(found.next_url or home_for(found.user.role), code=303)


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@requires("public")
@second_step_limit
def two_factor() -> Response:
    """The code from the authenticator app, after a correct password."""
    found = _pending_at(pending.VERIFY)
    if isinstance(found, Response):
        return found
    user = found.user
    form = CodeForm()
    if form.validate_on_submit():
        result = sign_in_with_code(user, form.code.data or "")
        if result is CodeCheck.ACCEPTED:
            return _signed_in(found)
        db.session.commit()  # the refusal counts towards the lockout
        form.code.errors = [REUSED_CODE if result is CodeCheck.REUSED else WRONG_CODE]
    return render("auth/two_factor/two_factor.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@requires("public")
@second_step_limit
def recovery_code() -> Response:
    """A single-use recovery code instead of the authenticator app."""
    found = _pending_at(pending.VERIFY)
    if isinstance(found, Response):
        return found
    user = found.user
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        result, left = sign_in_with_recovery_code(user, form.code.data or "")
        if result is CodeCheck.ACCEPTED:
            response = _signed_in(found)
            flash(_codes_left_message(left), "success")
            return response
        db.session.commit()  # the refusal counts towards the lockout
        form.code.errors = [
            REUSED_RECOVERY_CODE if result is CodeCheck.REUSED else WRONG_RECOVERY_CODE
        ]
    return render("auth/two_factor/recovery_code.html", form=form)


def _codes_left_message(left: int) -> str:
    plural = "code" if left == 1 else "codes"
    message = f"You signed in with a recovery code. You have {left} recovery {plural} left."
    if left <= 3:
        message += " Create new recovery codes from ‘Two-factor sign-in’."
    return message


def _confirm_or_issue(user: User, shown_digest: str | None, form: CodeForm) -> list[str] | str:
    """Confirm the secret the page showed with the code typed (returning the new recovery
    codes), or give the user a secret to show (returning its fingerprint).

    The fingerprint ties a set-up to the page that showed it: if anyone else replaced the
    secret in the meantime, nothing is confirmed and a new secret is shown.
    """
    shown = plain_secret(user) is not None and shown_digest == secret_digest(user.totp_secret)
    if form.validate_on_submit():
        codes = confirm_two_factor(user, form.code.data or "") if shown else None
        if codes is not None:
            return codes
        form.code.errors = [WRONG_CODE if shown else SECRET_CHANGED]
    if not shown:
        new_secret(user)
    return secret_digest(user.totp_secret)


def _set_up_page(user: User, form: CodeForm, action: str) -> Response:
    secret = plain_secret(user) or ""
    return render(
        "auth/two_factor/set_up_two_factor.html",
        form=form,
        action=action,
        secret=grouped(secret),
        qr=qr_code(user, secret),
    )


def _recovery_codes_page(codes: list[str], continue_url: str) -> Response:
    """The codes, shown this once: they are never stored in plain text or in the session."""
    return render("auth/two_factor/recovery_codes.html", codes=codes, continue_url=continue_url)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@requires("public")
@second_step_limit
@writes_when_read  # showing the page issues the secret it shows
def set_up_two_factor() -> Response:
    """Two-factor sign-in is required and this person has none yet: set it up to sign in."""
    found = _pending_at(pending.SET_UP)
    if isinstance(found, Response):
        return found
    user = found.user
    if has_two_factor(user):
        # Set up elsewhere since the password step: it must be used, never replaced from here.
        session.pop(pending.KEY, None)
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    result = _confirm_or_issue(user, found.setup_digest, form)
    if isinstance(result, list):
        # Every session from before two-factor has ended (as has any other set-up): a new one.
        record_sign_in(user, detail="authenticator_app")
        sessions.begin(user)
        db.session.commit()
        return _recovery_codes_page(result, found.next_url or home_for(user.role))
    found.keep_setup_digest(result)
    db.session.commit()
    return _set_up_page(user, form, url_for("auth.set_up_two_factor"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires("own_account")
@writes_when_read  # showing the set-up issues the secret it shows
def account_two_factor() -> Response:
    """Your two-factor sign-in: set it up, or see how many recovery codes are left."""
    user = current_user._get_current_object()
    if has_two_factor(user):
        return _account_page(user, NewRecoveryCodesForm(formdata=None))
    form = CodeForm()
    result = _confirm_or_issue(user, session.get(ACCOUNT_SET_UP_KEY), form)
    if isinstance(result, list):
        # A new way to sign in: every other session of this person has ended; this one goes on.
        sessions.renew(user)
        db.session.commit()
        return _recovery_codes_page(result, url_for("auth.account_two_factor"))
    session[ACCOUNT_SET_UP_KEY] = result
    db.session.commit()
    return _set_up_page(user, form, url_for("auth.account_two_factor"))


def _account_page(user: User, form: NewRecoveryCodesForm) -> Response:
    return render(
        "auth/two_factor/account_two_factor.html", form=form, codes_left=recovery_codes_left(user)
    )


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires("own_account")
def replace_recovery_codes() -> Response:
    """Replace every recovery code, after a fresh code from the authenticator app."""
    user = current_user._get_current_object()
    if not has_two_factor(user):
        return redirect(url_for("auth.account_two_factor"))
    form = NewRecoveryCodesForm()
    if form.validate_on_submit():
        result, codes = renew_recovery_codes(user, form.code.data or "")
        db.session.commit()
        if result is CodeCheck.ACCEPTED:
            return _recovery_codes_page(codes, url_for("auth.account_two_factor"))
        form.code.errors = [REUSED_CODE if result is CodeCheck.REUSED else WRONG_CODE]
    return _account_page(user, form)
