"""Passwords, sign-in checks and loading the signed-in user."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from provider_portal.extensions import db, login_manager
from provider_portal.models import User
from provider_portal.models.accounts import new_session_token

_hasher = PasswordHasher()
# Compared against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    """Hash with argon2id."""
    return _hasher.hash(password)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; same work whether or not it exists."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of this user (sign-out, deactivation, password change)."""
    user.session_token = new_session_token()


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
