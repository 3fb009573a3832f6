"""Reading allocations for the council's lists and pages: bounded queries, loaded eagerly."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import selectinload

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Document, User
from provider_portal.pagination import Page, paginate

# Work in the provider's hands: not yet returned, or sent back to be amended.
WITH_PROVIDER = (AllocationStatus.ALLOCATED, AllocationStatus.AMENDMENT_REQUESTED)
# ?due= on the allocation lists (the home pages link to them): what each shows.
DUE_FILTERS = {
    "this_week": "work due from today to Sunday",
    "overdue": "work past its due date with the provider",
}
# ?answer=awaiting: work the provider has not yet accepted or declined.
ANSWER_FILTERS = {"awaiting": "new work waiting for you to accept or decline"}


def due_column() -> ColumnElement[date]:
    """When work is due, as the board says it: the statutory date for advice (reg 8), the
    contract's for other work."""
    return func.coalesce(Allocation.statutory_due_on, Allocation.due_on)


def week_end(on: date) -> date:
    """The Sunday that ends the week (Monday to Sunday) of a day."""
    return on + timedelta(days=6 - on.weekday())


def due_condition(due: str, on: date) -> ColumnElement[bool] | None:
    """Work with the provider due from `on` to the end of its week, or already past due;
    None for any other value."""
    with_provider = Allocation.status.in_(WITH_PROVIDER)
    if due == "this_week":
        return and_(with_provider, due_column() >= on, due_column() <= week_end(on))
    if due == "overdue":
        return and_(with_provider, due_column() < on)
    return None


def awaiting_answer_condition() -> ColumnElement[bool]:
    """New work the provider can still accept or decline (allocations.services.awaiting_answer)."""
    return and_(
        Allocation.status == AllocationStatus.ALLOCATED,
        Allocation.provider_accepted_on.is_(None),
        Allocation.returned_on.is_(None),
    )


def filtered(
    query: Select[Allocation],
    status: str = "",
    provider_id: int | None = None,
    work_type_code: str = "",
    due: str = "",
    answer: str = "",
    on: date | None = None,
) -> Select[Allocation]:
    """The list narrowed by the filters chosen; due needs the day (today) it is judged on."""
    condition = due_condition(due, on) if on is not None else None
    if condition is not None:
        query = query.where(condition)
    if answer == "awaiting":
        query = query.where(awaiting_answer_condition())
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
