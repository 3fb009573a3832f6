"""`flask demo seed`: a believable demo, relative to today, that is safe to run twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from freezegun import freeze_time
from pypdf import PdfReader
from sqlalchemy import func, select

from provider_portal.auth.services import authenticate
from provider_portal.cases.outcomes.services import work_to_withdraw
from provider_portal.demo.seed import DEFAULT_PASSWORD, MONTHLY_ALLOCATIONS
from provider_portal.documents import checked_file
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationPaper,
    AllocationStatus,
    AuditEvent,
    Case,
    Provider,
    Role,
    SendBack,
    User,
)
from provider_portal.reports.monthly.queries import monthly_report
from provider_portal.reports.providers.figures import league_table
from provider_portal.store_check import check_store
from tests.factories import Factory

TODAY = date(2024, 11, 28)  # just before the board paper's 2 December report


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _snapshot() -> dict[str, int]:
    return {
        model.__name__: _count(model) for model in (Case, Provider, User, Allocation, AuditEvent)
    }


def _seed(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


@freeze_time("2024-11-28 10:00:00")
def test_seed_builds_a_believable_demo_and_is_idempotent(app: Flask) -> None:
    output = _seed(app)

    snapshot = _snapshot()
    assert snapshot["Case"] >= 600
    assert snapshot["Provider"] == 2
    # Every case is out of timescale: received 20 weeks or more before today.
    newest_request = db.session.scalar(select(func.max(Case.request_received_on)))
    assert newest_request is not None and newest_request <= TODAY - timedelta(days=140)
    born_after_request = db.session.scalar(
        select(func.count()).where(Case.date_of_birth >= Case.request_received_on)
    )
    assert born_after_request == 0
    looked_after = db.session.scalar(select(func.count()).where(Case.looked_after))
    assert 0.05 * snapshot["Case"] <= (looked_after or 0) <= 0.11 * snapshot["Case"]

    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    for email in ("admin@demo.example", "manager@demo.example", "writer@clearwater.example"):
        assert email in output
        assert authenticate(email, DEFAULT_PASSWORD) is not None
    assert DEFAULT_PASSWORD in output

    # August to November 2024, as the board saw it: older months nearly back, the latest barely.
    report = monthly_report(date(2024, 8, 1), date(2024, 11, 1), TODAY)
    assert [row.month for row in report.rows] == [date(2024, m, 1) for m in (8, 9, 10, 11)]
    assert [row.allocated for row in report.rows] == list(MONTHLY_ALLOCATIONS)
    august, november = report.rows[0], report.rows[-1]
    assert august.returned >= 0.9 * august.allocated
    assert november.returned <= 0.15 * november.allocated
    latest_allocated = db.session.scalar(select(func.max(Allocation.allocated_on)))
    latest_returned = db.session.scalar(select(func.max(Allocation.returned_on)))
    assert latest_allocated is not None and latest_allocated <= TODAY
    assert latest_returned is not None and latest_returned <= TODAY
    statuses = set(db.session.scalars(select(Allocation.status)))
    assert statuses == set(AllocationStatus) - {AllocationStatus.DECLINED}
    # Each request for amendment is dated the day it happened, as the figures as of a date read.
    sent_back = db.session.execute(
        select(SendBack.requested_on, Allocation.amendment_requested_on).join(Allocation)
    ).all()
    assert sent_back and all(row == (row[1], row[1]) for row in sent_back)
    # The league table has a row for each provider with work, and the figures add up.
    league = league_table(date(2024, 8, 1), date(2024, 11, 1), TODAY)
    assert [p.row.allocated > 0 for p in league.providers] == [True, True]
    assert league.total.allocated == sum(MONTHLY_ALLOCATIONS)
    assert league.total.first_time_right_percent is not None

    second = _seed(app)
    assert "already" in second
    assert "manager@demo.example" in second
    assert _snapshot() == snapshot


@freeze_time("2025-03-03 09:00:00")
def test_seed_follows_today(app: Flask) -> None:
    _seed(app)
    first = db.session.scalar(select(func.min(Allocation.allocated_on)))
    last = db.session.scalar(select(func.max(Allocation.allocated_on)))
    assert first is not None and first >= date(2024, 12, 1)
    assert last is not None and last <= date(2025, 3, 3)


def test_seed_leaves_a_database_with_real_data_alone(app: Flask, make: Factory) -> None:
    make.user(Role.ADMIN)
    output = _seed(app)
    assert "Not seeding" in output
    assert _count(Case) == 0
    assert _count(User) == 1


def test_seed_refuses_a_short_password(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "too-short")
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "12 characters" in result.output
    assert _count(User) == 0


def test_seed_uses_the_password_from_the_environment(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "a-different-demo-secret")
    output = _seed(app)
    assert "a-different-demo-secret" in output
    assert authenticate("manager@demo.example", "a-different-demo-secret") is not None


@freeze_time("2024-11-28 10:00:00")
def test_seed_creates_providers_and_accounts_through_the_services(app: Flask) -> None:
    _seed(app)
    created = db.session.execute(
        select(AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.action.in_(("provider_created", "user_created")))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(row) for row in created] == [
        ("provider_created", "via=demo"),
        ("provider_created", "via=demo"),
        ("user_created", "role=admin via=demo"),
        ("user_created", "role=manager via=demo"),
        ("user_created", "role=monitor via=demo"),
        ("user_created", "role=provider_admin via=demo"),
        ("user_created", "role=practitioner via=demo"),
        ("user_created", "role=provider_admin via=demo"),
    ]
    assert db.session.scalar(select(func.count()).where(User.password_set_at.is_(None))) == 0


def test_seed_refuses_a_common_password(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "Password1234")
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert (result.exit_code, _count(User)) == (2, 0) and "too common" in result.output


@freeze_time("2024-11-28 10:00:00")
def test_seed_shows_every_outcome(app: Flask) -> None:
    _seed(app)
    manager = db.session.scalars(select(User).where(User.role == Role.MANAGER)).one()
    closed = {
        case.closed_reason: case
        for case in db.session.scalars(select(Case).where(Case.closed_on.is_not(None)))
    }
    assert set(closed) == {
        "refused_to_assess",
        "not_issuing",
        "withdrawn_by_family",
        "moved_away",
        "ceased",
    }
    assert all(case.closed_by_id == manager.id for case in closed.values())
    assert closed["refused_to_assess"].assessment_decision == "refused"
    assert closed["refused_to_assess"].allocations == []
    assert closed["not_issuing"].issue_decision == "not_issue"
    assert closed["ceased"].ceased_reason == "other"
    # The withdrawn family's advice is still with the provider: flagged for the manager.
    assert work_to_withdraw(closed["withdrawn_by_family"])
    # A draft inside the family's 15 days, and a final plan they agreed could come sooner.
    drafts = db.session.scalars(
        select(Case).where(
            Case.draft_plan_issued_on > TODAY - timedelta(days=15),
            Case.final_plan_issued_on.is_(None),
            Case.closed_on.is_(None),
        )
    ).all()
    assert len(drafts) == 1 and drafts[0].issue_decision == "issue"
    early = db.session.scalars(select(Case).where(Case.family_agreed_early_final)).one()
    assert early.final_plan_recorded_by_id == manager.id
    assert early.final_plan_issued_on - early.draft_plan_issued_on == timedelta(days=7)
    # Every other case on the backlog was agreed for assessment, 4 to 6 weeks in.
    undecided = db.session.scalar(select(func.count()).where(Case.assessment_decision.is_(None)))
    assert undecided == 0


@freeze_time("2024-11-28 10:00:00")
def test_seed_stores_case_papers_and_returned_documents(app: Flask) -> None:
    """Both journeys work from `make run`: papers shared with open work to download, and
    returned work with the provider's document to review; every file checks out."""
    output = _seed(app)
    assert "36 case papers shared with open work" in output
    returned = db.session.scalars(
        select(Allocation).where(Allocation.returned_on.is_not(None))
    ).all()
    assert returned and all(allocation.documents for allocation in returned)
    for allocation in returned[:5]:
        with checked_file(allocation.documents[0]) as handle:
            text = PdfReader(handle).pages[0].extract_text()
        assert "Demo data: not about a real child." in text
    shared = db.session.scalars(
        select(AllocationPaper).where(AllocationPaper.unshared_at.is_(None))
    ).all()
    assert len(shared) == 36
    assert all(share.allocation.is_open for share in shared)
    assert {share.paper.kind for share in shared} == {
        "request_for_assessment",
        "parental_views",
        "consent_to_share",
    }
    assert check_store().consistent
