"""Where the time goes: the stages of each plan issued, on hand-made cases."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, Role
from provider_portal.reports.scope import Scope
from provider_portal.reports.stages import CSV_HEADER, StageDays, stage_days, stages
from tests.helpers import query_plan

TODAY = "2025-04-15 10:00:00"


def plan(make, provider, issued: date, gaps: tuple[int, int, int, int], **kw):
    """A case whose final plan was issued on the day given, its plan writing having taken the
    four gaps in days: request to allocation, allocation to return, return to acceptance,
    acceptance to final plan."""
    requested = issued - timedelta(days=sum(gaps))
    allocated = requested + timedelta(days=gaps[0])
    returned = allocated + timedelta(days=gaps[1])
    accepted = returned + timedelta(days=gaps[2])
    case = make.case(request_received_on=requested, final_plan_issued_on=issued)
    work = make.allocation(
        case=case,
        provider=provider,
        work_type="plan_writing",
        allocated_on=allocated,
        returned_on=returned,
        accepted_on=accepted,
        status=AllocationStatus.ACCEPTED,
        **kw,
    )
    return case, work


@pytest.fixture
def data(make):
    north, south = make.provider("North"), make.provider("South")
    # Issued in February 2025.
    plan(make, north, date(2025, 2, 3), (30, 40, 10, 20))
    plan(make, north, date(2025, 2, 14), (50, 20, 5, 10))
    case, _ = plan(make, south, date(2025, 2, 28), (70, 30, 20, 10))
    # Earlier work on the same case that does not count: advice, a withdrawn plan, and a plan
    # accepted before the one that was used.
    make.allocation(
        case=case,
        provider=north,
        work_type="ep_advice",
        allocated_on=date(2024, 10, 5),
        returned_on=date(2024, 10, 9),
        accepted_on=date(2024, 10, 10),
        status=AllocationStatus.ACCEPTED,
    )
    make.allocation(
        case=case,
        provider=north,
        work_type="plan_writing",
        allocated_on=date(2024, 10, 6),
        withdrawn_on=date(2024, 10, 20),
        status=AllocationStatus.WITHDRAWN,
    )
    make.allocation(
        case=case,
        provider=north,
        work_type="plan_writing",
        allocated_on=date(2024, 10, 7),
        returned_on=date(2024, 11, 1),
        accepted_on=date(2024, 11, 2),
        status=AllocationStatus.ACCEPTED,
    )
    # Issued in March 2025: the provider's stage is longest.
    plan(make, south, date(2025, 3, 31), (10, 100, 5, 10))
    # Issued with no provider's plan writing: not counted.
    make.case(request_received_on=date(2024, 10, 1), final_plan_issued_on=date(2025, 2, 10))
    # Issued after the as-of date (31 March): not counted.
    plan(make, north, date(2025, 4, 1), (10, 100, 5, 10))
    return {"north": north, "south": south}


def test_stages_by_month_of_issue(data):
    report = stages(Scope(), date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31))
    january, february, march = report.rows
    assert (january.plans, january.longest) == (0, None)
    assert january.stages == [StageDays(None, None)] * 4
    assert february.plans == 3
    # Request to allocation: 30, 50, 70; allocation to return: 20, 30, 40 (the case with
    # several plans counts the one accepted last); return to acceptance 5, 10, 20;
    # acceptance to final plan 10, 10, 20.
    assert february.stages == [
        StageDays(50, 70),
        StageDays(30, 40),
        StageDays(10, 20),
        StageDays(10, 20),
    ]
    assert february.longest == "Request to allocation (council)"
    assert march.plans == 1 and march.longest == "Allocation to return (provider)"
    assert report.total.plans == 4
    assert report.total.stages[1] == StageDays(30, 100)


def test_a_provider_scope_counts_its_own_plan_writing(data):
    report = stages(
        Scope(provider=data["south"]), date(2025, 2, 1), date(2025, 3, 1), date(2025, 3, 31)
    )
    assert [row.plans for row in report.rows] == [1, 1]
    assert report.rows[0].stages[0] == StageDays(70, 70)
    north = stages(
        Scope(provider=data["north"]), date(2025, 2, 1), date(2025, 2, 1), date(2025, 3, 31)
    )
    assert north.total.plans == 2


def test_ties_name_the_earlier_stage(make):
    plan(make, make.provider(), date(2024, 11, 20), (20, 20, 5, 5))
    report = stages(Scope(), date(2025, 1, 1), date(2025, 1, 1), date(2025, 3, 31))
    assert report.total.plans == 0  # issued outside the months
    report = stages(Scope(), date(2024, 11, 1), date(2024, 11, 1), date(2025, 3, 31))
    assert report.total.longest == "Request to allocation (council)"


@freeze_time(TODAY)
def test_the_league_page_shows_it_with_its_csv(data, client_for):
    client = client_for(Role.MONITOR)
    query = "start=2025-01&end=2025-03&as_of=31&as_of=3&as_of=2025"
    soup = client.page(f"/reports/providers?{query}")
    table = soup.select_one("#providers-stages")
    rows = [
        [c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])]
        for r in table.select("tbody tr")
    ]
    assert rows[1] == [
        "February 2025",
        "3",
        "50",
        "70",
        "30",
        "40",
        "10",
        "20",
        "10",
        "20",
        "Request to allocation (council)",
    ]
    assert "the one accepted last" in soup.select_one("#providers-stages-definition").get_text()
    href = soup.select_one("#providers-stages-csv")["href"]
    response = client.get(href)
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(lines[0]) == CSV_HEADER
    assert lines[0][:4] == [
        "month",
        "plans",
        "request_to_allocation_median_days",
        "request_to_allocation_p90_days",
    ]
    assert lines[2] == [
        "2025-02",
        "3",
        "50",
        "70",
        "30",
        "40",
        "10",
        "20",
        "10",
        "20",
        "Request to allocation (council)",
    ]
    assert lines[-1][0] == "Total"


@freeze_time(TODAY)
def test_the_pack_shows_it_for_its_scope_with_its_csv_and_sheet(data, client_for):
    client = client_for(Role.MANAGER)
    query = f"provider={data['south'].id}&start=2025-02&end=2025-03&as_of=31&as_of=3&as_of=2025"
    soup = client.page(f"/reports/pack?{query}")
    table = soup.select_one("#pack-stages")
    rows = [
        [c.get_text(" ", strip=True) for c in r.find_all(["th", "td"])]
        for r in table.select("tbody tr")
    ]
    assert [row[:3] for row in rows] == [
        ["February 2025", "1", "70"],
        ["March 2025", "1", "10"],
        ["Total", "2", "10"],
    ]
    response = client.get(soup.select_one("#pack-stages-csv")["href"])
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(lines[0]) == CSV_HEADER
    assert lines[1][:3] == ["2025-02", "1", "70"]
    assert lines[2][-1] == "Allocation to return (provider)"


def test_the_plans_issued_are_read_from_their_index_alone(make):
    """Migration 0022: the cases whose plans were issued in the months come from
    ix_case_final_plan without a visit to the table for each."""
    case = make.case("PLAN-INDEX")
    case.request_received_on = date(2024, 1, 2)
    case.final_plan_issued_on = date(2024, 6, 3)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Mark the pages all-visible, as autovacuum does for a live table, so an index-only
        # scan is costed as one.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql('VACUUM ANALYZE "case"')
    statement = stage_days(Scope(), date(2024, 1, 1), date(2024, 12, 1), date(2024, 12, 31))
    try:
        plan = query_plan(
            db.session.connection(),
            statement,
            rule_out=("seqscan", "bitmapscan"),
            only_index=('"case"', "ix_case_final_plan"),
        )
    finally:
        db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        assert re.search(r"Index Only Scan using ix_case_final_plan\b", plan), plan
    else:
        assert re.search(r"COVERING INDEX ix_case_final_plan\b", plan), plan
