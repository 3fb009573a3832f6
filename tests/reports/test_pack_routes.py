"""The monitoring pack page, its CSV and XLSX downloads, its charts, print and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    Case,
    QualityCheck,
    QualityScore,
    Role,
    SendBack,
    SendBackReason,
    WorkType,
)
from provider_portal.quality.rubric import SECTION_CODES
from provider_portal.reports.pack.figures import build_pack
from provider_portal.reports.pack.sheets import pack_sheets
from provider_portal.reports.scope import Scope
from tests.reports.test_pack import build_dataset

TODAY = "2025-04-15 10:00:00"
SVG = "http://www.w3.org/2000/svg"
QUERY = "contract=CON-A&start=2025-02&end=2025-04"


@pytest.fixture
def data(make):
    return build_dataset(make)


def _cells(table) -> list[list[str]]:
    return [
        [" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["th", "td"])]
        for tr in table.select("tbody tr")
    ]


# --- the page ----------------------------------------------------------------------------------


@freeze_time(TODAY)
def test_page_shows_every_table_for_a_contract(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?{QUERY}")
    assert soup.select_one("#pack-scope").get_text(strip=True) == "Contract CON-A (Northbrook)"
    assert "15 April 2025" in soup.select_one("#pack-summary").get_text()
    assert _cells(soup.select_one("#pack-cohort")) == [
        ["February 2025", "3", "2", "1"],
        ["March 2025", "5", "3", "2"],
        ["April 2025", "3", "1", "2"],  # d2 declined on 20 April, after the as-of date
        ["Total", "11", "6", "5"],
    ]
    by_type = _cells(soup.select_one("#pack-cohort-by-work-type"))
    assert by_type[3] == ["Draft EHC plan", "Total", "1", "0", "1"]
    assert by_type[-1] == ["Educational psychology advice", "Total", "10", "6", "4"]
    assert _cells(soup.select_one("#pack-flow")) == [
        # On time (statutory): the advice back in 31 days was late for the contract's 30
        # but well within reg 8's six weeks.
        ["February 2025", "4", "4", "100.0%", "30", "42", "1", "25.0%", "1", "0", "1"],
        ["March 2025", "3", "3", "100.0%", "20", "31", "1", "33.3%", "1", "1", "0"],
        ["April 2025", "2", "2", "100.0%", "13", "22", "0", "0.0%", "1", "0", "0"],
        ["Total", "9", "9", "100.0%", "22", "42", "2", "22.2%", "3", "1", "1"],
    ]
    method = soup.select_one("#pack-percentile-method").get_text()
    assert "nearest-rank" in method and "⌈0.9 × n⌉" in method
    assert _cells(soup.select_one("#pack-targets")) == [
        ["February 2025", "3", "4", "Not met", "75.0% (3 of 4)", "75%", "Met"]
        + ["25.0% (1 of 4)", "25%", "Met"],
        ["March 2025", "5", "4", "Met", "66.7% (2 of 3)", "75%", "Not met"]
        + ["33.3% (1 of 3)", "25%", "Not met"],
        ["April 2025", "3", "4", "Month not over", "100.0% (2 of 2)", "75%", "Met"]
        + ["0.0% (0 of 2)", "25%", "Met"],
    ]
    tags = soup.select("#pack-targets .govuk-tag")
    assert {t.get_text(strip=True): t["class"][1] for t in tags} == {
        "Met": "govuk-tag--green",
        "Not met": "govuk-tag--red",
        "Month not over": "govuk-tag--grey",
    }
    assert soup.select_one("#pack-capacity").get_text(strip=True) == "5"
    # 16 cases past 20 weeks (5 with the provider, 9 with their work back and no plan, 2
    # never taken on), none coming: at 5 returns in 8 weeks, ceil(16 × 8 / 5) = 26 weeks.
    assert soup.select_one("#pack-backlog-total").get_text(" ", strip=True) == (
        "16 With a provider: 5 Advice back, plan not issued: 9 Not yet allocated: 2"
    )
    assert soup.select_one("#pack-inflow").get_text(strip=True) == "0"
    # The stated 5 a month (1.15 a week) is above the recent 0.625 a week: no cap.
    assert soup.select_one("#pack-rate").get_text(strip=True) == (
        "5 returned in the last 8 weeks (0.63 a week)"
    )
    assert soup.select_one("#pack-clears-on").get_text(strip=True) == "14 October 2025"
    assert soup.select_one("#pack-clears-this-year").get_text(strip=True) == "Yes"
    method = soup.select_one("#pack-forecast-method").get_text()
    assert "The rate is the work that first came back in the 8 weeks" in method
    assert "reach 20 weeks that week without a final plan join the backlog" in method
    assert "The providers' stated capacity, 5 pieces a month" in method
    backlog = _cells(soup.select_one("#pack-backlog"))
    assert backlog[:3] == [
        ["28 Feb 2025", "2", "– none"],
        ["31 Mar 2025", "4", "– none"],
        ["15 Apr 2025", "5", "16"],
    ]
    cost_rows = [row[0] for row in _cells(soup.select_one("#pack-cost"))]
    assert cost_rows == [
        "Original estimate",
        "Additional estimate",
        "Total",
        "Funding agreed",
        "Remaining to fund",
    ]
    assert _cells(soup.select_one("#pack-spend"))[-1] == [
        "April 2025",
        "£1,000.00",
        "£4,000.00",
        "£12,000.00",
        "£16,000.00",
    ]


@freeze_time(TODAY)
def test_charts_are_images_beside_their_tables(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?{QUERY}")
    for name, table in (
        ("allocated-returned", "#pack-cohort"),
        ("backlog", "#pack-backlog"),
        ("spend", "#pack-spend"),
    ):
        figure = soup.select_one(f"#pack-chart-{name}")
        image = figure.find("img")
        assert image["alt"].endswith(
            ("(the data is in the table beside it)", "(the data is in the table below it)")
        )
        assert image["src"].startswith(f"/reports/pack/chart/{name}.svg?")
        assert "contract=CON-A" in image["src"]
        section = figure.find_parent("section")
        assert section.select_one(table) is not None


@freeze_time(TODAY)
def test_page_links_every_download(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?{QUERY}")
    tables = ["cohort", "cohort-by-work-type", "flow", "targets", "forecast", "cost"]
    for table in [*tables, "backlog", "spend"]:
        link = soup.select_one(f"#pack-csv-{table}")
        assert link is not None, table
        assert f"table={table.replace('-', '_')}" in link["href"]
        assert "contract=CON-A" in link["href"] and "as_of=15" in link["href"]
    assert soup.select_one("#pack-xlsx")["href"].startswith("/reports/pack.xlsx?")


@freeze_time(TODAY)
def test_without_a_contract_there_are_no_targets(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/pack?start=2025-02&end=2025-04")
    assert soup.select_one("#pack-scope").get_text(strip=True) == "All providers"
    assert (
        soup.select_one("#pack-targets").get_text(strip=True)
        == "Choose a contract to compare against its targets."
    )
    assert soup.select_one("#pack-csv-targets") is None
    # Clearwater's return on 5 February joins the figures.
    assert _cells(soup.select_one("#pack-flow"))[0][:2] == ["February 2025", "5"]
    soup = monitor.page(f"/reports/pack?provider={data.other.id}&start=2025-02&end=2025-04")
    assert soup.select_one("#pack-scope").get_text(strip=True) == "Clearwater"
    assert soup.select_one("#pack-targets").get_text(strip=True).startswith("Choose a contract")


@freeze_time(TODAY)
def test_htmx_gets_the_report_fragment(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?{QUERY}", htmx=True)
    assert soup.select_one("#pack-cohort") is not None
    # The only form is the choices, swapped in out of band (without errors, as they are right).
    forms = soup.find_all("form")
    assert [form.get("hx-swap-oob") for form in forms] == ["true"]
    assert forms[0].select_one(".govuk-error-message") is None


@freeze_time(TODAY)
def test_an_htmx_error_is_shown_beside_its_field_as_well_as_in_the_summary(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/pack?contract=CON-A&start=2025-04&end=2025-02", htmx=True)
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None and soup.select_one("#pack-cohort") is None
    form = soup.select_one("form#pack-filters[hx-swap-oob=true]")
    assert form is not None and form.select(".govuk-error-message")
    for link in summary.select(".govuk-error-summary__list a"):
        assert form.select_one(link["href"]) is not None, link["href"]
    response = monitor.get(f"/reports/pack?{QUERY}", htmx=True)
    assert "HX-Request" in response.headers.get("Vary", "")


@freeze_time("2025-03-31 23:30:00")  # 00:30 on 1 April in London (BST began on 30 March)
def test_as_of_defaults_to_today_in_london_across_the_year_end(data, client_for):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/pack?contract=CON-A&start=2025-02&end=2025-04")
    assert "1 April 2025" in soup.select_one("#pack-summary").get_text()
    april = _cells(soup.select_one("#pack-flow"))[2]
    # r8 came back on 1 April; r7 was accepted then.
    assert april[:2] == ["April 2025", "1"] and april[8] == "1"
    assert soup.select_one("#pack-cost thead").get_text(" ", strip=True).startswith("2024-25")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"contract=CON-A&provider={{provider}}&{QUERY[15:]}", "not both"),
        ("contract=NOPE&start=2025-02&end=2025-04", "Select a contract from the list"),
        ("provider=999999&start=2025-02&end=2025-04", "Select a provider from the list"),
        ("start=2022-01&end=2025-04", "Choose a range of 36 months or less"),
        ("start=2025-04&end=2025-02", "The end month must be the same as or after"),
        ("start=April&end=2025-02", "Enter the first month as a year and month"),
    ],
)
@freeze_time(TODAY)
def test_mistakes_are_explained(data, client_for, query, message):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page("/reports/pack?" + query.format(provider=data.provider.id))
    assert soup.title.get_text().startswith("Error: ")
    assert message in soup.select_one(".govuk-error-summary").get_text()
    assert soup.select_one("#pack-cohort") is None
    response = monitor.get("/reports/pack.csv?table=flow&" + query.format(provider=1))
    assert response.status_code == 400
    assert monitor.get("/reports/pack.xlsx?" + query.format(provider=1)).status_code == 400
    chart = monitor.get("/reports/pack/chart/spend.svg?" + query.format(provider=1))
    assert chart.status_code == 400


def test_unknown_table_or_chart_is_not_found(data, client_for):
    monitor = client_for(Role.MONITOR)
    assert monitor.get(f"/reports/pack.csv?table=users&{QUERY}").status_code == 404
    assert monitor.get(f"/reports/pack/chart/pie.svg?{QUERY}").status_code == 404


# --- CSV ---------------------------------------------------------------------------------------


HEADERS = {
    "cohort": ["month", "allocated", "returned", "outstanding"],
    "cohort_by_work_type": ["month", "work_type", "allocated", "returned", "outstanding"],
    "flow": [
        "month",
        "returned",
        "returned_on_time_statutory",
        "on_time_statutory_percent",
        "median_days",
        "p90_days",
        "sent_back_for_amendment",
        "rework_percent",
        "accepted",
        "declined",
        "withdrawn",
    ],
    "targets": [
        "month",
        "allocated",
        "monthly_volume",
        "volume",
        "stated_monthly_capacity",
        "returned",
        "returned_on_time_contract",
        "on_time_contract_percent",
        "on_time_target_percent",
        "on_time_contract",
        "sent_back_for_amendment",
        "rework_percent",
        "max_rework_percent",
        "rework",
    ],
    "forecast": ["measure", "value"],
    "cost": ["row", "2024-25", "2025-26", "total"],
    "backlog": ["day", "outstanding_actual", "backlog_forecast"],
    "spend": [
        "month",
        "actual",
        "committed",
        "cumulative_actual",
        "cumulative_actual_and_committed",
        "contract_value",
    ],
}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("table", list(HEADERS))
@freeze_time(TODAY)
def test_each_csv_has_its_header(data, client_for, table):
    monitor = client_for(Role.MONITOR)
    response = monitor.get(f"/reports/pack.csv?table={table}&{QUERY}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    filename = f"pack-CON-A-{table.replace('_', '-')}-2025-02-to-2025-04.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.get_data(as_text=True).startswith(",".join(HEADERS[table]) + "\r\n")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None
    assert event.detail == f"pack {table} 2025-02..2025-04 as_of=2025-04-15"
    assert (event.object_type, event.object_id) == ("contract", data.contract.id)
    assert event.provider_id == data.provider.id


@freeze_time(TODAY)
def test_csv_rows(data, client_for):
    monitor = client_for(Role.MONITOR)
    cohort = _csv(monitor.get(f"/reports/pack.csv?table=cohort&{QUERY}"))
    assert cohort[1:] == [
        ["2025-02", "3", "2", "1"],
        ["2025-03", "5", "3", "2"],
        ["2025-04", "3", "1", "2"],
        ["Total", "11", "6", "5"],
    ]
    flow = _csv(monitor.get(f"/reports/pack.csv?table=flow&{QUERY}"))
    assert flow[1] == ["2025-02", "4", "4", "100.0", "30", "42", "1", "25.0", "1", "0", "1"]
    targets = _csv(monitor.get(f"/reports/pack.csv?table=targets&{QUERY}"))
    assert targets[2] == ["2025-03", "5", "4", "Met", "5", "3", "2", "66.7", "75", "Not met"] + [
        "1",
        "33.3",
        "25",
        "Not met",
    ]
    spend = _csv(monitor.get(f"/reports/pack.csv?table=spend&{QUERY}"))
    assert spend[1] == ["2025-02", "1000.00", "6000.00", "1000.00", "7000.00", "50000.00"]
    forecast = dict(_csv(monitor.get(f"/reports/pack.csv?table=forecast&{QUERY}"))[1:])
    assert forecast["as_of"] == "2025-04-15"
    assert forecast["clears_on"] == "2025-10-14"
    assert forecast["backlog"] == "16"
    assert forecast["stated_monthly_capacity"] == "5"
    assert forecast["clears_this_financial_year"] == "yes"
    assert forecast["weekly_rate"] == "0.625"
    backlog = _csv(monitor.get(f"/reports/pack.csv?table=backlog&{QUERY}"))
    assert backlog[1:4] == [["2025-02-28", "2", ""], ["2025-03-31", "4", ""]] + [
        ["2025-04-15", "5", "16"]
    ]


@freeze_time(TODAY)
def test_csv_neutralises_formulas(data, client_for):
    monitor = client_for(Role.MONITOR)
    work_type = db.session.scalar(select(WorkType).where(WorkType.code == "plan_writing"))
    work_type.name = '=HYPERLINK("http://evil.example","x")'
    db.session.commit()
    rows = _csv(monitor.get(f"/reports/pack.csv?table=cohort_by_work_type&{QUERY}"))
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert not any(name.startswith("=") for name in names)


# --- XLSX --------------------------------------------------------------------------------------


SHEETS = [
    "About",
    "Cohort",
    "Cohort by work type",
    "Flow",
    "Targets",
    "Forecast",
    "Cost to clear",
    "Backlog",
    "Spend",
    "Send-back reasons",
    "Quality rubric",
    "Where the time goes",
]


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.data))


@freeze_time(TODAY)
def test_xlsx_has_one_sheet_per_table_with_real_cells(data, client_for):
    monitor = client_for(Role.MONITOR)
    response = monitor.get(f"/reports/pack.xlsx?{QUERY}")
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "pack-CON-A-2025-02-to-2025-04.xlsx" in response.headers["Content-Disposition"]
    book = _workbook(response)
    assert book.sheetnames == SHEETS

    cohort = book["Cohort"]
    assert [c.value for c in cohort[1]] == ["month", "allocated", "returned", "outstanding"]
    assert all(c.font.bold for c in cohort[1])
    assert cohort.freeze_panes == "A2"
    month = cohort["A2"]
    assert month.is_date and month.value == datetime(2025, 2, 1)
    assert month.number_format == "mmm yyyy"
    assert [cohort.cell(2, i).value for i in range(2, 5)] == [3, 2, 1]
    assert all(cohort.cell(2, i).data_type == "n" for i in range(2, 5))
    assert cohort["A5"].value == "Total" and cohort["B5"].value == 11
    assert cohort.column_dimensions["A"].width == 12
    assert cohort.column_dimensions["D"].width == 13

    flow = book["Flow"]
    assert flow["D2"].value == pytest.approx(1) and flow["D2"].number_format == "0.0%"
    assert flow["E2"].value == 30 and flow["F2"].value == 42

    spend = book["Spend"]
    amount = spend["E4"]  # April: actual to date £4,000 + committed £12,000
    assert amount.data_type == "n" and amount.value == 16000
    assert amount.number_format == '"£"#,##0.00;-"£"#,##0.00'
    assert spend.column_dimensions["E"].width == 30

    backlog = book["Backlog"]
    assert backlog["A4"].is_date and backlog["A4"].value == datetime(2025, 4, 15)
    assert backlog["A4"].number_format == "d mmm yyyy"
    assert backlog["C2"].value is None and backlog["C4"].value == 16

    forecast = {row[0].value: row[1] for row in book["Forecast"].iter_rows(min_row=2)}
    assert forecast["clears_on"].is_date
    assert forecast["clears_on"].value == datetime(2025, 10, 14)
    assert forecast["outstanding_allocated_work"].value == 5
    assert forecast["clears_this_financial_year"].value == "Yes"

    cost = book["Cost to clear"]
    assert [c.value for c in cost[1]] == ["row", "2024-25", "2025-26", "total"]
    assert cost["B2"].data_type == "n"
    assert cost["B2"].number_format == '"£"#,##0.00;-"£"#,##0.00'

    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Scope"] == "Contract CON-A (Northbrook)"
    assert about["As of"] == datetime(2025, 4, 15)
    assert "nearest-rank" in about["Turnaround percentiles"]


@freeze_time(TODAY)
def test_xlsx_neutralises_formula_looking_names(make, client_for):
    data = build_dataset(make, contract_name="=2+5")
    data.contract.title = "-1+1 @SUM(A1)"
    db.session.commit()
    monitor = client_for(Role.MONITOR)
    book = _workbook(monitor.get(f"/reports/pack.xlsx?{QUERY}"))
    about = {row[0].value: row[1] for row in book["About"].iter_rows()}
    assert about["Contract title"].value == "'-1+1 @SUM(A1)"
    assert about["Contract title"].data_type == "s"
    book = _workbook(
        monitor.get(f"/reports/pack.xlsx?provider={data.provider.id}&start=2025-02&end=2025-04")
    )
    scope = {row[0].value: row[1] for row in book["About"].iter_rows()}["Scope"]
    assert scope.value == "'=2+5" and scope.data_type == "s"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"


@freeze_time(TODAY)
def test_xlsx_for_everything_has_an_empty_targets_sheet(data, client_for):
    monitor = client_for(Role.MONITOR)
    book = _workbook(monitor.get("/reports/pack.xlsx?start=2025-02&end=2025-04"))
    targets = book["Targets"]
    assert targets.max_row == 1 and targets["A1"].value == "month"


# --- charts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chart", "title", "described"),
    [
        (
            "allocated-returned",
            "Work allocated and returned by month of allocation, February 2025 to April 2025",
            "February 2025: 3 allocated, 2 returned; March 2025: 5 allocated, 3 returned",
        ),
        (
            "backlog",
            "Outstanding work at each month end, and the forecast backlog",
            "28 February 2025: 2; 31 March 2025: 4; 15 April 2025: 5. Forecast backlog",
        ),
        (
            "spend",
            "Spend against contract value, February 2025 to April 2025",
            "April 2025: £4,000.00 spent to date, £16,000.00 with committed",
        ),
    ],
)
@freeze_time(TODAY)
def test_chart_svgs_have_title_and_desc_and_are_deterministic(
    data, client_for, chart, title, described
):
    monitor = client_for(Role.MONITOR)
    url = f"/reports/pack/chart/{chart}.svg?{QUERY}"
    first = monitor.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "image/svg+xml"
    assert first.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    svg = ElementTree.fromstring(first.data)
    # The accessible name and description are the first children of the <svg> element.
    assert [child.tag for child in svg[:2]] == [f"{{{SVG}}}title", f"{{{SVG}}}desc"]
    assert title in svg[0].text
    assert described in svg[1].text
    assert b"<script" not in first.data
    assert monitor.get(url).data == first.data


# --- print -------------------------------------------------------------------------------------


@freeze_time(TODAY)
def test_print_stylesheet_is_linked_and_makes_an_a4_board_paper(data, client_for, app):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?{QUERY}")
    links = [link["href"] for link in soup.select('link[rel="stylesheet"]')]
    assert any(href.startswith("/static/portal.css") for href in links)
    assert soup.select_one("#pack-report.portal-pack") is not None
    assert soup.find("style") is None and soup.find(style=True) is None
    assert soup.select_one("form.portal-filters") is not None
    css = Path(app.static_folder, "portal.css").read_text()
    served = monitor.get("/static/portal.css")
    assert served.status_code == 200 and served.get_data(as_text=True) == css
    # What printing hides and how the charts fit the page is checked in Chromium
    # (tests/browser/test_pack_print.py); here, that the rules exist where the page links.
    assert "@media print" in css and "@page { size: A4" in css
    assert ".portal-pack thead { display: table-header-group; }" in css
    # The download links are for the screen only.
    for link in soup.select("#pack-report a[download]"):
        assert "portal-no-print" in link.find_parent("p")["class"]


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_writes_the_workbook(data, app, tmp_path):
    output = tmp_path / "pack.xlsx"
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "pack",
            "--contract",
            "con-a",
            "--from",
            "2025-02",
            "--to",
            "2025-04",
            "--as-of",
            "2025-04-15",
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "CON-A" in result.output
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == SHEETS
    assert book["Cohort"]["B5"].value == 11
    assert book["Flow"]["E2"].value == 30
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event.detail == "pack xlsx 2025-02..2025-04 as_of=2025-04-15 via=cli"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--contract", "NOPE"], "No contract 'NOPE'"),
        (["--contract", "CON-A", "--as-of", "15/04/2025"], "Enter the date as YYYY-MM-DD"),
        (["--contract", "CON-A", "--to", "2028-02"], "Choose a range of 36 months or less"),
    ],
)
def test_cli_explains_mistakes(data, app, tmp_path, args, message):
    base = {"--from": "2025-02", "--to": "2025-04", "--output": str(tmp_path / "p.xlsx")}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [part for pair in base.items() for part in pair]
    result = app.test_cli_runner().invoke(args=["report", "pack", *flat])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "p.xlsx").exists()


# --- queries -----------------------------------------------------------------------------------


def _more_work(contract, n: int) -> None:
    work_types = db.session.scalars(select(WorkType).order_by(WorkType.id)).all()[:2]
    for i in range(n):
        case = Case(
            case_ref=f"QP{n}-{i:04d}",
            first_name="Sam",
            last_name=f"Count{i}",
            date_of_birth=date(2014, 1, 1),
            request_received_on=date(2024, 6, 1),
        )
        db.session.add(case)
        allocated = date(2025, 1, 1) + timedelta(days=i % 100)
        returned = allocated + timedelta(days=10 + i % 40) if i % 3 else None
        allocation = Allocation(
            case=case,
            provider_id=contract.provider_id,
            contract_id=contract.id,
            work_type=work_types[i % 2],
            allocated_on=allocated,
            due_on=allocated + timedelta(days=42),
            status=AllocationStatus.RETURNED if returned else AllocationStatus.ALLOCATED,
            returned_on=returned,
            accepted_on=returned + timedelta(days=3) if returned and i % 2 else None,
            amendment_count=1 if i % 5 == 0 and returned else 0,
            amendment_requested_on=returned if i % 5 == 0 and returned else None,
        )
        db.session.add(allocation)
        if i % 5 == 0 and returned:
            reasons = db.session.scalars(select(SendBackReason).limit(1 + i % 3)).all()
            db.session.add(
                SendBack(allocation=allocation, requested_on=returned, reasons=list(reasons))
            )
        if returned and i % 2:
            scores = [QualityScore(section=code, score=i % 3) for code in SECTION_CODES]
            db.session.add(QualityCheck(allocation=allocation, checked_on=returned, scores=scores))
    db.session.commit()


@pytest.mark.parametrize(
    ("url", "most"),
    [
        # The send-back reasons and the quality rubric: one aggregate each; the stages read
        # the plan-writing work types first.
        (f"/reports/pack?{QUERY}", 23),
        ("/reports/pack?start=2024-05&end=2025-04", 23),
        # The workbook also writes its audit row (and SQLite begins a second transaction).
        (f"/reports/pack.xlsx?{QUERY}", 25),
    ],
)
@freeze_time(TODAY)
def test_queries_do_not_grow_with_data(data, client_for, count_queries, url, most):
    manager = client_for(Role.MANAGER)

    def count() -> int:
        count_queries.clear()
        response = manager.get(url)
        assert response.status_code == 200
        return len(count_queries)

    _more_work(data.contract, 5)
    small = count()
    _more_work(data.contract, 60)
    large = count()
    assert small == large
    if db.engine.dialect.name == "postgresql":
        # Two lanes (reports.together): the snapshot exported; in each lane, it imported and
        # parallel plans switched off.
        most += 5
    else:
        # Two lanes: the count of changes read by the caller and by each lane.
        most += 3
    assert large <= most, count_queries


def test_money_is_never_a_float_in_the_rows(data):
    pack = build_pack(
        Scope(contract=data.contract), date(2025, 2, 1), date(2025, 4, 1), date(2025, 4, 15)
    )
    for sheet in pack_sheets(pack).values():
        for row in sheet.rows:
            assert not any(isinstance(value, float) for value in row), (sheet.name, row)
    assert isinstance(pack.value, Decimal)
