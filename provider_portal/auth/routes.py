"""Sign-in, sign-out and the home page that sends each role to its work."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, make_response, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.auth import bp
from provider_portal.auth.forms import SignInForm
from provider_portal.auth.services import authenticate, end_sessions
from provider_portal.extensions import db, login_manager
from provider_portal.models import Role
from provider_portal.permissions import requires
from provider_portal.web import render, wants_fragment


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
        return url_for("provider.allocations")
    if role is Role.MONITOR:
        return url_for("reports.monthly")
    return url_for("cases.board")


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send the visitor to sign in; htmx requests get 401 and HX-Redirect, not a swapped page."""
    target = url_for("auth.sign_in", next=request.full_path.rstrip("?"))
    if wants_fragment() or request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.sign_in")
        return response
    return redirect(target)


@bp.route("/")
@requires("signed_in")
def home() -> Response:
    """Send each person to their main page."""
    return redirect(home_for(current_user.role))


@bp.route("/sign-in", methods=["GET", "POST"])
@requires("public")
def sign_in() -> Response:
    """Email and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            audit.record("sign_in_failed")
            db.session.commit()
            form.email.errors = list(form.email.errors) + [
                "Enter a correct email address and password"
            ]
        else:
            session.clear()  # a fresh session at sign-in
            login_user(user)
            audit.record("sign_in", "user", user.id, actor=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or home_for(user.role), code=303)
    return render("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@requires("signed_in")
def sign_out() -> Response:
    """End the session here and on the server."""
    user = current_user._get_current_object()
    end_sessions(user)
    audit.record("sign_out", "user", user.id, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"), code=303)
