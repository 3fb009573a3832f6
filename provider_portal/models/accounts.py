"""Organisations and the people who sign in."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, String
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

    provider: Mapped[Provider | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_provider_user(self) -> bool:
        return self.role.is_provider
