"""Reading accounts and providers for the administration pages: bounded, loaded eagerly."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
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
    return list(db.session.scalars(select(Provider).order_by(func.lower(Provider.name))))


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


def user_or_404(user_id: int) -> User:
    user = db.session.scalar(
        select(User).where(User.id == user_id).options(selectinload(User.provider))
    )
    if user is None:
        abort(404)
    return user


def provider_or_404(provider_id: int) -> Provider:
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    return provider


def team() -> Select[User]:
    """The current provider administrator's organisation's people, and nobody else."""
    return select(User).where(
        User.provider_id == current_user.provider_id,
        User.provider_id.is_not(None),
        User.role.in_(TEAM_ROLES),
    )


def team_member_or_404(user_id: int) -> User:
    """Someone in the current provider's team; anyone else (or nobody) is 404, never 403."""
    user = db.session.scalar(team().where(User.id == user_id).options(selectinload(User.provider)))
    if user is None:
        abort(404)
    return user


def team_practitioner_or_404(user_id: int) -> User:
    """A practitioner of the current provider (the accounts its administrator may change)."""
    user = team_member_or_404(user_id)
    if user.role is not Role.PRACTITIONER:
        abort(404)
    return user
