"""Single-use links sent by email: only a SHA-256 of each token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from provider_portal.extensions import db
from provider_portal.models import AccountToken, User
from provider_portal.models.types import utcnow

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"
# Longer than any token we issue (token_urlsafe(32) is 43 characters): no hashing of junk.
_MAX_TOKEN_LENGTH = 100


def hash_token(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token and its hash."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def revoke(user: User, purpose: str | None = None) -> None:
    """Spend every unused link of this user (of one purpose, or all): earlier links stop working."""
    statement = (
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if purpose is not None:
        statement = statement.where(AccountToken.purpose == purpose)
    db.session.execute(statement)


def add_token(
    user: User, purpose: str, token_hash: str, hours: int, created_by: User | None = None
) -> None:
    """Store a link for this user, replacing any earlier unused link of the same purpose."""
    revoke(user, purpose)
    now = utcnow()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            created_by_id=created_by.id if created_by is not None else None,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )


def issue(user: User, purpose: str, hours: int, created_by: User | None = None) -> str:
    """A new link for this user; returns the raw token, which is never stored."""
    raw, token_hash = new_token()
    add_token(user, purpose, token_hash, hours, created_by)
    return raw


def find_valid(raw: str, purpose: str) -> AccountToken | None:
    """The unused, unexpired link of this purpose for an active user, or None."""
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return token


def spend(token: AccountToken) -> bool:
    """Mark the link used; False if another request used it first (single use under races)."""
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
