"""Who may do what: each route declares a policy; provider-owned objects load through here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, func, or_, select

from provider_portal.extensions import db, login_manager
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationPaper,
    AllocationStatus,
    CasePaper,
    Document,
    Role,
)
from provider_portal.timescales import today

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
    # Contracts: finance reads them; administrators and managers set them up and vary them.
    "view_contracts": frozenset({Role.ADMIN, Role.MANAGER, Role.MONITOR}),
    "manage_contracts": COUNCIL,
    "provider_work": PROVIDER_ROLES,
    # The provider's answer to an allocation and who in the provider does it.
    "respond_to_allocation": frozenset({Role.PROVIDER_ADMIN}),
    # Accounts: administrators for everyone; provider administrators for their practitioners.
    "manage_accounts": frozenset({Role.ADMIN}),
    "manage_practitioners": frozenset({Role.PROVIDER_ADMIN}),
    "view_audit": frozenset({Role.ADMIN}),
    # Practitioners' names beside their figures (the league table): the council's roles. A
    # provider sees figures for its own organisation only, never by name of another's staff.
    "view_practitioner_names": frozenset({Role.ADMIN, Role.MANAGER, Role.MONITOR}),
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


def provider_access_cutoff() -> date:
    """The earliest closing date whose allocation a provider user may still open today."""
    return today() - timedelta(days=current_app.config["PROVIDER_ACCESS_DAYS_AFTER_CLOSE"])


def access_until(allocation: Allocation) -> date | None:
    """The last day provider users can open a closed allocation (None while it is open)."""
    if allocation.is_open:
        return None
    closed_on = (
        allocation.closed_on
        or allocation.accepted_on
        or allocation.withdrawn_on
        or allocation.declined_on
    )
    if closed_on is None:
        return None
    return closed_on + timedelta(days=current_app.config["PROVIDER_ACCESS_DAYS_AFTER_CLOSE"])


def _provider_scope() -> list[ColumnElement[bool]]:
    """The conditions every provider-side read goes through.

    - the current user's own organisation (a user without one sees nothing);
    - practitioners: only the work assigned to them; provider administrators: all of it;
    - open work, or closed work until PROVIDER_ACCESS_DAYS_AFTER_CLOSE days after closing.
      Rows closed before closed_on existed fall back to the date of their closing event, and a
      closed row with no date at all is hidden (fail closed).
    """
    conditions: list[ColumnElement[bool]] = [Allocation.provider_id == current_user.provider_id]
    if current_user.role is not Role.PROVIDER_ADMIN:
        conditions.append(Allocation.assigned_to_id == current_user.id)
    closed_on = func.coalesce(
        Allocation.closed_on,
        Allocation.accepted_on,
        Allocation.withdrawn_on,
        Allocation.declined_on,
    )
    conditions.append(
        or_(Allocation.status.in_(OPEN_STATUSES), closed_on >= provider_access_cutoff())
    )
    return conditions


def provider_allocations() -> Select[Allocation]:
    """Allocations the current provider user may see (see _provider_scope for the rules)."""
    return select(Allocation).where(*_provider_scope())


def provider_allocation_or_404(allocation_id: int) -> Allocation:
    """Load an allocation within the current user's scope; anything else is 404, never 403."""
    allocation = db.session.scalar(provider_allocations().where(Allocation.id == allocation_id))
    if allocation is None:
        abort(404)
    return allocation


def provider_document_or_404(document_id: int) -> Document:
    """Load a document on an allocation within the current user's scope, or 404.

    A document whose file retention has removed is gone: 404 as well.
    """
    document = db.session.scalar(
        select(Document)
        .join(Allocation)
        .where(Document.id == document_id, Document.deleted_at.is_(None), *_provider_scope())
    )
    if document is None:
        abort(404)
    return document


# Work the council took back, or the provider turned down, sees none of the case's papers.
_NO_PAPERS = (AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)


def provider_papers(allocation_id: int) -> Select[CasePaper]:
    """The one way a provider user reaches a case paper: shared (and not un-shared) with this
    piece of work, within the user's scope (_provider_scope: organisation, practitioner,
    access period), the work neither withdrawn nor declined, the file not removed."""
    return (
        select(CasePaper)
        .join(AllocationPaper, AllocationPaper.paper_id == CasePaper.id)
        .join(Allocation, Allocation.id == AllocationPaper.allocation_id)
        .where(
            AllocationPaper.allocation_id == allocation_id,
            AllocationPaper.unshared_at.is_(None),
            CasePaper.deleted_at.is_(None),
            Allocation.status.not_in(_NO_PAPERS),
            *_provider_scope(),
        )
        .order_by(CasePaper.uploaded_at, CasePaper.id)
    )


def provider_paper_or_404(allocation_id: int, paper_id: int) -> CasePaper:
    """Load a case paper through provider_papers(), or 404 (never 403)."""
    paper = db.session.scalar(provider_papers(allocation_id).where(CasePaper.id == paper_id))
    if paper is None:
        abort(404)
    return paper
