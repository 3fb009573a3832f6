"""The pack's reasons for sending work back and its quality rubric summary: equal to the counts
worked out in Python from the rows, on random data and as-of dates, for every kind of scope."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    QualityCheck,
    QualityScore,
    Role,
    SendBack,
    SendBackReason,
)
from provider_portal.quality.rubric import SECTION_CODES, section_title
from provider_portal.reports.pack.cache import cached_pack
from provider_portal.reports.pack.figures import flow
from provider_portal.reports.pack.quality import (
    WHOLE_SCOPE,
    Grouping,
    mean,
    rubric_average,
    rubric_summary,
    rubric_summary_by,
    sendback_reasons,
    sendback_reasons_by,
    top_reasons,
)
from provider_portal.reports.scope import EVERYTHING, Scope
from provider_portal.reports.sql import percent
from provider_portal.timescales import add_months

START = date(2024, 1, 1)


def _random_world(make, rng: random.Random) -> list[Allocation]:
    """Two providers with a contract each (one with uncontracted work too), work sent back
    with 0 to 3 reasons on random days, and plans scored on random days."""
    providers = [make.provider(f"Provider {n}") for n in range(2)]
    contracts = [make.contract(provider=p, reference=f"CON-{i}") for i, p in enumerate(providers)]
    reasons = db.session.scalars(select(SendBackReason)).all()
    retired = reasons[2]
    retired.retired_on = date(2024, 3, 1)  # retired reasons still count where given
    work = []
    for i in range(40):
        provider_index = rng.randrange(2)
        allocated = START + timedelta(days=rng.randrange(300))
        work_type = rng.choice(["plan_writing", "ep_advice"])
        allocation = make.allocation(
            provider=providers[provider_index],
            contract=contracts[provider_index] if rng.random() < 0.8 else None,
            work_type=work_type,
            allocated_on=allocated,
            status=AllocationStatus.RETURNED,
            returned_on=allocated + timedelta(days=20),
            case=make.case(f"R{i:03d}"),
        )
        for _ in range(rng.randrange(3)):
            db.session.add(
                SendBack(
                    allocation_id=allocation.id,
                    requested_on=allocated + timedelta(days=rng.randrange(20, 200)),
                    comment="x",
                    reasons=rng.sample(reasons, rng.randrange(4)),
                )
            )
        if work_type == "plan_writing" and rng.random() < 0.7:
            db.session.add(
                QualityCheck(
                    allocation_id=allocation.id,
                    checked_on=allocated + timedelta(days=rng.randrange(20, 200)),
                    scores=[
                        QualityScore(section=code, score=rng.choice([2, 2, 2, 1, 0]))
                        for code in SECTION_CODES
                    ],
                )
            )
        work.append(allocation)
    db.session.commit()
    return work


def _in(scope: Scope, allocation: Allocation) -> bool:
    if scope.contract is not None:
        return allocation.contract_id == scope.contract.id
    if scope.provider is not None:
        return allocation.provider_id == scope.provider.id
    return True


def _between(day: date, first: date, last: date, as_of: date) -> bool:
    return first <= day < add_months(last, 1) and day <= as_of


def _scopes(work: list[Allocation]) -> list[Scope]:
    first = work[0]
    return [EVERYTHING, Scope(provider=first.provider), Scope(contract=first.contract or None)]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_tables_equal_the_rows_counted_in_python(make, seed):
    rng = random.Random(seed)
    work = _random_world(make, rng)
    sendbacks = db.session.scalars(select(SendBack)).all()
    checks = db.session.scalars(select(QualityCheck)).all()
    by_id = {a.id: a for a in work}
    for _ in range(6):
        first = date(2024, rng.randrange(1, 13), 1)
        last = date(
            2024 + (first.month + (n := rng.randrange(6)) > 12), (first.month + n - 1) % 12 + 1, 1
        )
        as_of = first + timedelta(days=rng.randrange(400))
        for scope in _scopes(work):
            counted = [
                s
                for s in sendbacks
                if _in(scope, by_id[s.allocation_id])
                and _between(s.requested_on, first, last, as_of)
            ]
            expected = Counter(r.id for s in counted for r in s.reasons)
            table = sendback_reasons(scope, first, last, as_of)
            assert table.sendbacks == len(counted)
            assert table.without_reason == sum(1 for s in counted if not s.reasons)
            assert {r.reason_id: r.sendbacks for r in table.rows} == dict(expected)
            for row in table.rows:
                assert row.share == percent(row.sendbacks, len(counted))
            assert [r.sendbacks for r in table.rows] == sorted(
                (r.sendbacks for r in table.rows), reverse=True
            )
            assert top_reasons(scope, first, last, as_of) == table.rows[:3]

            scored = [
                c
                for c in checks
                if _in(scope, by_id[c.allocation_id]) and _between(c.checked_on, first, last, as_of)
            ]
            rubric = rubric_summary(scope, first, last, as_of)
            assert rubric.checks == len(scored)
            assert [s.section for s in rubric.sections] == list(SECTION_CODES)
            for section in rubric.sections:
                values = [s.score for c in scored for s in c.scores if s.section == section.section]
                assert section.label == section_title(section.section)
                assert section.checks == len(values)
                assert (section.met, section.partly_met, section.not_met) == (
                    values.count(2),
                    values.count(1),
                    values.count(0),
                )
                assert section.average == mean(sum(values), len(values))
            every = [s.score for c in scored for s in c.scores]
            assert rubric.average == mean(sum(every), len(every))
            assert rubric_average(scope, first, last, as_of) == rubric.average


def test_grouped_by_provider_each_group_is_that_providers_scope(make):
    """The league table's use: one query for every provider, the same figures as each scope."""
    work = _random_world(make, random.Random(7))
    first, last, as_of = date(2024, 1, 1), date(2024, 12, 1), date(2024, 12, 31)
    reasons = sendback_reasons_by(Grouping(Allocation.provider_id), EVERYTHING, first, last, as_of)
    rubrics = rubric_summary_by(Grouping(Allocation.provider_id), EVERYTHING, first, last, as_of)
    for provider in {a.provider for a in work}:
        scope = Scope(provider=provider)
        assert reasons[provider.id] == sendback_reasons(scope, first, last, as_of)
        assert rubrics[provider.id] == rubric_summary(scope, first, last, as_of)
    assert set(reasons) <= {a.provider_id for a in work}
    whole = sendback_reasons_by(Grouping(), EVERYTHING, first, last, as_of)
    assert list(whole) == [WHOLE_SCOPE]


