"""Saying whether a work type is advice under reg 8, and keeping its work's statutory dates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from provider_portal import audit, submissions
from provider_portal.allocations.clock import refresh_statutory_due
from provider_portal.extensions import db
from provider_portal.models import Allocation, Case, User, WorkType


def all_work_types() -> list[WorkType]:
    """Every work type, by name."""
    return list(db.session.scalars(select(WorkType).order_by(WorkType.name, WorkType.id)))


def set_advice(work_type: WorkType, is_advice: bool, *, actor: User, nonce: str) -> bool:
    """Say whether the work type is advice under reg 8; False when that is what it was already.

    Its work's statutory due dates follow at once: advice gets 6 weeks from the request for it
    (moved by its advice exceptions), other work none. The same form sent again (its nonce)
    raises Resubmitted before anything changes. The caller commits.
    """
    submissions.claim(nonce, "work_type", actor)
    if work_type.is_advice == is_advice:
        return False
    work_type.is_advice = is_advice
    allocations = db.session.scalars(
        select(Allocation)
        .where(Allocation.work_type_id == work_type.id)
        .options(selectinload(Allocation.case).selectinload(Case.exceptions))
    )
    for allocation in allocations:
        refresh_statutory_due(allocation)
    audit.record(
        "work_type_changed",
        "work_type",
        work_type.id,
        detail=f"is_advice={'yes' if is_advice else 'no'}",
        actor=actor,
    )
    return True
