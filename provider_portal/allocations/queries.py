"""Reading allocations for the council's lists and pages: bounded queries, loaded eagerly."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Document, User
from provider_portal.pagination import Page, paginate


def filtered(
    query: Select[Allocation],
    status: str = "",
    provider_id: int | None = None,
    work_type_code: str = "",
) -> Select[Allocation]:
    if status in {s.value for s in AllocationStatus}:
        query = query.where(Allocation.status == AllocationStatus(status))
    if provider_id:
        query = query.where(Allocation.provider_id == provider_id)
    if work_type_code:
        from provider_portal.models import WorkType

        query = query.join(WorkType).where(WorkType.code == work_type_code)
    return query


def page_of(query: Select[Allocation], page: int) -> Page[Allocation]:
    """One page, newest allocation first, with case, provider, work type and documents."""
    ordered = query.order_by(Allocation.allocated_on.desc(), Allocation.id.desc()).options(
        selectinload(Allocation.case),
        selectinload(Allocation.provider),
        selectinload(Allocation.work_type),
        selectinload(Allocation.documents),
        selectinload(Allocation.assigned_to),
    )
    return paginate(ordered, page)


def get_allocation(allocation_id: int) -> Allocation | None:
    return db.session.scalar(
        select(Allocation)
        .where(Allocation.id == allocation_id)
        .options(
            selectinload(Allocation.case),
            selectinload(Allocation.provider),
            selectinload(Allocation.contract),
            selectinload(Allocation.work_type),
            selectinload(Allocation.documents).selectinload(Document.uploaded_by),
            selectinload(Allocation.assigned_to),
        )
    )


def people_names(*user_ids: int | None) -> dict[int, str]:
    """Names of the people an allocation records (who accepted, declined…), in one query."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}
