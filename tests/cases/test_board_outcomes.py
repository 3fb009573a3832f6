"""The backlog board and case outcomes: a case leaves from the day it closed (however it
closed), the 16-week decision shows until it is made, and today's board still reads the
partial indexes of cases without a final plan."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.cases.board.queries import (
    BoardFilters,
    board_groups,
    board_page,
    board_query,
)
from provider_portal.extensions import db
from provider_portal.models import Role, WorkType
from tests.helpers import query_plan

TODAY = "2024-12-01 12:00:00"
TODAY_DATE = date(2024, 12, 1)
OLD_REQUEST = date(2024, 3, 1)  # 20 weeks ended 19 July: on the board while open


@pytest.fixture
def closings(make):
    """One open case and one closed in each way, all long past 20 weeks."""
    closed = {
        "REFUSED": {"closed_reason": "refused_to_assess", "closed_on": date(2024, 4, 10)},
        "NOT-ISSUING": {"closed_reason": "not_issuing", "closed_on": date(2024, 6, 20)},
        "WITHDRAWN": {"closed_reason": "withdrawn_by_family", "closed_on": date(2024, 9, 2)},
        "MOVED": {"closed_reason": "moved_away", "closed_on": date(2024, 11, 30)},
        "CEASED": {"closed_reason": "ceased", "ceased_reason": "age_25", "closed_on": TODAY_DATE},
        "PLAN": {"final_plan_issued_on": date(2024, 10, 1)},
    }  # fmt: skip
    for ref, values in closed.items():
        make.case(case_ref=ref, request_received_on=OLD_REQUEST, **values)
    make.case(case_ref="OPEN", request_received_on=OLD_REQUEST)
    make.case(
        case_ref="DECIDED",
        request_received_on=date(2024, 3, 2),
        issue_decision="issue",
        issue_decision_on=date(2024, 6, 1),
    )
    make.case(
        case_ref="DRAFTED",
        request_received_on=date(2024, 3, 3),
        draft_plan_issued_on=date(2024, 7, 1),
    )


def _refs(as_of: date) -> list[str]:
    work_types = list(db.session.scalars(select(WorkType)))
    page = board_page(BoardFilters(), as_of, 1, work_types)
    return sorted(row.case.case_ref for row in page.items)


@freeze_time(TODAY)
def test_closed_cases_leave_the_board_from_their_closing_date(closings, client_for):
    soup = client_for(Role.MANAGER).page("/cases/backlog")
    refs = [a.get_text() for a in soup.select("#board-table tbody tr td:nth-of-type(2) a")]
    assert sorted(refs) == ["DECIDED", "DRAFTED", "OPEN"]
    assert "3 cases on the backlog" in soup.select_one("#board-count").get_text()
    # As the board stood on earlier days: each case is there until the day it closed.
    assert _refs(date(2024, 11, 30)) == ["CEASED", "DECIDED", "DRAFTED", "OPEN"]
    assert _refs(date(2024, 11, 29)) == ["CEASED", "DECIDED", "DRAFTED", "MOVED", "OPEN"]
    assert _refs(date(2024, 9, 1)) == [
        "CEASED",
        "DECIDED",
        "DRAFTED",
        "MOVED",
        "OPEN",
        "PLAN",
        "WITHDRAWN",
    ]


@freeze_time(TODAY)
def test_the_16_week_decision_shows_until_it_is_made(closings, client_for):
    soup = client_for(Role.MANAGER).page("/cases/backlog")
    due = {}
    for tr in soup.select("#board-table tbody tr"):
        shown = tr.select_one(".portal-issue-decision-due")
        due[tr.select_one("td:nth-of-type(2) a").get_text()] = (
            shown.get_text(strip=True) if shown else None
        )
    # 1 March + 112 days; a decision, or a draft plan sent, means it has been made.
    assert due == {"OPEN": "16-week decision due 21 Jun 2024", "DECIDED": None, "DRAFTED": None}


def _plan(
    sql: str, index: str = "ix_case_open_by_request", rule_out: tuple[str, ...] = ("seqscan",)
) -> str:
    """The plan with only that partial index to choose from (the caller rolls back)."""
    return query_plan(db.session.connection(), sql, rule_out=rule_out, only_index=('"case"', index))


@freeze_time(TODAY)
def test_todays_board_can_use_the_partial_index(closings):
    query = board_query(BoardFilters(), date(2024, 12, 1))
    count = select(func.count()).select_from(query.subquery())
    sql = str(count.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = _plan(sql)
    db.session.rollback()
    assert "ix_case_open_by_request" in plan, plan


@freeze_time(TODAY)
def test_the_phase_transfer_group_is_read_from_its_index_alone(closings):
    """The board's second group (deadlines within 12 weeks) finds its rows, and on PostgreSQL
    (where the board reads its groups apart) everything it filters and orders them by, in
    ix_case_open_by_reception_year without reading the table."""
    transfers = board_groups(BoardFilters(), TODAY_DATE)[1]
    sql = str(transfers.compile(db.engine, compile_kwargs={"literal_binds": True}))
    # With bitmap scans ruled out too, PostgreSQL builds an index-only path whenever the index
    # holds every column the statement reads, and a plain index scan only when it does not. Left
    # to choose, a few test rows that autovacuum has not yet marked all-visible can make a
    # bitmap scan cheapest, which says nothing about the index.
    plan = _plan(sql, "ix_case_open_by_reception_year", rule_out=("seqscan", "bitmapscan"))
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        assert "Index Only Scan using ix_case_open_by_reception_year" in plan, plan
    else:
        assert "USING INDEX ix_case_open_by_reception_year (reception_year=?)" in plan, plan
