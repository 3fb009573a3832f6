"""Believable send-back reasons and rubric scores for demo work.

Each provider has its own habits, so the league table tells them apart: which reasons its work
is sent back for most, and how often its plans meet each section of the rubric (mostly met,
some partly, a few not met). Both are drawn from a random generator of their own, so adding
them leaves the rest of the demo's work exactly as it was.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, SendBackReason, WorkType
from provider_portal.quality.rubric import MET, NOT_MET, PARTLY_MET, SECTION_CODES

Row = dict[str, Any]
MOST_REASONS = 3


def _habits(provider_id: int) -> random.Random:
    """The same provider always has the same habits."""
    return random.Random(f"provider-quality:{provider_id}")


def reason_weights(provider_id: int, reason_ids: Sequence[int]) -> list[float]:
    """How likely this provider's work is to be sent back for each reason."""
    habits = _habits(provider_id)
    return [habits.random() ** 2 + 0.05 for _ in reason_ids]


def pick_reasons(rng: random.Random, provider_id: int, reason_ids: Sequence[int]) -> list[int]:
    """One to three different reasons, the provider's usual ones more often."""
    pool = list(reason_ids)
    weights = reason_weights(provider_id, pool)
    chosen: list[int] = []
    for _ in range(min(rng.choice((1, 1, 2, 2, 3)), len(pool))):
        index = rng.choices(range(len(pool)), weights=weights)[0]
        chosen.append(pool.pop(index))
        weights.pop(index)
    return chosen


def rubric_scores(rng: random.Random, provider_id: int) -> dict[str, int]:
    """A score for every section: mostly met, some partly met, a few not met, by provider."""
    habits = _habits(provider_id)
    met = habits.uniform(0.55, 0.9)
    not_met = (1 - met) * habits.uniform(0.1, 0.4)
    scores = {}
    for code in SECTION_CODES:
        draw = rng.random()
        scores[code] = MET if draw < met else NOT_MET if draw < met + not_met else PARTLY_MET
    return scores


def current_reason_ids() -> dict[str, list[int]]:
    """The reasons offered now, for plans and for advice."""
    found: dict[str, list[int]] = {"plan": [], "advice": []}
    for reason_id, applies_to in db.session.execute(
        select(SendBackReason.id, SendBackReason.applies_to)
        .where(SendBackReason.retired_on.is_(None))
        .order_by(SendBackReason.display_order, SendBackReason.id)
    ):
        found.setdefault(applies_to, []).append(reason_id)
    return found


class QualityRows:
    """Bulk rows for `demo generate`: a send-back (with its reasons) for work sent back, and a
    quality check (with its scores) for plan writing accepted under a contract."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.reasons = current_reason_ids()
        self.advice_types = set(
            db.session.scalars(select(WorkType.id).where(WorkType.is_advice.is_(True)))
        )

    def add(
        self,
        allocations: Sequence[Row],
        new_id: Callable[[str], int],
        add: Callable[[str, Row], None],
    ) -> None:
        for row in allocations:
            advice = row["work_type_id"] in self.advice_types
            if row["amendment_count"]:
                self._sendback(row, advice, new_id, add)
            if row["status"] is AllocationStatus.ACCEPTED and not advice and row["contract_id"]:
                self._check(row, new_id, add)

    def _sendback(
        self, row: Row, advice: bool, new_id: Callable[[str], int], add: Callable[[str, Row], None]
    ) -> None:
        sendback_id = new_id("sendback")
        asked = row["amendment_requested_on"]
        add(
            "sendback",
            {
                "id": sendback_id,
                "allocation_id": row["id"],
                "requested_on": asked,
                "comment": row["amendment_comment"],
                "requested_by_id": None,
                "created_at": datetime.combine(asked, time(11), tzinfo=UTC),
            },
        )
        pool = self.reasons["advice" if advice else "plan"]
        for reason_id in pick_reasons(self.rng, row["provider_id"], pool):
            add("sendback_reason_link", {"sendback_id": sendback_id, "reason_id": reason_id})

    def _check(
        self, row: Row, new_id: Callable[[str], int], add: Callable[[str, Row], None]
    ) -> None:
        check_id = new_id("quality_check")
        accepted = row["accepted_on"]
        add(
            "quality_check",
            {
                "id": check_id,
                "allocation_id": row["id"],
                "checked_on": accepted,
                "checked_by_id": None,
                "created_at": datetime.combine(accepted, time(15), tzinfo=UTC),
            },
        )
        for section, score in rubric_scores(self.rng, row["provider_id"]).items():
            add("quality_score", {"quality_check_id": check_id, "section": section, "score": score})
