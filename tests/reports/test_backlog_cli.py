"""`flask report backlog`: the board's cases on a date as CSV, in the board's order, audited,
with no child's name, and a clear answer to a bad date."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.cases.board.export import CSV_HEADER, backlog_rows
from provider_portal.cases.board.queries import BoardFilters, board_page
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, WorkType
from provider_portal.outcomes import MOVED_AWAY

TODAY = "2024-12-01 12:00:00"  # academic year 2024/25


@pytest.fixture
def backlog(make):
    """As on the board's own tests: A looked after; B Year 6 (transfer deadline 15 February);
    C Year 11 (outside the 12-week window); D, E overdue; F due within 4 weeks; G due in 7
    weeks (off the board); H plan issued 1 August; J closed without a plan on 20 November;
    K plan issued on 28 November (after a past as-of date). Work: A's advice with Acme, B's
    returned, D's withdrawn on 25 November, C's declined."""
    acme = make.provider("Acme Psychology")
    cases = {
        "A": make.case(case_ref="A", looked_after=True, request_received_on=date(2024, 6, 1)),
        "B": make.case(case_ref="B", reception_year=2018, request_received_on=date(2024, 5, 1)),
        "C": make.case(case_ref="C", reception_year=2013, request_received_on=date(2024, 3, 1)),
        "D": make.case(case_ref="D", request_received_on=date(2024, 1, 10)),
        "E": make.case(case_ref="E", request_received_on=date(2024, 7, 10)),
        "F": make.case(case_ref="F", request_received_on=date(2024, 7, 25)),
        "G": make.case(case_ref="G", request_received_on=date(2024, 9, 1)),
        "H": make.case(
            case_ref="H",
            request_received_on=date(2024, 1, 1),
            final_plan_issued_on=date(2024, 8, 1),
        ),
        "J": make.case(
            case_ref="J",
            request_received_on=date(2024, 1, 1),
            closed_on=date(2024, 11, 20),
            closed_reason=MOVED_AWAY,
        ),
        "K": make.case(
            case_ref="K",
            request_received_on=date(2024, 2, 1),
            final_plan_issued_on=date(2024, 11, 28),
        ),
    }

    def work(ref, **kwargs):
        make.allocation(case=cases[ref], provider=acme, **kwargs)

    work("A", allocated_on=date(2024, 10, 1))
    work(
        "B",
        allocated_on=date(2024, 9, 1),
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 10, 10),
    )
    work(
        "D",
        allocated_on=date(2024, 11, 1),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2024, 11, 25),
    )
    work(
        "C",
        allocated_on=date(2024, 11, 1),
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 11, 2),
    )
    return cases


def _run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["report", "backlog", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@freeze_time(TODAY)
def test_the_board_today_as_csv(backlog, app, tmp_path):
    out = tmp_path / "backlog.csv"
    code, output = _run(app, "--output", str(out))
    assert code == 0, output
    body = out.read_bytes().decode("utf-8")
    rows = _csv(body)
    assert tuple(rows[0]) == CSV_HEADER
    assert body.splitlines()[0] == (
        "case_ref,request_received_on,weeks_since_request,priority,reasons,open_work"
    )
    assert rows[1:] == [
        [
            "A",
            "2024-06-01",
            "26",
            "1",
            "Looked after; 6 weeks overdue",
            "Educational psychology advice: Acme Psychology (with the provider since 2024-10-01)",
        ],
        [
            "B",
            "2024-05-01",
            "30",
            "2",
            "Phase transfer: 15 Feb, 76 days; 10 weeks overdue",
            "Educational psychology advice: Acme Psychology (returned 2024-10-10, not yet "
            "accepted)",
        ],
        ["D", "2024-01-10", "46", "3", "26 weeks overdue", ""],
        ["C", "2024-03-01", "39", "3", "19 weeks overdue", ""],
        ["E", "2024-07-10", "20", "3", "4 days overdue", ""],
        ["F", "2024-07-25", "18", "3", "", ""],
    ]
    # No child's name or date of birth leaves the portal.
    for case in backlog.values():
        assert case.last_name not in body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None
    assert event.detail == "backlog as_of=2024-12-01 rows=6 via=cli"


@freeze_time(TODAY)
def test_rows_follow_the_board_page(backlog, make):
    """The same cases in the same order with the same reasons as the board's own rows,
    phase transfers by setting type included: Year 2 moves on from an infant school, not
    from a primary school."""
    for ref, setting_type in (("P", "primary"), ("I", "infant")):
        make.case(
            case_ref=ref,
            reception_year=2022,
            setting_type=setting_type,
            request_received_on=date(2024, 7, 1),
        )
    today = date(2024, 12, 1)
    work_types = list(db.session.scalars(select(WorkType).order_by(WorkType.id)))
    page = board_page(BoardFilters(), today, 1, work_types)
    rows = backlog_rows(today)
    assert [r.case_ref for r in rows] == [r.case.case_ref for r in page.items]
    assert [r.reasons for r in rows] == ["; ".join(r.reasons) for r in page.items]
    assert [r.weeks_since_request for r in rows] == [r.weeks_since_request for r in page.items]
    priorities = {r.case_ref: r.priority for r in rows}
    assert (priorities["I"], priorities["P"]) == (2, 3)


def test_as_of_an_earlier_date(backlog, app):
    """On 22 November J was open (closed on the 20th: no), K had no plan yet, D's advice was
    still with Acme (withdrawn on the 25th)."""
    code, output = _run(app, "--as-of", "2024-11-22")
    assert code == 0, output
    rows = {row[0]: row for row in _csv(output)[1:]}
    assert "J" not in rows
    assert rows["K"][1:3] == ["2024-02-01", "42"]
    assert rows["D"][5] == (
        "Educational psychology advice: Acme Psychology (with the provider since 2024-11-01)"
    )
    assert "C" in rows and rows["C"][5] == ""  # declined on 2 November
    on_the_19th = {row[0] for row in _csv(_run(app, "--as-of", "2024-11-19")[1])[1:]}
    assert "J" in on_the_19th


def test_cells_cannot_run_as_formulas(make, app):
    make.case(case_ref="=HYPERLINK(1)", request_received_on=date(2024, 1, 1))
    code, output = _run(app, "--as-of", "2024-12-01")
    assert code == 0
    assert _csv(output)[1][0] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    "value",
    ["2024-13-01", "02/12/2024", "20241202", "2024-W49-1", "9999-12-31", "1899-12-31", "tomorrow"],
)
def test_a_bad_date_is_a_usage_error(app, value):
    code, output = _run(app, "--as-of", value)
    assert code == 2
    assert "--as-of" in output
    assert "Traceback" not in output
    assert "YYYY-MM-DD" in output or "between 1900-01-01 and 2100-12-31" in output
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported")) is None
    )


def test_the_last_and_first_dates_work(app):
    assert _run(app, "--as-of", "2100-12-31")[0] == 0
    assert _run(app, "--as-of", "1900-01-01")[0] == 0


def test_queries_do_not_grow_with_the_backlog(make, count_queries):
    acme = make.provider("Acme")

    def grow(n: int) -> None:
        for _ in range(n):
            case = make.case(request_received_on=date(2024, 1, 1))
            make.allocation(case=case, provider=acme, allocated_on=date(2024, 10, 1))

    grow(2)
    count_queries.clear()
    assert len(backlog_rows(date(2024, 12, 1))) == 2
    small = len(count_queries)
    grow(30)
    count_queries.clear()
    assert len(backlog_rows(date(2024, 12, 1))) == 32
    selects = [q for q in count_queries if q.startswith("SELECT")]
    assert len(count_queries) == small and len(selects) == 2, count_queries
