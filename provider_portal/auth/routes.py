"""Sign-in, sign-out and the home page that sends each role to its work."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from provider_portal import sessions
from provider_portal.auth import bp, pending
from provider_portal.auth.forms import SignInForm
from provider_portal.auth.services import check_password, record_sign_in, sign_out_everywhere
from provider_portal.auth.two_factor.services import has_two_factor
from provider_portal.extensions import db, limiter, login_manager
from provider_portal.models import Role, User
from provider_portal.permissions import requires
from provider_portal.settings import setting
from provider_portal.web import render, wants_fragment

# The one answer for an unknown email, a wrong password, a locked or a deactivated account.
WRONG_EMAIL_OR_PASSWORD = "Enter a correct email address and password"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site; anything with a scheme, host or odd slashes is dropped."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\t\r\n") or target != target.strip():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(role: Role) -> str:
    if role in (Role.PROVIDER_ADMIN, Role.PRACTITIONER):
        return url_for("provider.home")
    if role is Role.MONITOR:
        return url_for("reports.index")
    return url_for("home.manager")


def sign_in_rate_limit() -> str:
    """Attempts allowed per address at each sign-in step (SIGN_IN_RATE_LIMIT)."""
    return str(setting("SIGN_IN_RATE_LIMIT"))


def account_rate_limit() -> str:
    """Attempts allowed at one email address, from any addresses (SIGN_IN_ACCOUNT_RATE_LIMIT)."""
    return str(setting("SIGN_IN_ACCOUNT_RATE_LIMIT"))


def _typed_email() -> str:
    return " ".join((request.form.get("email") or "").split()).lower()


def account_key() -> str:
    """The per-account count's key: the email typed, whether or not an account has it (so a
    refusal says nothing about which exist), as a keyed hash: the store holds no addresses."""
    digest = hmac.new(
        str(setting("SECRET_KEY")).encode(), _typed_email().encode(), hashlib.sha256
    ).hexdigest()
    return f"account:{digest[:32]}"


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send the visitor to sign in (or to the step they are part way through); htmx requests
    get 401 and HX-Redirect, not a swapped page."""
    part_way = pending.current()
    if wants_fragment() or request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = part_way.url if part_way else url_for("auth.sign_in")
        return response
    if part_way:
        return redirect(part_way.url)
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


@bp.route("/")
@requires("signed_in")
def home() -> Response:
    """Send each person to their main page."""
    return redirect(home_for(current_user.role))


def _forgotten_password_url() -> str | None:
    # The password reset pages may not be installed yet: link to them only if they are.
    if "accounts.forgotten_password" in current_app.view_functions:
        return url_for("accounts.forgotten_password")
    return None


def _after_password(user: User, next_url: str | None) -> Response:
    """The password was right: on to the second factor, or signed in if there is none."""
    if has_two_factor(user):
        step = pending.VERIFY
    elif setting("TOTP_REQUIRED"):
        step = pending.SET_UP
    else:
        record_sign_in(user)
        sessions.begin(user)
        db.session.commit()
        return redirect(next_url or home_for(user.role), code=303)
    pending.begin(user, step, next_url)
    return redirect(url_for(pending.STEP_ENDPOINTS[step]), code=303)


@bp.route("/sign-in", methods=["GET", "POST"])
@requires("public")
@limiter.limit(sign_in_rate_limit, methods=["POST"])
@limiter.limit(
    account_rate_limit,
    key_func=account_key,
    methods=["POST"],
    scope="sign_in_account",
    exempt_when=lambda: not _typed_email(),
)
def sign_in() -> Response:
    """Email and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = SignInForm()
    if form.validate_on_submit():
        user = check_password(form.email.data or "", form.password.data or "")
        if user is not None:
            return _after_password(user, safe_next(request.args.get("next")))
        db.session.commit()
        form.email.errors = [*form.email.errors, WRONG_EMAIL_OR_PASSWORD]
    return render("auth/sign_in.html", form=form, forgotten_password_url=_forgotten_password_url())


@bp.route("/sign-out", methods=["POST"])
@requires("signed_in")
def sign_out() -> Response:
    """End the session here and on the server."""
    sign_out_everywhere(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"), code=303)
