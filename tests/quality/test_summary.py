"""The quality checks counted by day (QualityScoreDay): kept with every check the ORM writes or
deletes, refused an edit, written again by rebuild(), compared with its rows by `flask report
check-summaries`, and read by the pack's rubric with the same figures as the scores give."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    QualityCheck,
    QualityScore,
    QualityScoreDay,
)
from provider_portal.models.quality import CHECKS_ROW
from provider_portal.models.work import NO_CONTRACT
from provider_portal.quality.rubric import SECTION_CODES
from provider_portal.quality.services import record_quality_check
from provider_portal.quality.summary import SUMMARY, rebuild
from provider_portal.reports.pack.quality import Grouping, rubric_summary, rubric_summary_by
from provider_portal.reports.scope import EVERYTHING, Scope
from provider_portal.summaries import differences
from provider_portal.timescales import add_months

START = date(2024, 1, 1)


def _work(make, rng: random.Random, n: int):
    providers = [make.provider(f"Provider {i}") for i in range(2)]
    contracts = [make.contract(provider=p, reference=f"CON-{i}") for i, p in enumerate(providers)]
    work = []
    for i in range(n):
        which = rng.randrange(2)
        allocated = START + timedelta(days=rng.randrange(300))
        work.append(
            make.allocation(
                provider=providers[which],
                contract=contracts[which] if rng.random() < 0.7 else None,
                work_type="plan_writing",
                allocated_on=allocated,
                status=AllocationStatus.RETURNED,
                returned_on=allocated + timedelta(days=20),
                case=make.case(f"Q{i:03d}"),
            )
        )
    return work


def _scores(rng: random.Random) -> dict[str, int]:
    return {code: rng.choice([2, 2, 1, 0]) for code in SECTION_CODES}


def _stored() -> dict[tuple, int]:
    day = QualityScoreDay
    return {
        (row.checked_on, row.provider_id, row.contract_id, row.section, row.score): row.count
        for row in db.session.scalars(select(day))
        if row.count
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_follow_random_checks_added_and_deleted_and_give_the_scores_figures(make, seed):
    """Checks recorded by the service and by the ORM directly, several in one flush, some
    deleted later: the table always equals the counts of the rows, and the rubric read from
    it equals the rubric read from every score, for random scopes, months and dates."""
    rng = random.Random(seed)
    work = _work(make, rng, 30)
    for allocation in work[:12]:
        day = allocation.returned_on + timedelta(days=rng.randrange(1, 200))
        record_quality_check(allocation, _scores(rng), actor=None, checked_on=day)
        if rng.random() < 0.5:
            db.session.commit()
    for allocation in work[12:24]:  # built as the tests and the demo's ORM rows do
        scores = _scores(rng)
        db.session.add(
            QualityCheck(
                allocation_id=allocation.id,
                checked_on=allocation.returned_on + timedelta(days=rng.randrange(1, 200)),
                scores=[QualityScore(section=code, score=scores[code]) for code in SECTION_CODES],
            )
        )
    db.session.commit()
    assert differences(SUMMARY) == []
    checks = db.session.scalars(select(QualityCheck)).all()
    for check in rng.sample(checks, 5):
        db.session.delete(check)
    db.session.commit()
    assert differences(SUMMARY) == []
    assert len(db.session.scalars(select(QualityCheck)).all()) == 19

    scopes = [EVERYTHING, Scope(provider=work[0].provider), Scope(contract=work[0].contract)]
    scopes += [Scope(contract=a.contract) for a in work if a.contract is not None][:1]
    for _ in range(8):
        first = START + timedelta(days=31 * rng.randrange(12))
        last = add_months(first.replace(day=1), rng.randrange(8))
        as_of = first + timedelta(days=rng.randrange(450))
        for scope in scopes:
            read = rubric_summary(scope, first, last, as_of)
            direct = rubric_summary_by(Grouping(), scope, first, last, as_of)
            assert read == (direct[0] if direct else read)
            if not direct:
                assert read.checks == 0 and read.average is None


def test_a_check_counts_once_per_section_scored_and_once_as_a_check(make):
    allocation = _work(make, random.Random(1), 1)[0]
    scores = dict.fromkeys(SECTION_CODES, 2) | {"A": 0, "B": 1}
    record_quality_check(allocation, scores, actor=None, checked_on=date(2024, 12, 2))
    db.session.commit()
    contract = allocation.contract_id if allocation.contract_id is not None else NO_CONTRACT
    key = (date(2024, 12, 2), allocation.provider_id, contract)
    assert _stored() == {
        (*key, CHECKS_ROW, 0): 1,
        (*key, "A", 0): 1,
        (*key, "B", 1): 1,
        **{(*key, code, 2): 1 for code in SECTION_CODES if code not in {"A", "B"}},
    }


def test_a_check_or_score_changed_is_refused_and_nothing_is_written(make):
    allocation = _work(make, random.Random(2), 1)[0]
    check = record_quality_check(
        allocation, dict.fromkeys(SECTION_CODES, 2), actor=None, checked_on=date(2024, 12, 2)
    )
    db.session.commit()
    check.checked_on = date(2024, 12, 3)
    with pytest.raises(ValueError, match="never changed"):
        db.session.commit()
    db.session.rollback()
    check.scores[0].score = 0
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(QualityCheck, check.id).checked_on == date(2024, 12, 2)
    assert differences(SUMMARY) == []


def _written_without_the_orm(allocation) -> None:
    """A check and its scores put in with SQL statements, as the demo generator does."""
    check_id = db.session.execute(
        insert(QualityCheck.__table__)
        .values(
            allocation_id=allocation.id,
            checked_on=date(2024, 11, 5),
            created_at=datetime(2024, 11, 5, 12, tzinfo=UTC),
        )
        .returning(QualityCheck.__table__.c.id)
    ).scalar_one()
    db.session.execute(
        insert(QualityScore.__table__),
        [{"quality_check_id": check_id, "section": code, "score": 1} for code in SECTION_CODES],
    )
    db.session.commit()


def test_check_summaries_finds_rows_written_around_the_orm_and_rebuild_writes_them(app, make):
    first, second = _work(make, random.Random(3), 2)
    record_quality_check(
        first, dict.fromkeys(SECTION_CODES, 2), actor=None, checked_on=date(2024, 11, 4)
    )
    db.session.commit()
    runner = app.test_cli_runner()
    agreed = runner.invoke(args=["report", "check-summaries"])
    assert agreed.exit_code == 0, agreed.output
    assert agreed.output == (
        "allocation_day: agrees with its rows\ncohort_day: agrees with its rows\n"
        "quality_score_day: agrees with its rows\n"
    )

    _written_without_the_orm(second)
    scope, months = EVERYTHING, (date(2024, 11, 1), date(2024, 11, 1), date(2024, 11, 30))
    assert rubric_summary(scope, *months).checks == 1  # read from the counts: not there yet
    found = runner.invoke(args=["report", "check-summaries"])
    assert found.exit_code == 1
    assert "quality_score_day: 13 counts differ from its rows:" in found.output
    contract = second.contract_id if second.contract_id is not None else NO_CONTRACT
    assert (
        f"  2024-11-05, {second.provider_id}, {contract}, A, 1: table 0, rows 1\n" in found.output
    )
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "summary_rebuilt")
    ).all()

    rebuilt = runner.invoke(args=["report", "check-summaries", "--rebuild"])
    assert rebuilt.exit_code == 1  # it differed when asked
    assert "quality_score_day: written again from its rows" in rebuilt.output
    db.session.expire_all()
    assert differences(SUMMARY) == []
    assert rubric_summary(scope, *months).checks == 2
    assert [
        e.detail
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "summary_rebuilt")
        )
    ] == ["quality_score_day differences=13"]
    again = runner.invoke(args=["report", "check-summaries"])
    assert again.exit_code == 0, again.output


def test_rebuild_counts_everything_from_the_rows(make):
    work = _work(make, random.Random(4), 3)
    for n, allocation in enumerate(work):
        record_quality_check(
            allocation,
            dict.fromkeys(SECTION_CODES, n % 3),
            actor=None,
            checked_on=date(2024, 10, n + 1),
        )
    db.session.commit()
    before = _stored()
    db.session.execute(QualityScoreDay.__table__.delete())
    db.session.commit()
    assert len(differences(SUMMARY)) == len(before)
    rebuild()
    db.session.commit()
    assert _stored() == before
