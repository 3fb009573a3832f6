"""The monthly cohort table, from one function, through the page, the CSV and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from freezegun import freeze_time

from provider_portal.errors import ReportError
from provider_portal.models import AllocationStatus, Role
from provider_portal.reports.monthly.queries import csv_rows, monthly_report, parse_month


@pytest.fixture
def board(make):
    """Aug: 3 allocated (2 back by 2 Dec, 1 back after); Sep: 2 (1 back); Oct: none;
    Nov: 2 (0 back) plus 1 withdrawn; and one in July, outside the range."""
    p = make.provider("Northbrook")
    q = make.provider("Clearwater")

    def alloc(allocated, returned=None, provider=p, **kw):
        status = AllocationStatus.RETURNED if returned else AllocationStatus.ALLOCATED
        return make.allocation(
            provider=provider,
            allocated_on=allocated,
            returned_on=returned,
            status=kw.pop("status", status),
            **kw,
        )

    alloc(date(2024, 8, 1), date(2024, 9, 10))
    alloc(date(2024, 8, 31), date(2024, 12, 2))  # returned on the as-of date: counts
    alloc(date(2024, 8, 15), date(2024, 12, 3))  # the day after: does not
    alloc(date(2024, 9, 1), date(2024, 10, 1), provider=q, work_type="plan_writing")
    alloc(date(2024, 9, 30))
    alloc(date(2024, 11, 1))
    alloc(date(2024, 11, 30))
    alloc(date(2024, 11, 5), status=AllocationStatus.WITHDRAWN, withdrawn_on=date(2024, 11, 6))
    alloc(date(2024, 7, 31), date(2024, 8, 1))
    return p, q


def test_cohort_counts_by_month_of_allocation(board):
    report = monthly_report(date(2024, 8, 1), date(2024, 11, 1), date(2024, 12, 2))
    assert [r.as_csv() for r in report.rows] == [
        ("2024-08", 3, 2, 1),
        ("2024-09", 2, 1, 1),
        ("2024-10", 0, 0, 0),
        ("2024-11", 2, 0, 2),
    ]
    assert report.total.as_csv() == ("Total", 7, 3, 4)


def test_filters_by_provider_and_work_type(board, make):
    p, q = board
    only_q = monthly_report(date(2024, 8, 1), date(2024, 11, 1), date(2024, 12, 2), provider=q)
    assert only_q.total.as_csv() == ("Total", 1, 1, 0)
    plans = monthly_report(
        date(2024, 8, 1),
        date(2024, 11, 1),
        date(2024, 12, 2),
        work_type=make.work_type("plan_writing"),
    )
    assert plans.total.as_csv() == ("Total", 1, 1, 0)


def test_as_of_earlier_counts_fewer_returns(board):
    report = monthly_report(date(2024, 8, 1), date(2024, 9, 1), date(2024, 9, 30))
    assert [r.as_csv() for r in report.rows] == [("2024-08", 3, 1, 2), ("2024-09", 2, 0, 2)]


def test_range_across_a_year_end_and_a_leap_february(make):
    make.allocation(
        allocated_on=date(2024, 2, 29),
        returned_on=date(2024, 3, 1),
        status=AllocationStatus.RETURNED,
    )
    make.allocation(allocated_on=date(2023, 12, 31))
    report = monthly_report(date(2023, 12, 1), date(2024, 2, 1), date(2024, 3, 31))
    assert csv_rows(report) == [
        ("2023-12", 1, 0, 1),
        ("2024-01", 0, 0, 0),
        ("2024-02", 1, 1, 0),
        ("Total", 2, 1, 1),
    ]


def test_bad_ranges_are_explained():
    with pytest.raises(ReportError, match="same as or after"):
        monthly_report(date(2024, 9, 1), date(2024, 8, 1), date(2024, 9, 1))
    for bad in ("2024-13", "24-08", "2024/08", "August"):
        with pytest.raises(ReportError):
            parse_month(bad)


@freeze_time("2024-12-02 23:30:00")  # 23:30 UTC on 2 Dec is still 2 Dec in London (GMT)
def test_page_defaults_to_today_in_london(board, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/monthly?start=2024-08&end=2024-11")
    rows = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in soup.select("#monthly-table tbody tr")
    ]
    assert rows == [
        ["August 2024", "3", "2", "1"],
        ["September 2024", "2", "1", "1"],
        ["October 2024", "0", "0", "0"],
        ["November 2024", "2", "0", "2"],
        ["Total", "7", "3", "4"],
    ]
    assert "returned by 2 December 2024" in soup.select_one("#monthly-table caption").get_text()


@freeze_time("2024-06-30 23:30:00")  # BST: 23:30 UTC on 30 June is already 1 July in London
def test_today_is_the_london_date_across_bst(client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/monthly")
    assert "July 2024" in soup.select_one("#monthly-table caption").get_text()
    assert soup.select_one("#as_of-day")["value"] == "1"


def test_csv_download_matches_the_page(board, client_for):
    manager = client_for(Role.MANAGER)
    response = manager.get(
        "/reports/monthly.csv?start=2024-08&end=2024-11&as_of=2&as_of=12&as_of=2024"
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["month", "allocated", "returned", "outstanding"],
        ["2024-08", "3", "2", "1"],
        ["2024-09", "2", "1", "1"],
        ["2024-10", "0", "0", "0"],
        ["2024-11", "2", "0", "2"],
        ["Total", "7", "3", "4"],
    ]


def test_invalid_choices_show_error_summary(client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/reports/monthly?start=2024-13&end=2024-01")
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "Enter the first month as a year and month" in summary
    soup = manager.page("/reports/monthly?start=2024-09&end=2024-08")
    assert "same as or after" in soup.select_one(".govuk-error-summary").get_text()
    soup = manager.page("/reports/monthly?start=2024-08&end=2024-09&as_of=31&as_of=4&as_of=2024")
    assert "Not a valid date" in soup.select_one(".govuk-error-summary").get_text()
    response = manager.get("/reports/monthly.csv?start=bad&end=2024-08")
    assert response.status_code == 400


def test_htmx_filter_returns_the_table_fragment(board, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page(
        "/reports/monthly?start=2024-08&end=2024-08&as_of=2&as_of=12&as_of=2024", htmx=True
    )
    assert soup.select_one("#monthly-table") is not None
    assert soup.select_one("h1") is None
    # The form comes back out of band, with no errors once the months are right.
    form = soup.select_one("form#monthly-filters[hx-swap-oob=true]")
    assert form is not None and form.select_one(".govuk-error-message") is None


def test_htmx_error_is_shown_beside_its_field_as_well_as_in_the_summary(board, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page(
        "/reports/monthly?start=2024-09&end=2024-08&as_of=2&as_of=12&as_of=2024", htmx=True
    )
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None and soup.select_one("#monthly-table") is None
    form = soup.select_one("form#monthly-filters[hx-swap-oob=true]")
    assert form is not None
    messages = form.select(".govuk-error-message")
    assert messages and "same as or after" in messages[0].get_text()
    for link in summary.select(".govuk-error-summary__list a"):
        assert form.select_one(link["href"]) is not None, link["href"]


def test_cli_writes_the_same_csv(board, app, tmp_path):
    out = tmp_path / "monthly.csv"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "monthly",
            "--from",
            "2024-08",
            "--to",
            "2024-11",
            "--as-of",
            "2024-12-02",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        "month,allocated,returned,outstanding",
        "2024-08,3,2,1",
        "2024-09,2,1,1",
        "2024-10,0,0,0",
        "2024-11,2,0,2",
        "Total,7,3,4",
    ]
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "monthly",
            "--from",
            "2024-08",
            "--to",
            "2024-11",
            "--as-of",
            "2024-12-02",
            "--provider",
            "clearwater",
        ]
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "Total,1,1,0"


def test_cli_rejects_bad_arguments(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "monthly", "--from", "2024-9", "--to", "2024-11"])
    assert result.exit_code == 2 and "year and month" in result.output
    result = runner.invoke(
        args=["report", "monthly", "--from", "2024-08", "--to", "2024-11", "--provider", "Nobody"]
    )
    assert result.exit_code == 2 and "No provider called" in result.output


def test_declined_work_is_not_counted_as_allocated(make):
    make.allocation(allocated_on=date(2024, 8, 5))
    make.allocation(
        allocated_on=date(2024, 8, 6),
        status=AllocationStatus.DECLINED,
        declined_on=date(2024, 8, 7),
        decline_reason="No capacity",
    )
    report = monthly_report(date(2024, 8, 1), date(2024, 8, 1), date(2024, 9, 1))
    assert report.total.as_csv() == ("Total", 1, 0, 1)
