"""Passwords, lockout, finishing a sign-in and loading the signed-in user."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from flask_login import login_user
from sqlalchemy import case, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from provider_portal import audit, sessions
from provider_portal.extensions import db, login_manager
from provider_portal.models import User
from provider_portal.models.accounts import new_session_token
from provider_portal.models.types import utcnow

_hasher = PasswordHasher()
# Compared against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    """Hash with argon2id."""
    return _hasher.hash(password)


def is_locked(user: User) -> bool:
    """Whether too many failed sign-ins have locked the account for now."""
    return user.locked_until is not None and user.locked_until > utcnow()


def _check(email: str, password: str) -> tuple[User | None, bool]:
    """The account with this email (if any), and whether it may sign in with this password.

    The password is always verified, against a dummy hash for an unknown email and even when
    the account is locked or deactivated, so every refusal costs the same time.
    """
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        matches: bool = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        matches = False
    allowed = user is not None and matches and user.active and not is_locked(user)
    return user, allowed


def authenticate(email: str, password: str) -> User | None:
    """The active, unlocked user with this email and password, or None."""
    user, allowed = _check(email, password)
    return user if allowed else None


def check_password(email: str, password: str) -> User | None:
    """The first sign-in step: authenticate(), counting and auditing every refusal."""
    user, allowed = _check(email, password)
    if allowed:
        return user
    detail = None
    if user is not None and not user.active:
        detail = "deactivated"
    elif user is not None and is_locked(user):
        detail = "locked"
    elif user is not None:
        record_failure(user)
    # Never the email address typed: it may be someone's password typed in the wrong box.
    audit.record(
        "sign_in_failed", "user" if user else None, user.id if user else None, detail=detail
    )
    return None


def record_failure(user: User) -> None:
    """Count a failed sign-in; at SIGN_IN_MAX_FAILURES in a row the account is locked.

    The count is incremented in the database, so parallel attempts cannot lose a failure; a
    lockout that has run its course starts the count again.
    """
    now = utcnow()
    failures = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_sign_ins=case((User.locked_until <= now, 1), else_=User.failed_sign_ins + 1))
        .returning(User.failed_sign_ins),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(user, "failed_sign_ins", failures)
    if failures >= current_app.config["SIGN_IN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["SIGN_IN_LOCKOUT_MINUTES"])
        audit.record("account_locked", "user", user.id, detail=f"{failures} failed sign-ins")


def finish_sign_in(user: User, detail: str | None = None) -> None:
    """Sign the user in with a brand new session; the caller commits."""
    session.clear()  # nothing from before sign-in survives, and the cookie changes
    login_user(user, remember=False)
    sessions.start()
    user.last_sign_in_at = utcnow()
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record("sign_in", "user", user.id, actor=user, detail=detail)


def end_sessions(user: User) -> None:
    """Invalidate every session of this user (sign-out, deactivation, password change)."""
    user.session_token = new_session_token()


def end_other_sessions(user: User) -> None:
    """End the user's other sessions but keep this one (after a change to how they sign in)."""
    signed_in_at = session.get(sessions.SIGNED_IN_AT)
    end_sessions(user)
    session.clear()
    login_user(user, remember=False)
    sessions.start(signed_in_at if isinstance(signed_in_at, int) else None)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session carries "id:token"; a token that no longer matches is a signed-out session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user
