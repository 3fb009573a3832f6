"""20-week compliance, from one function, through the page, the CSV, the chart and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, CaseException, Role
from provider_portal.reports.charts import compliance_chart_svg
from provider_portal.reports.compliance.queries import (
    CSV_HEADER,
    compliance_report,
    csv_rows,
    rolling_summary,
)
from provider_portal.reports.sql import percent
from provider_portal.timescales import final_plan_due

HEADER_LINE = ",".join(CSV_HEADER)


def _except(case, applies_to="final_plan", reason="school_holiday"):
    """Record an exception in the case's ledger."""
    db.session.add(CaseException(case=case, applies_to=applies_to, reason=reason))
    db.session.commit()


@pytest.fixture
def plan(make):
    """plan(requested, days_later, *exceptions): a case whose final plan was issued
    `days_later` days after the request (140 is the last day within 20 weeks)."""

    def build(requested, days_later, *exceptions):
        case = make.case(
            request_received_on=requested,
            final_plan_issued_on=requested + timedelta(days=days_later),
        )
        for applies_to in exceptions:
            _except(case, applies_to)
        return case

    return build


@pytest.fixture
def issued(plan, make):
    """August 2024: day 140 (within), day 141 (not), and an exception case within.
    September: none. October: 9 issued, one of them with two 20-week exceptions (late);
    of the other 8 (one with only an advice exception) 1 within. November: 3, 2 within.
    Outside the range: December 2023 (in the rolling 12 months), November 2023, December 2024,
    and a case with no final plan yet."""
    plan(date(2024, 3, 20), 140)  # issued 7 August 2024
    plan(date(2024, 3, 20), 141)  # issued 8 August 2024
    plan(date(2024, 4, 1), 136, "final_plan")  # issued 15 August 2024
    plan(date(2024, 5, 1), 180, "final_plan", "final_plan")  # issued 28 October 2024
    plan(date(2024, 5, 20), 140)  # issued 7 October 2024
    plan(date(2024, 5, 1), 160, "advice")  # an advice exception does not excuse the plan
    for day in range(6):
        plan(date(2024, 5, 10), 145 + day)  # 2 to 7 October 2024, all late
    plan(date(2024, 6, 20), 135)  # 2 November 2024
    plan(date(2024, 7, 10), 140)  # 27 November 2024
    plan(date(2024, 6, 1), 170)  # 18 November 2024
    plan(date(2023, 7, 14), 140)  # 1 December 2023: rolling 12 months only
    plan(date(2023, 7, 14), 139)  # 30 November 2023: outside everything
    plan(date(2024, 7, 14), 140)  # 1 December 2024: after the range
    make.case(request_received_on=date(2024, 6, 1))  # no final plan yet


EXPECTED_CSV = [
    HEADER_LINE,
    "2024-08,3,2,2,1,50.0",
    "2024-09,0,0,0,0,",
    "2024-10,9,1,8,1,12.5",
    "2024-11,3,2,3,2,66.7",
    "Total,15,5,13,4,30.8",
]


def test_counts_by_month_of_issue(issued):
    report = compliance_report(date(2024, 8, 1), date(2024, 11, 1))
    assert [HEADER_LINE] + [",".join(map(str, row)) for row in csv_rows(report)] == EXPECTED_CSV
    assert [row.percent_including for row in report.rows] == [
        Decimal("66.7"),
        None,
        Decimal("11.1"),
        Decimal("66.7"),
    ]
    assert report.total.percent_including == Decimal("33.3")


def test_day_140_is_within_20_weeks_and_day_141_is_not_across_a_leap_february(plan):
    requested = date(2023, 10, 15)
    assert final_plan_due(requested) == date(2024, 3, 3)  # through 29 February 2024
    plan(requested, 140)
    plan(requested, 141)
    plan(requested, 0)  # issued the same day: within
    report = compliance_report(date(2024, 3, 1), date(2024, 3, 1))
    assert report.rows[0].as_csv() == ("2024-03", 2, 1, 2, 1, "50.0")
    report = compliance_report(date(2023, 10, 1), date(2023, 10, 1))
    assert report.rows[0].as_csv() == ("2023-10", 1, 1, 1, 1, "100.0")