def test_nothing_recorded_gives_empty_tables(make):
    table = sendback_reasons(EVERYTHING, date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 31))
    assert (table.rows, table.sendbacks, table.without_reason) == ([], 0, 0)
    rubric = rubric_summary(EVERYTHING, date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 31))
    assert rubric.checks == 0 and rubric.average is None
    assert all(s.checks == 0 and s.average is None for s in rubric.sections)


def test_mean_rounds_half_up_to_two_places():
    assert mean(5, 3) == Decimal("1.67")
    assert mean(1, 8) == Decimal("0.13")
    assert mean(0, 0) is None


MONTHS = "start=2024-09&end=2024-10"


def _send_back(allocation: Allocation, on: date, codes: list[str]) -> None:
    reasons = db.session.scalars(select(SendBackReason).where(SendBackReason.code.in_(codes)))
    db.session.add(SendBack(allocation_id=allocation.id, requested_on=on, reasons=list(reasons)))
    db.session.commit()


@freeze_time("2024-11-05 10:00:00")
def test_the_pack_page_and_csvs_show_both_tables(make, client_for):
    provider = make.provider("Clearwater")
    contract = make.contract(provider=provider, reference="CON-Q")
    plan = make.allocation(
        provider=provider,
        contract=contract,
        work_type="plan_writing",
        status=AllocationStatus.ACCEPTED,
    )
    _send_back(plan, date(2024, 9, 10), ["outcomes_not_smart", "placement_wording"])
    _send_back(plan, date(2024, 10, 2), ["outcomes_not_smart"])
    _send_back(plan, date(2024, 10, 3), [])
    _send_back(plan, date(2024, 11, 1), ["views_missing"])  # after the months: not counted
    scores = {code: 2 for code in SECTION_CODES} | {"F": 1, "E": 0}
    db.session.add(
        QualityCheck(
            allocation_id=plan.id,
            checked_on=date(2024, 10, 20),
            scores=[QualityScore(section=c, score=s) for c, s in scores.items()],
        )
    )
    db.session.commit()
    monitor = client_for(Role.MONITOR)
    page = monitor.page(f"/reports/pack?contract=CON-Q&{MONTHS}")
    rows = [
        [" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["th", "td"])]
        for tr in page.select("#pack-reasons tbody tr")
    ]
    assert rows == [
        ["Outcomes are not SMART", "Plans", "2", "66.7%"],
        ["Placement wording", "Plans", "1", "33.3%"],
    ]
    section = page.select_one("#pack-reasons-heading").find_parent("section").get_text()
    assert "1 with no reason recorded" in " ".join(section.split())
    rubric = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in page.select("#pack-rubric tbody tr")
    }
    assert rubric["Section F: Special educational provision"] == ["1", "0", "1", "0", "1.00"]
    assert rubric["Section E: Outcomes"] == ["1", "0", "0", "1", "0.00"]
    assert rubric["Section A: Views, interests and aspirations"] == ["1", "1", "0", "0", "2.00"]

    csv = monitor.get(f"/reports/pack.csv?table=sendback_reasons&contract=CON-Q&{MONTHS}")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert lines == [
        "reason,for,retired,sendbacks_giving_it,share_of_sendbacks_percent",
        "Outcomes are not SMART,plan,no,2,66.7",
        "Placement wording,plan,no,1,33.3",
        "No reason recorded,,,1,",
        "All send-backs,,,3,",
    ]
    csv = monitor.get(f"/reports/pack.csv?table=rubric&contract=CON-Q&{MONTHS}")
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0] == "section,checks,met,partly_met,not_met,average_score_out_of_2"
    assert lines[6] == "Section F: Special educational provision,1,0,1,0,1"
    assert lines[-1] == "All sections,1,,,,1.75"  # 21 / 12


