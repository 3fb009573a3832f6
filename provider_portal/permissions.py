"""Who may do what: each route declares a policy; provider-owned objects load through here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from provider_portal.extensions import db, login_manager
from provider_portal.models import Allocation, Document, Role

ALL_ROLES = frozenset(Role)
COUNCIL = frozenset({Role.ADMIN, Role.MANAGER})
PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.PRACTITIONER})

# Policy name -> the roles allowed. None means anyone, signed in or not.
POLICIES: dict[str, frozenset[Role] | None] = {
    "public": None,
    "signed_in": ALL_ROLES,
    "view_cases": COUNCIL,
    "import_data": COUNCIL,
    "allocate": COUNCIL,
    "record_cases": COUNCIL,
    "review_work": COUNCIL,
    "view_reports": frozenset({Role.ADMIN, Role.MANAGER, Role.MONITOR}),
    "provider_work": PROVIDER_ROLES,
    # The provider's answer to an allocation and who in the provider does it.
    "respond_to_allocation": frozenset({Role.PROVIDER_ADMIN}),
    # Accounts: administrators for everyone; provider administrators for their practitioners.
    "manage_accounts": frozenset({Role.ADMIN}),
    "manage_practitioners": frozenset({Role.PROVIDER_ADMIN}),
    "view_audit": frozenset({Role.ADMIN}),
    # Pages every signed-in person uses for their own account (password, two-factor).
    "own_account": ALL_ROLES,
}

F = TypeVar("F", bound=Callable[..., Any])


def requires(policy: str) -> Callable[[F], F]:
    """Declare the policy of a route; the meta-test fails for any route without one."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    roles = POLICIES[policy]

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if roles is not None:
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if current_user.role not in roles:
                    abort(403)
            return view(*args, **kwargs)

        wrapped.policy = policy  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def can(policy: str) -> bool:
    """Whether the current user passes a policy (for showing links and buttons)."""
    roles = POLICIES[policy]
    if roles is None:
        return True
    return bool(current_user.is_authenticated and current_user.role in roles)


def provider_allocations() -> Select[Allocation]:
    """Allocations the current provider user may see: their own organisation's only."""
    return select(Allocation).where(Allocation.provider_id == current_user.provider_id)


def provider_allocation_or_404(allocation_id: int) -> Allocation:
    """Load one of the current provider's allocations; anything else is 404, never 403."""
    allocation = db.session.scalar(provider_allocations().where(Allocation.id == allocation_id))
    if allocation is None:
        abort(404)
    return allocation


def provider_document_or_404(document_id: int) -> Document:
    """Load a document on one of the current provider's allocations, or 404."""
    document = db.session.scalar(
        select(Document)
        .join(Allocation)
        .where(Document.id == document_id, Allocation.provider_id == current_user.provider_id)
    )
    if document is None:
        abort(404)
    return document
