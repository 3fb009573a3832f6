"""Passwords, lockout, the second sign-in step, two-factor set-up and signing out.

Nothing here touches the browser's session: the routes start, renew and clear it
(provider_portal.sessions) around these operations, which change the database and write
their own audit rows.
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from provider_portal import audit
from provider_portal.auth.two_factor.services import (
    CodeCheck,
    confirm,
    new_recovery_codes,
    recovery_codes_left,
    use_code,
    use_recovery_code,
)
from provider_portal.extensions import db, login_manager
from provider_portal.models import User
from provider_portal.models.accounts import new_session_token
from provider_portal.models.types import utcnow
from provider_portal.settings import setting

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
    if failures >= setting("SIGN_IN_MAX_FAILURES"):
        user.locked_until = now + timedelta(minutes=setting("SIGN_IN_LOCKOUT_MINUTES"))
        audit.record("account_locked", "user", user.id, detail=f"{failures} failed sign-ins")


def record_sign_in(user: User, detail: str | None = None) -> None:
    """The person is signed in (the caller starts the session and commits)."""
    user.last_sign_in_at = utcnow()
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record("sign_in", "user", user.id, actor=user, detail=detail)


def end_sessions(user: User) -> None:
    """Invalidate every session of this user (sign-out, deactivation, password change)."""
    user.session_token = new_session_token()


def sign_out_everywhere(user: User) -> None:
    """End every session of this user on the server (the caller clears the browser's)."""
    end_sessions(user)
    audit.record("sign_out", "user", user.id, actor=user)


# --- the second step --------------------------------------------------------------------------


def _refuse(user: User, action: str, detail: str | None = None) -> None:
    """Count and audit a refused second factor (a locked account's count stays as it is)."""
    if not is_locked(user):
        record_failure(user)
    audit.record(action, "user", user.id, detail=detail)


def sign_in_with_code(user: User, code: str) -> CodeCheck:
    """The second step with an authenticator code: ACCEPTED records the sign-in; a wrong or
    reused code is counted towards the lockout and audited. The caller commits either way."""
    result = CodeCheck.WRONG if is_locked(user) else use_code(user, code)
    if result is CodeCheck.ACCEPTED:
        record_sign_in(user, detail="authenticator_app")
    elif result is CodeCheck.REUSED:
        _refuse(user, "totp_reused")
    else:
        _refuse(user, "sign_in_failed", detail="two_factor")
    return result


def sign_in_with_recovery_code(user: User, code: str) -> tuple[CodeCheck, int]:
    """The second step with a recovery code, as sign_in_with_code; with the codes left."""
    result = CodeCheck.WRONG if is_locked(user) else use_recovery_code(user, code)
    if result is CodeCheck.ACCEPTED:
        left = recovery_codes_left(user)
        record_sign_in(user, detail="recovery_code")
        audit.record("recovery_code_used", "user", user.id, actor=user, detail=f"{left} left")
        return result, left
    if result is CodeCheck.REUSED:
        _refuse(user, "recovery_code_reused")
    else:
        _refuse(user, "sign_in_failed", detail="recovery_code")
    return result, 0


# --- setting up two-factor --------------------------------------------------------------------


def confirm_two_factor(user: User, code: str) -> list[str] | None:
    """Confirm the new authenticator app with a code from it: every session ends and the new
    recovery codes are returned (shown once), or None when the code is wrong."""
    if not confirm(user, code):
        return None
    codes = new_recovery_codes(user)
    end_sessions(user)
    audit.record("two_factor_set_up", "user", user.id, actor=user)
    return codes


def renew_recovery_codes(user: User, code: str) -> tuple[CodeCheck, list[str]]:
    """New recovery codes after a fresh authenticator code; a reused code is audited."""
    result = use_code(user, code)
    if result is CodeCheck.ACCEPTED:
        codes = new_recovery_codes(user)
        audit.record("recovery_codes_replaced", "user", user.id, actor=user)
        return result, codes
    if result is CodeCheck.REUSED:
        audit.record("totp_reused", "user", user.id, actor=user)
    return result, []


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
