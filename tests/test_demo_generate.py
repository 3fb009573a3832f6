"""`flask demo generate` (a large synthetic dataset in bulk) and `flask demo benchmark`."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, or_, select

from provider_portal.benchmark import BENCHMARK_EMAIL
from provider_portal.demo.generate import EXCEPTION_REASONS
from provider_portal.extensions import db
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    AuditEvent,
    Case,
    CaseException,
    Document,
    Provider,
    User,
    WorkType,
)
from provider_portal.timescales import FINAL_PLAN_DAYS, parse_year_group, reception_year
from tests.factories import Factory

TODAY = date(2025, 11, 20)
FROZEN = "2025-11-20 10:00:00"


def _count(model: type, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _invoke(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def _generate(app: Flask, cases: int = 300, seed: int = 7) -> str:
    return _invoke(app, "generate", "--cases", str(cases), "--seed", str(seed))


@freeze_time(FROZEN)
def test_generate_builds_a_consistent_backlog(app: Flask) -> None:
    output = _generate(app)
    assert "Generated 300 cases" in output

    assert _count(Case) == 300
    assert _count(Provider) == 6
    assert 300 <= _count(Allocation) <= 600
    refs = list(db.session.scalars(select(Case.case_ref).order_by(Case.id)))
    assert refs[0] == "GEN0000001" and refs[-1] == "GEN0000300"

    # Requests over the last three years; most still open, a share closed, mostly late.
    oldest = db.session.scalar(select(func.min(Case.request_received_on)))
    assert oldest is not None and oldest >= TODAY - timedelta(days=3 * 366)
    closed = _count(Case, Case.final_plan_issued_on.is_not(None))
    assert 0.2 * 300 <= closed < 0.5 * 300
    on_time = [
        (final - received).days <= FINAL_PLAN_DAYS
        for received, final in db.session.execute(
            select(Case.request_received_on, Case.final_plan_issued_on).where(
                Case.final_plan_issued_on.is_not(None)
            )
        )
    ]
    assert 0 < sum(on_time) < 0.5 * len(on_time)
    assert 0.03 * 300 <= _count(Case, Case.looked_after) <= 0.14 * 300

    # The statutory dates run in order and never after today.
    assert _count(Case, Case.decision_to_assess_on.is_not(None)) >= 0.8 * 300
    assert _count(Case, Case.decision_to_assess_on < Case.request_received_on) == 0
    assert _count(Case, Case.draft_plan_issued_on < Case.decision_to_assess_on) == 0
    assert _count(Case, Case.final_plan_issued_on < Case.draft_plan_issued_on) == 0
    assert (
        _count(Case, Case.final_plan_issued_on.is_not(None), Case.draft_plan_issued_on.is_(None))
        == 0
    )
    assert _count(Case, Case.final_plan_issued_on > TODAY) == 0
    for received, decided in db.session.execute(
        select(Case.request_received_on, Case.decision_to_assess_on).where(
            Case.decision_to_assess_on.is_not(None)
        )
    ):
        assert 28 <= (decided - received).days <= 70

    # A few close without a plan, each after its last date and never after today; a refused
    # request has no work.
    closings = dict(
        db.session.execute(
            select(Case.closed_reason, func.count()).group_by(Case.closed_reason)
        ).all()
    )
    assert set(closings) == {
        None,
        "refused_to_assess",
        "withdrawn_by_family",
        "moved_away",
        "ceased",
        "not_issuing",
    }
    assert sum(n for reason, n in closings.items() if reason) < 0.1 * 300
    assert _count(Case, Case.closed_on.is_not(None), Case.final_plan_issued_on.is_not(None)) == 0
    assert _count(Case, Case.closed_on > TODAY) == 0
    assert _count(Case, Case.closed_on < Case.draft_plan_issued_on) == 0
    assert _count(Case, Case.closed_on < Case.decision_to_assess_on) == 0
    assert (
        _count(Case, Case.assessment_decision.is_(None), Case.decision_to_assess_on.is_not(None))
        == 0
    )
    refused = select(Case.id).where(Case.closed_reason == "refused_to_assess")
    assert _count(Allocation, Allocation.case_id.in_(refused)) == 0

    # Year groups as schools write them, and the reception year follows from them.
    for year_group, born, recorded in db.session.execute(
        select(Case.year_group, Case.date_of_birth, Case.reception_year)
    ):
        assert recorded == reception_year(parse_year_group(year_group), born, TODAY)
    written = set(db.session.scalars(select(Case.year_group).where(Case.year_group.is_not(None))))
    assert any(re.fullmatch(r"Year \d+", value) for value in written)
    assert any(not value.startswith("Year") for value in written)

    exceptions = list(db.session.scalars(select(CaseException)))
    assert 1 <= len(exceptions) <= 0.08 * 300
    assert {e.applies_to for e in exceptions} == {"final_plan"}
    assert {e.reason for e in exceptions} <= set(EXCEPTION_REASONS)

    statuses = set(db.session.scalars(select(Allocation.status)))
    assert statuses == set(AllocationStatus) - {AllocationStatus.DECLINED}
    codes = dict(
        db.session.execute(
            select(WorkType.code, func.count(Allocation.id))
            .join(Allocation)
            .group_by(WorkType.code)
        ).all()
    )
    assert codes["ep_advice"] > codes["plan_writing"] > 0
    assert set(codes) - {"ep_advice", "plan_writing"}, "some other advice too"

    # Dates consistent, and at most one open allocation per case and type of work.
    assert _count(Allocation, Allocation.returned_on < Allocation.allocated_on) == 0
    assert _count(Allocation, Allocation.accepted_on < Allocation.returned_on) == 0
    assert (
        _count(Allocation, Allocation.accepted_on.is_not(None), Allocation.returned_on.is_(None))
        == 0
    )
    assert _count(Allocation, Allocation.amendment_requested_on < Allocation.returned_on) == 0
    assert _count(Allocation, Allocation.withdrawn_on < Allocation.allocated_on) == 0
    assert (
        _count(
            Allocation,
            or_(
                Allocation.allocated_on > TODAY,
                Allocation.returned_on > TODAY,
                Allocation.accepted_on > TODAY,
            ),
        )
        == 0
    )
    for allocated_on, due_on in db.session.execute(
        select(Allocation.allocated_on, Allocation.due_on)
    ):
        assert due_on == allocated_on + timedelta(days=42)
    doubled = db.session.execute(
        select(Allocation.case_id, Allocation.work_type_id)
        .where(Allocation.status.in_(OPEN_STATUSES))
        .group_by(Allocation.case_id, Allocation.work_type_id)
        .having(func.count() > 1)
    ).all()
    assert doubled == []
    # A case's advice and plan writing were accepted by the time its draft plan went out.
    late_work = (
        select(func.count())
        .select_from(Allocation)
        .join(Case)
        .where(Allocation.accepted_on > Case.draft_plan_issued_on)
    )
    assert db.session.scalar(late_work) == 0

    # Document metadata on work that came back, and only there.
    assert _count(Document) > 0
    on_other = (
        select(func.count())
        .select_from(Document)
        .join(Allocation)
        .where(
            Allocation.status.not_in(
                [
                    AllocationStatus.RETURNED,
                    AllocationStatus.ACCEPTED,
                    AllocationStatus.AMENDMENT_REQUESTED,
                ]
            )
        )
    )
    assert db.session.scalar(on_other) == 0
    without = (
        select(func.count())
        .select_from(Allocation)
        .where(Allocation.returned_on.is_not(None), ~Allocation.documents.any())
    )
    assert db.session.scalar(without) == 0
    for stored_name, sha256, content_type in db.session.execute(
        select(Document.stored_name, Document.sha256, Document.content_type)
    ):
        assert re.fullmatch(r"[0-9a-f]{32}", stored_name)
        assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        assert content_type == "application/pdf"

    audit = list(db.session.scalars(select(AuditEvent)))
    assert [(event.action, event.detail) for event in audit] == [("demo_generated", "cases=300")]


def _case_rows(first_ref: str, last_ref: str) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                Case.first_name,
                Case.last_name,
                Case.date_of_birth,
                Case.year_group,
                Case.reception_year,
                Case.setting,
                Case.request_received_on,
                Case.looked_after,
                Case.decision_to_assess_on,
                Case.draft_plan_issued_on,
                Case.final_plan_issued_on,
            )
            .where(Case.case_ref.between(first_ref, last_ref))
            .order_by(Case.case_ref)
        )
    ]


def _allocation_rows(first_ref: str, last_ref: str) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                Allocation.work_type_id,
                Allocation.status,
                Allocation.allocated_on,
                Allocation.returned_on,
                Allocation.accepted_on,
                Allocation.amendment_requested_on,
                Allocation.withdrawn_on,
            )
            .join(Case)
            .where(Case.case_ref.between(first_ref, last_ref))
            .order_by(Case.case_ref, Allocation.id)
        )
    ]


@freeze_time(FROZEN)
def test_generate_again_adds_more_without_clashes_and_the_seed_repeats(app: Flask) -> None:
    _generate(app)
    _generate(app)

    assert _count(Case) == 600
    assert _count(Provider) == 12
    assert _count(Case, Case.case_ref.like("GEN%")) == 600
    assert db.session.scalar(select(func.max(Case.case_ref))) == "GEN0000600"
    assert _count(AuditEvent, AuditEvent.action == "demo_generated") == 2
    # Same seed, same day: the second batch is the first again under new references and ids.
    assert _case_rows("GEN0000001", "GEN0000300") == _case_rows("GEN0000301", "GEN0000600")
    assert _allocation_rows("GEN0000001", "GEN0000300") == _allocation_rows(
        "GEN0000301", "GEN0000600"
    )
    names = list(db.session.scalars(select(Provider.name)))
    assert len(set(names)) == len(names)
    stored = db.session.scalar(select(func.count(func.distinct(Document.stored_name))))
    assert stored == _count(Document)


@freeze_time("2024-11-28 10:00:00")
def test_generate_adds_to_the_demo_and_the_app_can_still_insert(app: Flask, make: Factory) -> None:
    _invoke(app, "seed")
    before = _count(Case), _count(Allocation), _count(Document)
    _generate(app, cases=100, seed=3)
    assert _count(Case) == before[0] + 100
    assert _count(Allocation) > before[1]
    assert _count(Document) > before[2]
    # Explicit ids must not trip the next ordinary insert (PostgreSQL's sequences).
    case = make.case()
    provider = make.provider()
    assert case.id > db.session.scalar(select(func.max(Case.id)).where(Case.id != case.id))
    assert provider.id > 0
    assert _count(Case, Case.case_ref.like("GEN%")) == 100


def test_generate_refuses_nonsense(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--cases", "0"])
    assert result.exit_code != 0
    assert _count(Case) == 0


@pytest.mark.parametrize("repeat", [1])
def test_benchmark_times_the_pages(app: Flask, repeat: int) -> None:
    _generate(app, cases=120)
    output = _invoke(app, "benchmark", "--repeat", str(repeat), "--import-rows", "40")
    lines = output.splitlines()
    # Then the two imports, into a scratch database of their own.
    assert any(
        line.startswith("flask cases import ") and "Imported 40 cases" in line for line in lines
    )
    assert any(
        line.startswith("flask allocations import ") and "Imported 40 allocations" in line
        for line in lines
    ), output
    assert any(line.startswith("/cases ") and " 200 " in line for line in lines), output
    assert any(line.startswith("/allocations/") for line in lines), output
    assert "/reports/monthly?start=" in output
    # Each of the pack's charts on its own, and the page with all three as a browser loads it.
    for chart in ("allocated-returned", "backlog", "spend"):
        assert any(
            line.startswith(f"/reports/pack/chart/{chart}.svg?") and " 200 " in line
            for line in lines
        ), output
    assert any("and its 3 charts" in line and " 200 " in line for line in lines), output
    assert "flask report monthly" in output
    assert "error" not in output
    # The benchmark account exists only to sign in; it is switched off after the run.
    account = db.session.scalar(select(User).where(User.email == BENCHMARK_EMAIL))
    assert account is not None and not account.active
