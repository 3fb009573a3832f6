"""Send-back reasons offered for a piece of work, and the quality check recorded on acceptance.

The functions here never commit: acceptance and its check, or a send-back and its reasons,
are saved by the caller in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from provider_portal import audit
from provider_portal.errors import QualityError
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    QualityCheck,
    QualityScore,
    SendBack,
    SendBackReason,
    User,
    WorkType,
)
from provider_portal.quality.rubric import SCORE_LABELS, SECTION_CODES

SELECT_A_REASON = "Select at least one reason"
ONLY_LISTED_REASONS = "Select only the reasons listed"
SCORE_EVERY_SECTION = "Score every section of the rubric"


def reasons_apply_to(work_type: WorkType) -> str:
    """Which list of reasons a work type's send-backs use: 'advice' or 'plan'."""
    return "advice" if work_type.is_advice else "plan"


def current_reasons(applies_to: str) -> list[SendBackReason]:
    """The reasons offered now for plans or for advice (not retired), in display order."""
    return list(
        db.session.scalars(
            select(SendBackReason)
            .where(SendBackReason.applies_to == applies_to, SendBackReason.retired_on.is_(None))
            .order_by(SendBackReason.display_order, SendBackReason.id)
        )
    )


def chosen_reasons(allocation: Allocation, reason_ids: Iterable[int]) -> list[SendBackReason]:
    """The reasons ticked for sending this work back: at least one, each a current reason
    for its work type (a retired one, or one for the other kind of work, is refused)."""
    wanted = set(reason_ids)
    if not wanted:
        raise QualityError(SELECT_A_REASON, field="reasons")
    offered = {
        reason.id: reason for reason in current_reasons(reasons_apply_to(allocation.work_type))
    }
    if not wanted <= offered.keys():
        raise QualityError(ONLY_LISTED_REASONS, field="reasons")
    return [reason for reason_id, reason in offered.items() if reason_id in wanted]


def sendbacks_for(allocation_id: int) -> list[SendBack]:
    """Every request to amend the work, oldest first, with its reasons."""
    return list(
        db.session.scalars(
            select(SendBack)
            .where(SendBack.allocation_id == allocation_id)
            .options(selectinload(SendBack.reasons))
            .order_by(SendBack.requested_on, SendBack.id)
        )
    )


def latest_sendback(allocation_id: int) -> SendBack | None:
    """The latest request to amend the work, with its reasons, or None."""
    return db.session.scalar(
        select(SendBack)
        .where(SendBack.allocation_id == allocation_id)
        .options(selectinload(SendBack.reasons))
        .order_by(SendBack.requested_on.desc(), SendBack.id.desc())
        .limit(1)
    )


def needs_quality_check(allocation: Allocation) -> bool:
    """Whether accepting this work asks for the rubric: plan writing (not advice) under a
    contract that has the quality check on."""
    contract = allocation.contract
    return not allocation.work_type.is_advice and contract is not None and contract.quality_check


def quality_check_for(allocation_id: int) -> QualityCheck | None:
    """The rubric scored when the work was accepted, with its scores, or None."""
    return db.session.scalar(
        select(QualityCheck)
        .where(QualityCheck.allocation_id == allocation_id)
        .options(selectinload(QualityCheck.scores))
    )


def record_quality_check(
    allocation: Allocation, scores: Mapping[str, int], *, actor: User | None, checked_on: date
) -> QualityCheck:
    """Record the rubric's scores for the work: every section scored, each 0, 1 or 2."""
    if set(scores) != set(SECTION_CODES) or any(
        score not in SCORE_LABELS for score in scores.values()
    ):
        raise QualityError(SCORE_EVERY_SECTION)
    if quality_check_for(allocation.id) is not None:
        raise QualityError("The quality of this work has already been scored")
    check = QualityCheck(
        allocation_id=allocation.id,
        checked_on=checked_on,
        checked_by_id=actor.id if actor else None,
        scores=[QualityScore(section=code, score=scores[code]) for code in SECTION_CODES],
    )
    db.session.add(check)
    audit.record(
        "quality_checked",
        "allocation",
        allocation.id,
        detail="scores=" + ",".join(f"{code}:{scores[code]}" for code in SECTION_CODES),
        actor=actor,
        case_id=allocation.case_id,
        provider_id=allocation.provider_id,
    )
    return check