@freeze_time("2024-11-05 10:00:00")
def test_a_new_send_back_or_check_is_never_served_from_the_cache(make):
    plan = make.allocation(work_type="plan_writing", status=AllocationStatus.ACCEPTED)
    first, last, as_of = date(2024, 9, 1), date(2024, 10, 1), date(2024, 11, 5)
    assert cached_pack(EVERYTHING, first, last, as_of).sendback_reasons.sendbacks == 0
    _send_back(plan, date(2024, 9, 10), ["outcomes_not_smart"])
    pack = cached_pack(EVERYTHING, first, last, as_of)
    assert pack.sendback_reasons.sendbacks == 1
    assert pack.rubric.checks == 0
    db.session.add(
        QualityCheck(
            allocation_id=plan.id,
            checked_on=date(2024, 10, 20),
            scores=[QualityScore(section=c, score=1) for c in SECTION_CODES],
        )
    )
    db.session.commit()
    assert cached_pack(EVERYTHING, first, last, as_of).rubric.average == Decimal("1.00")
    reason = db.session.scalar(
        select(SendBackReason).where(SendBackReason.code == "outcomes_not_smart")
    )
    reason.label = "Outcomes are not SMARt"  # the same length, other words
    db.session.commit()
    rows = cached_pack(EVERYTHING, first, last, as_of).sendback_reasons.rows
    assert [row.label for row in rows] == ["Outcomes are not SMARt"]
    reason.retired_on = date(2024, 11, 1)
    db.session.commit()
    assert cached_pack(EVERYTHING, first, last, as_of).sendback_reasons.rows[0].retired


def test_rework_counts_work_sent_back_by_the_date_though_sent_back_again_after_it(make):
    """The allocation keeps only its latest request for amendment; the send-backs keep every
    one, so work sent back in March and again in May counts as sent back as of April."""
    returned = make.allocation(
        allocated_on=date(2025, 2, 3),
        returned_on=date(2025, 3, 3),
        status=AllocationStatus.AMENDMENT_REQUESTED,
        amendment_count=2,
        amendment_requested_on=date(2025, 5, 12),
    )
    _send_back(returned, date(2025, 3, 10), [])
    _send_back(returned, date(2025, 5, 12), [])
    # Sent back only after the date: not yet rework on it.
    later = make.allocation(
        allocated_on=date(2025, 2, 3),
        returned_on=date(2025, 3, 4),
        status=AllocationStatus.AMENDMENT_REQUESTED,
        amendment_count=1,
        amendment_requested_on=date(2025, 4, 20),
    )
    _send_back(later, date(2025, 4, 20), [])

    rows, total = flow(EVERYTHING, date(2025, 3, 1), date(2025, 3, 1), date(2025, 4, 1))

    assert (rows[0].returned, rows[0].sent_back) == (2, 1)
    assert total.rework_percent == Decimal("50.0")
    rows, _ = flow(EVERYTHING, date(2025, 3, 1), date(2025, 3, 1), date(2025, 5, 31))
    assert rows[0].sent_back == 2
