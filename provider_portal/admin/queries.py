"""Reading accounts and providers for the administration pages: bounded, loaded eagerly."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from provider_portal.accounts.services import INVITED_MARKER
from provider_portal.extensions import db
from provider_portal.models import Provider, Role, User
from provider_portal.pagination import Page, paginate

TEAM_ROLES = (Role.PROVIDER_ADMIN, Role.PRACTITIONER)


def filtered_users(
    query: Select[User], role: str = "", provider_id: int | None = None, status: str = ""
) -> Select[User]:
    """Narrow a user query by role, provider and status (unknown values are ignored)."""
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if provider_id:
        query = query.where(User.provider_id == provider_id)
    if status == "active":
        query = query.where(User.active.is_(True), User.password_hash != INVITED_MARKER)
    elif status == "invited":
        query = query.where(User.active.is_(True), User.password_hash == INVITED_MARKER)
    elif status == "deactivated":
        query = query.where(User.active.is_(False))
    return query


def page_of_users(query: Select[User], page: int) -> Page[User]:
    """One page of people in name order, with their providers."""
    ordered = query.order_by(func.lower(User.name), User.id).options(selectinload(User.provider))
    return paginate(ordered, page)


def all_providers() -> list[Provider]:
    """Every provider in name order (a council works with tens, not thousands)."""
    return list(
        db.session.scalars(select(Provider).order_by(func.lower(Provider.name), Provider.id))
    )


def active_providers() -> list[Provider]:
    return [provider for provider in all_providers() if provider.active]


def account_counts() -> dict[int, int]:
    """Active accounts per provider id, in one query."""
    rows = db.session.execute(
        select(User.provider_id, func.count())
        .where(User.provider_id.is_not(None), User.active.is_(True))
        .group_by(User.provider_id)
    )
    return {provider_id: count for provider_id, count in rows if provider_id is not None}


def user_by_id(user_id: int) -> User | None:
    """An account with its provider, or None."""
    return db.session.scalar(
        select(User).where(User.id == user_id).options(selectinload(User.provider))
    )


def provider_by_id(provider_id: int) -> Provider | None:
    return db.session.get(Provider, provider_id)


def team(provider_id: int | None) -> Select[User]:
    """One provider's people, and nobody else (no provider, nobody)."""
    return select(User).where(
        User.provider_id == provider_id,
        User.provider_id.is_not(None),
        User.role.in_(TEAM_ROLES),
    )


def find_team_member(provider_id: int | None, user_id: int) -> User | None:
    """Someone in this provider's team, or None for anyone else (or nobody)."""
    return db.session.scalar(
        team(provider_id).where(User.id == user_id).options(selectinload(User.provider))
    )


def find_team_practitioner(provider_id: int | None, user_id: int) -> User | None:
    """A practitioner of this provider (the accounts its administrator may change), or None."""
    user = find_team_member(provider_id, user_id)
    return user if user is not None and user.role is Role.PRACTITIONER else None
