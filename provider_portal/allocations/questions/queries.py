"""Reading question threads, and the questions waiting for the council: bounded queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationMessage

# How many waiting questions the backlog board lists (the count covers them all).
WAITING_LISTED = 10


@dataclass(frozen=True)
class Waiting:
    """The questions waiting for the council: how many, and the longest-waiting few."""

    total: int
    oldest: list[Allocation]


def thread(allocation_id: int) -> list[AllocationMessage]:
    """A piece of work's messages, oldest first, with their authors."""
    return list(
        db.session.scalars(
            select(AllocationMessage)
            .where(AllocationMessage.allocation_id == allocation_id)
            .order_by(AllocationMessage.created_at, AllocationMessage.id)
            .options(selectinload(AllocationMessage.author))
        )
    )


def waiting_questions(limit: int = WAITING_LISTED) -> Waiting:
    """Work whose provider's question waits for the council, longest waiting first."""
    waiting = Allocation.unanswered_question_at.is_not(None)
    total = db.session.scalar(select(func.count()).select_from(Allocation).where(waiting)) or 0
    oldest = db.session.scalars(
        select(Allocation)
        .where(waiting)
        .order_by(Allocation.unanswered_question_at, Allocation.id)
        .limit(limit)
        .options(
            selectinload(Allocation.case),
            selectinload(Allocation.provider),
            selectinload(Allocation.work_type),
        )
    )
    return Waiting(total=total, oldest=list(oldest))
