"""Organisations and the people who sign in."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provider_portal.extensions import db
from provider_portal.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a person is in the portal; permissions.py says what each may do."""

    ADMIN = "admin"
    MANAGER = "manager"
    MONITOR = "monitor"
    PROVIDER_ADMIN = "provider_admin"
    PRACTITIONER = "practitioner"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_provider(self) -> bool:
        return self in (Role.PROVIDER_ADMIN, Role.PRACTITIONER)


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.MANAGER: "Commissioning manager",
    Role.MONITOR: "Contract monitor",
    Role.PROVIDER_ADMIN: "Provider administrator",
    Role.PRACTITIONER: "Practitioner",
}


class Provider(db.Model):  # type: ignore[name-defined]
    """An external organisation that takes assessment work."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who at the provider the council writes to; optional, stored in lower case.
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # A shared mailbox (a team inbox) that gets a copy of the organisation's work mail;
    # set by the provider's administrator, stored in lower case.
    team_mailbox: Mapped[str | None] = mapped_column(String(320))

    users: Mapped[list[User]] = relationship(back_populates="provider")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person who signs in; provider users belong to one provider."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing this ends every session: the session cookie carries it and must match.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person first chooses a password (accounts start as invitations).
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who deactivated the account: a provider administrator may reactivate only an account
    # their own side deactivated, never one the council did (accounts.services.reactivate).
    deactivated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Two-factor sign-in: the authenticator secret, encrypted (a Fernet token: never the plain
    # secret; see auth/two_factor/keys.py), and the last time step used (no reuse).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Failed sign-ins in a row, and the lockout they caused.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Provider | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_provider_user(self) -> bool:
        return self.role.is_provider


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A single-use code for signing in without the authenticator app (hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountToken(db.Model):  # type: ignore[name-defined]
    """A single-use link sent by email: an invitation or a password reset (only its hash)."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invitation" or "password_reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
