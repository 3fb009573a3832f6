"""The demo's send-back reasons and rubric scores: every send-back gives one to three reasons of
its kind of work, accepted plan writing under a contract is scored (and counted by day), and
providers differ."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    QualityCheck,
    SendBack,
    WorkType,
)
from provider_portal.quality.rubric import SECTION_CODES
from provider_portal.quality.summary import SUMMARY as QUALITY_COUNTS
from provider_portal.summaries import differences
from tests.test_demo import _seed
from tests.test_demo_generate import _generate


def _check_rows() -> tuple[list[SendBack], list[QualityCheck]]:
    sendbacks = db.session.scalars(select(SendBack)).all()
    checks = db.session.scalars(select(QualityCheck)).all()
    sent_back = db.session.scalars(select(Allocation).where(Allocation.amendment_count > 0)).all()
    assert sendbacks and len(sendbacks) == sum(a.amendment_count for a in sent_back)
    for sendback in sendbacks:
        kind = "advice" if sendback.allocation.work_type.is_advice else "plan"
        assert 1 <= len(sendback.reasons) <= 3
        assert {reason.applies_to for reason in sendback.reasons} == {kind}
        assert sendback.requested_on == sendback.allocation.amendment_requested_on
    scored = db.session.scalars(
        select(Allocation)
        .join(WorkType)
        .where(
            Allocation.status == AllocationStatus.ACCEPTED,
            WorkType.is_advice.is_(False),
            Allocation.contract_id.is_not(None),
        )
    ).all()
    assert checks and {c.allocation_id for c in checks} == {a.id for a in scored}
    for check in checks:
        assert [s.section for s in check.scores] == sorted(SECTION_CODES)
        assert check.checked_on == check.allocation.accepted_on
    scores = Counter(s.score for c in checks for s in c.scores)
    assert scores[2] > scores[1] > 0 and scores[2] > scores[0]  # mostly met
    # Counted by day as they were written: by the ORM (seed) or after the SQL rows (generate).
    assert differences(QUALITY_COUNTS) == []
    return sendbacks, checks


@freeze_time("2024-11-28 10:00:00")
def test_seed_gives_reasons_and_rubric_scores(app: Flask) -> None:
    _seed(app)
    _check_rows()


@freeze_time("2024-11-28 10:00:00")
def test_generate_gives_them_and_providers_differ(app: Flask) -> None:
    _generate(app, cases=600, seed=3)
    sendbacks, checks = _check_rows()
    averages: dict[int, list[int]] = {}
    for check in checks:
        averages.setdefault(check.allocation.provider_id, []).extend(s.score for s in check.scores)
    means = {p: sum(v) / len(v) for p, v in averages.items() if len(v) >= 24}
    assert len(means) >= 2 and max(means.values()) - min(means.values()) > 0.05
    tops: dict[int, Counter[str]] = {}
    for sendback in sendbacks:
        counter = tops.setdefault(sendback.allocation.provider_id, Counter())
        counter.update(reason.code for reason in sendback.reasons)
    favourites = {c.most_common(1)[0][0] for c in tops.values() if sum(c.values()) >= 10}
    assert len(favourites) >= 2
