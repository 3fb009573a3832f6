"""Finding cases: the list query with its filters, one case with its allocations (and the
record that someone saw it), and the providers and work types the forms offer."""

from __future__ import annotations

from sqlalchemy import Select, exists, func, literal_column, or_, select
from sqlalchemy.orm import selectinload

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.models import OPEN_STATUSES, Allocation, AuditEvent, Case, Provider, WorkType
from provider_portal.pagination import Page, paginate


def contains(value: str) -> str:
    """A LIKE pattern for text containing value, any case, where % and _ match themselves."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(query: Select[Case], q: str) -> Select[Case]:
    """The cases whose reference or child's name contains what was typed (if anything).

    On PostgreSQL both expressions have trigram indexes (migration 0014), which match only
    the expressions exactly as written here: the space is SQL text, not a bound parameter.
    """
    term = q.strip()
    if not term:
        return query
    pattern = contains(term)
    full_name = func.lower(Case.first_name + literal_column("' '") + Case.last_name)
    return query.where(
        or_(
            func.lower(Case.case_ref).like(pattern, escape="\\"),
            full_name.like(pattern, escape="\\"),
        )
    )


def case_query(q: str = "", allocation: str = "") -> Select[Case]:
    """Cases matching the filters, oldest request first (the longest-waiting child first)."""
    query = matching(select(Case), q)
    has_open = exists().where(Allocation.case_id == Case.id, Allocation.status.in_(OPEN_STATUSES))
    if allocation == "unallocated":
        query = query.where(~has_open)
    elif allocation == "open":
        query = query.where(has_open)
    return query


def list_cases(q: str = "", allocation: str = "", page: int = 1) -> Page[Case]:
    """One page of cases with their allocations: three queries whatever the page holds."""
    query = (
        case_query(q, allocation)
        .order_by(Case.request_received_on, Case.id)
        .options(
            selectinload(Case.allocations).options(
                selectinload(Allocation.provider), selectinload(Allocation.work_type)
            )
        )
    )
    return paginate(query, page)


def get_case(case_id: int) -> Case | None:
    """One case with its allocations, their providers, work types and documents."""
    return db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.allocations).options(
                selectinload(Allocation.provider),
                selectinload(Allocation.work_type),
                selectinload(Allocation.documents),
            ),
            selectinload(Case.exceptions),
        )
    )


def record_viewed(case: Case) -> AuditEvent:
    """Someone opened the case's page (written before the page is sent)."""
    return audit.record("case_viewed", "case", case.id, case_id=case.id)


def active_providers() -> list[Provider]:
    """Providers taking work, by name (pages read it once: web.once_per_request)."""
    return list(db.session.scalars(select(Provider).where(Provider.active).order_by(Provider.name)))


def work_types() -> list[WorkType]:
    """Work types by name (pages read it once: web.once_per_request)."""
    return list(db.session.scalars(select(WorkType).order_by(WorkType.name)))