def test_an_exception_leaves_only_the_excluding_columns(plan):
    excused = plan(date(2024, 1, 1), 200, "final_plan")
    plan(date(2024, 1, 1), 200, "advice")
    report = compliance_report(date(2024, 7, 1), date(2024, 7, 1))
    assert report.rows[0].as_csv() == ("2024-07", 2, 0, 1, 0, "0.0")
    _except(excused, reason="absent_from_area")  # a second exception for the same case
    report = compliance_report(date(2024, 7, 1), date(2024, 7, 1))
    assert report.rows[0].as_csv() == ("2024-07", 2, 0, 1, 0, "0.0")  # still counted once


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (2, 3, "66.7"),
        (1, 8, "12.5"),
        (22, 34, "64.7"),
        (1, 16, "6.3"),  # 6.25 rounds half up, not to the even 6.2
        (1, 80, "1.3"),  # 1.25 likewise
        (1, 6, "16.7"),
        (0, 5, "0.0"),
        (5, 5, "100.0"),
    ],
)
def test_percentages_round_half_up_to_one_place(part, whole, expected):
    assert percent(part, whole) == Decimal(expected)
    assert str(percent(part, whole)) == expected


def test_no_plans_means_a_blank_percentage():
    assert percent(0, 0) is None
    report = compliance_report(date(2024, 1, 1), date(2024, 2, 1))
    assert csv_rows(report) == [
        ("2024-01", 0, 0, 0, 0, ""),
        ("2024-02", 0, 0, 0, 0, ""),
        ("Total", 0, 0, 0, 0, ""),
    ]
    assert rolling_summary(report) == (
        "In the 12 months to February 2024: no final plans issued excluding exceptions"
    )


def test_rolling_12_months_cross_the_year_boundary(issued):
    report = compliance_report(date(2024, 10, 1), date(2024, 11, 1))
    assert report.rolling_first_month == date(2023, 12, 1)
    # December 2023 to November 2024: the 13 in August-November plus 1 December 2023.
    assert (report.rolling.excluding, report.rolling.excluding_within) == (14, 5)
    assert (report.rolling.issued, report.rolling.issued_within) == (16, 6)
    assert rolling_summary(report) == (
        "In the 12 months to November 2024: 14 issued excluding exceptions, "
        "5 within 20 weeks (35.7%)"
    )
    # The rolling figure ends with the range's last month, whatever its first month.
    assert compliance_report(date(2024, 11, 1), date(2024, 11, 1)).rolling == report.rolling


def test_bad_ranges_are_explained():
    with pytest.raises(ReportError, match="same as or after"):
        compliance_report(date(2024, 9, 1), date(2024, 8, 1))
    with pytest.raises(ReportError, match="10 years or less"):
        compliance_report(date(2014, 1, 1), date(2024, 1, 1))


def _table(soup):
    return [
        [cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
        for tr in soup.select("#compliance-table tbody tr")
    ]


def test_page_shows_the_table_the_rolling_figure_and_the_chart(issued, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/compliance?start=2024-08&end=2024-11")
    assert soup.title.get_text().startswith("20-week compliance")
    assert _table(soup) == [
        ["August 2024", "3", "2", "66.7%", "2", "1", "50.0%"],
        ["September 2024", "0", "0", "– no plans issued", "0", "0", "– no plans issued"],
        ["October 2024", "9", "1", "11.1%", "8", "1", "12.5%"],
        ["November 2024", "3", "2", "66.7%", "3", "2", "66.7%"],
        ["Total", "15", "5", "33.3%", "13", "4", "30.8%"],
    ]
    assert soup.select_one("#compliance-rolling").get_text(strip=True) == (
        "In the 12 months to November 2024: 14 issued excluding exceptions, "
        "5 within 20 weeks (35.7%)"
    )
    image = soup.select_one("#compliance-chart img")
    assert image["src"] == "/reports/compliance.svg?start=2024-08&end=2024-11"
    assert image["alt"].startswith("Line chart of ") and "the data is in the table" in image["alt"]
    assert "August 2024 to November 2024" in soup.select_one("#compliance-chart figcaption").text
    link = soup.select_one("#compliance-csv")
    assert link.get_text() == "Download this table (CSV)"
    assert link["href"] == "/reports/compliance.csv?start=2024-08&end=2024-11"
    # Nothing inline: the page's CSP forbids it.
    assert not soup.select("[style]") and not soup.select("style")


@freeze_time("2024-11-30 23:30:00")  # GMT: still 30 November in London
def test_page_defaults_to_the_12_months_up_to_this_month(issued, client_for):
    soup = client_for(Role.MANAGER).page("/reports/compliance")
    rows = _table(soup)
    assert [row[0] for row in rows] == [
        "December 2023",
        *[f"{date(2024, m, 1):%B} 2024" for m in range(1, 12)],
        "Total",
    ]
    assert rows[-1] == ["Total", "16", "6", "37.5%", "14", "5", "35.7%"]
    assert soup.select_one("#start")["value"] == "2023-12"
    assert soup.select_one("#end")["value"] == "2024-11"


def test_htmx_request_returns_the_results_fragment(issued, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/reports/compliance?start=2024-08&end=2024-08", htmx=True)
    assert soup.select_one("h1") is None
    assert _table(soup)[0] == ["August 2024", "3", "2", "66.7%", "2", "1", "50.0%"]
    assert soup.select_one("#compliance-chart img") is not None
    page = manager.page("/reports/compliance")
    form = page.select_one("form[hx-get]")
    assert form["action"] == form["hx-get"] == "/reports/compliance"
    assert form["hx-target"] == "#compliance-report" and form["hx-push-url"] == "true"


def test_csv_download_has_exactly_the_six_columns(issued, client_for):
    manager = client_for(Role.MANAGER)
    response = manager.get("/reports/compliance.csv?start=2024-08&end=2024-11")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="compliance-2024-08-to-2024-11.csv"'
    )
    assert response.get_data(as_text=True).splitlines() == EXPECTED_CSV
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(CSV_HEADER)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None and event.detail == "compliance 2024-08..2024-11"
    assert event.actor_id == manager.user.id


def test_chart_is_an_svg_with_its_own_headers(issued, client_for):
    monitor = client_for(Role.MONITOR)
    response = monitor.get("/reports/compliance.svg?start=2024-08&end=2024-11")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<?xml") and "<svg" in body
    assert (
        "<title>Final plans issued within 20 weeks, excluding exceptions, "
        "August 2024 to November 2024</title>" in body
    )
    assert "<desc>Percentage by month of issue. August 2024: 50.0%; " in body
    assert "September 2024: no plans issued;" in body
    assert "#1d70b8" in body and "<script" not in body
    again = monitor.get("/reports/compliance.svg?start=2024-08&end=2024-11")
    assert again.get_data() == response.get_data()  # deterministic bytes


def test_chart_function_is_deterministic_and_handles_empty_months(issued):
    rows = compliance_report(date(2024, 8, 1), date(2024, 11, 1)).rows
    assert compliance_chart_svg(rows) == compliance_chart_svg(rows)
    empty = compliance_report(date(2020, 1, 1), date(2029, 12, 1)).rows  # 120 months, no plans
    svg = compliance_chart_svg(empty)
    assert b"<title>" in svg and b"January 2020 to December 2029" in svg


def test_invalid_months_show_error_summary(client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/reports/compliance?start=2024-13&end=2024-11")
    assert soup.title.get_text().startswith("Error: 20-week compliance")
    summary = soup.select_one(".govuk-error-summary")
    assert "Enter the first month as a year and month" in summary.get_text()
    assert summary.select_one("a")["href"] == "#start"
    assert soup.select_one("#compliance-table") is None
    soup = manager.page("/reports/compliance?start=2024-09&end=2024-08")
    summary = soup.select_one(".govuk-error-summary")
    assert "The end month must be the same as or after the start month" in summary.get_text()
    assert summary.select_one("a")["href"] == "#end"
    soup = manager.page("/reports/compliance?start=2024-09&end=", htmx=True)
    assert "Enter the last month" in soup.select_one(".govuk-error-summary").get_text()
    assert manager.get("/reports/compliance.csv?start=bad&end=2024-08").status_code == 400
    assert manager.get("/reports/compliance.svg?start=2024-09&end=2024-08").status_code == 400


def test_cli_writes_the_same_csv(issued, app, tmp_path):
    out = tmp_path / "compliance.csv"
    runner = app.test_cli_runner()
    args = ["report", "compliance", "--from", "2024-08", "--to", "2024-11"]
    result = runner.invoke(args=[*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == EXPECTED_CSV
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == EXPECTED_CSV


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-8", "--to", "2024-11"], "year and month"),
        (["--from", "2024-08", "--to", "November"], "year and month"),
        (["--from", "2024-11", "--to", "2024-08"], "same as or after"),
        (["--from", "2024-08"], "Missing option '--to'"),
    ],
)
def test_cli_rejects_bad_arguments(app, args, message):
    result = app.test_cli_runner().invoke(args=["report", "compliance", *args])
    assert result.exit_code == 2
    assert message in result.output
