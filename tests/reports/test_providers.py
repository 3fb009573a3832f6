"""The league table: its figures on hand-made work, the page, the CSV, the chart and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    QualityCheck,
    QualityScore,
    Role,
    SendBack,
    SendBackReason,
)
from provider_portal.reports.providers.figures import CSV_HEADER, league_table

TODAY = "2025-04-15 10:00:00"
HEADER = (
    "provider,allocated,returned,outstanding,declined,withdrawn,on_time_statutory_percent,"
    "on_time_contract_percent,mean_days,median_days,p90_days,first_time_right_percent,"
    "sendbacks_per_100,cost_per_accepted_output"
)
QUERY = "start=2025-01&end=2025-03&as_of=31&as_of=3&as_of=2025"


def reason(code: str) -> SendBackReason:
    found = db.session.scalar(select(SendBackReason).where(SendBackReason.code == code))
    if found is None:
        found = SendBackReason(
            code=code, label=code.replace("_", " ").capitalize(), applies_to="plan"
        )
        db.session.add(found)
        db.session.commit()
    return found


def send_back(allocation, on: date, *codes: str) -> SendBack:
    row = SendBack(allocation=allocation, requested_on=on, reasons=[reason(c) for c in codes])
    allocation.amendment_count = (allocation.amendment_count or 0) + 1
    allocation.amendment_requested_on = on
    db.session.add(row)
    db.session.commit()
    return row


def rubric(allocation, on: date, *scores: int) -> QualityCheck:
    check = QualityCheck(
        allocation=allocation,
        checked_on=on,
        scores=[QualityScore(section=chr(65 + i), score=s) for i, s in enumerate(scores)],
    )
    db.session.add(check)
    db.session.commit()
    return check


def build_league(make):
    """North (a contract priced at 900 for EP advice, capacity 10, two practitioners) and South
    (no contract), with work across January to March 2025."""
    north, south = make.provider("North"), make.provider("South")
    contract = make.contract(
        provider=north,
        reference="CON-N",
        prices={"ep_advice": "900", "plan_writing": "1800"},
        stated_monthly_capacity=10,
    )
    ada = make.user(Role.PRACTITIONER, provider=north, name="Ada Practitioner")
    bo = make.user(Role.PRACTITIONER, provider=north, name="Bo Practitioner")

    def work(provider, allocated, returned=None, accepted=None, **kw):
        status = AllocationStatus.ALLOCATED
        if returned:
            status = AllocationStatus.RETURNED
        if accepted:
            status = AllocationStatus.ACCEPTED
        if kw.get("withdrawn_on"):
            status = AllocationStatus.WITHDRAWN
        if kw.get("declined_on"):
            status = AllocationStatus.DECLINED
        return make.allocation(
            provider=provider,
            contract=contract if provider is north else None,
            allocated_on=allocated,
            returned_on=returned,
            accepted_on=accepted,
            status=status,
            **kw,
        )

    # North: 10, 20 and 30 days to return; one late against the contract (42 days' turnaround
    # for EP advice by default? see the work type) but in time for reg 8.
    a1 = work(north, date(2025, 1, 6), date(2025, 1, 16), date(2025, 1, 20), assigned_to=ada)
    a2 = work(north, date(2025, 1, 10), date(2025, 1, 30), date(2025, 2, 10), assigned_to=ada)
    a3 = work(north, date(2025, 2, 3), date(2025, 3, 5), date(2025, 3, 20), assigned_to=bo)
    work(north, date(2025, 3, 3), assigned_to=bo)  # still out
    work(north, date(2025, 3, 4), declined_on=date(2025, 3, 5))
    send_back(a2, date(2025, 2, 1), "outcomes_not_smart", "provision_not_specific")
    send_back(a2, date(2025, 2, 5), "outcomes_not_smart")
    send_back(a3, date(2025, 3, 10), "views_missing")
    rubric(a1, date(2025, 1, 20), 2, 2, 1)
    rubric(a3, date(2025, 3, 20), 2, 1, 0)
    # South: one returned in 50 days, accepted; one withdrawn.
    s1 = work(south, date(2025, 1, 2), date(2025, 2, 21), date(2025, 2, 25))
    work(south, date(2025, 2, 2), withdrawn_on=date(2025, 2, 20))
    # Allocated the day before the as-of date; what happened after it does not count.
    work(south, date(2025, 3, 30), date(2025, 4, 2), date(2025, 4, 3))
    return {"north": north, "south": south, "a1": a1, "a2": a2, "a3": a3, "s1": s1, "ada": ada}


@pytest.fixture
def data(make):
    return build_league(make)


def test_the_rows_on_hand_made_work(data):
    league = league_table(date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31), practitioners=True)
    north = league.provider(data["north"].id)
    south = league.provider(data["south"].id)
    assert north is not None and south is not None
    assert (north.allocated, north.returned, north.outstanding) == (4, 3, 1)
    assert (north.declined, north.withdrawn) == (1, 0)
    assert (north.mean_days, north.median_days, north.p90_days) == (Decimal("20.0"), 20, 30)
    assert north.first_time_right_percent == Decimal("33.3")  # a1 only, of a1 a2 a3
    assert north.sendbacks_per_100 == Decimal("100.0")  # 3 requests, 3 returns
    # Most often given first; ties in the administrator's list order, as in the pack.
    assert [(r.label, r.count) for r in north.top_reasons] == [
        ("Outcomes are not SMART", 2),
        ("Provision is not specific or quantified", 1),
        ("Parental or child's views are missing", 1),
    ]
    assert north.rubric_average == Decimal("1.33")  # 8 points over 6 sections
    assert north.cost_per_accepted_output == Decimal("900.00")
    # March: the work still out (the declined piece, declined by then, is not counted).
    assert (north.allocated_this_month, north.capacity) == (1, 10)
    assert (south.allocated, south.returned, south.withdrawn) == (2, 1, 1)
    assert (south.mean_days, south.cost_per_accepted_output) == (Decimal("50.0"), None)
    assert south.first_time_right_percent == Decimal("100.0")
    total = league.total
    assert total.name == "All providers"
    assert (total.allocated, total.returned, total.declined, total.withdrawn) == (6, 4, 1, 1)
    assert (total.median_days, total.p90_days, total.mean_days) == (20, 50, Decimal("27.5"))
    by_name = {p.name: p for p in league.providers[0].practitioners}
    assert set(by_name) == {"Ada Practitioner", "Bo Practitioner", "Not assigned"}
    assert by_name["Ada Practitioner"].first_time_right_percent == Decimal("50.0")
    assert by_name["Bo Practitioner"].outstanding == 1


def test_practitioners_only_when_asked(data):
    league = league_table(date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31))
    assert all(p.practitioners == [] for p in league.providers)


@freeze_time(TODAY)
def test_page_for_a_monitor(data, client_for):
    soup = client_for(Role.MONITOR).page(f"/reports/providers?{QUERY}")
    rows = soup.select("#providers-table tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["North", "South", "All providers"]
    assert "Ada Practitioner" in soup.select_one("#practitioners").get_text()
    assert soup.select_one("#providers-stages")


@freeze_time(TODAY)
def test_csv_header_and_rows(data, client_for):
    response = client_for(Role.MANAGER).get(f"/reports/providers.csv?{QUERY}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == HEADER == ",".join(CSV_HEADER)
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["North", "South", "All providers"]
    assert rows[1] == ["North", "4", "3", "1", "1", "0", "100.0", "100.0", "20.0", "20", "30"] + [
        "33.3",
        "100.0",
        "900.00",
    ]
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
        is not None
    )


@freeze_time(TODAY)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.MONITOR, Role.ADMIN])
def test_council_roles_see_practitioners_by_name(data, client_for, role):
    soup = client_for(role).page(f"/reports/providers?{QUERY}")
    details = soup.select_one(f"#practitioners-{data['north'].id}")
    names = [r.th.get_text(strip=True) for r in details.select("tbody tr")]
    assert names == ["Ada Practitioner", "Bo Practitioner", "Not assigned"]


@freeze_time(TODAY)
@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_providers_cannot_open_the_league_table(data, client_for, role):
    client = client_for(role, provider=data["north"])
    for url in ("/reports/providers", "/reports/providers.csv", "/reports/providers/chart.svg"):
        assert client.get(f"{url}?{QUERY}").status_code == 403


def test_practitioner_names_policy():
    from provider_portal.permissions import POLICIES

    assert POLICIES["view_practitioner_names"] == {Role.ADMIN, Role.MANAGER, Role.MONITOR}


@freeze_time(TODAY)
def test_defaults_are_the_last_12_complete_months_and_today(data, client_for):
    soup = client_for(Role.MANAGER).page("/reports/providers")
    assert soup.select_one("#start")["value"] == "2024-04"
    assert soup.select_one("#end")["value"] == "2025-03"
    text = soup.select_one("#providers-report").get_text(" ", strip=True)
    assert "April 2024 to March 2025, as of 15 April 2025" in text


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13&end=2025-03", "Enter the first month as a year and month"),
        ("start=2025-03&end=2025-01", "The end month must be the same as or after the start"),
        ("start=2020-01&end=2025-03", "Choose a range of 36 months or less"),
        ("start=2025-01&end=2025-03&work_type=nonsense", "Not a valid choice"),
        ("start=2025-01&end=2025-03&as_of=31&as_of=2&as_of=2025", "date"),
    ],
)
def test_mistakes_are_explained(data, client_for, query, message):
    client = client_for(Role.MANAGER)
    soup = client.page(f"/reports/providers?{query}", status=200)
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None and message in summary.get_text()
    assert soup.select_one("#providers-table") is None
    assert client.get(f"/reports/providers.csv?{query}").status_code == 400
    assert client.get(f"/reports/providers/stages.csv?{query}").status_code == 400


@freeze_time(TODAY)
def test_htmx_gets_the_fragment(data, client_for):
    soup = client_for(Role.MANAGER).page(f"/reports/providers?{QUERY}", htmx=True)
    assert soup.select_one("#providers-table") is not None and soup.h1 is None


@freeze_time(TODAY)
def test_work_type_filter(data, client_for, make):
    make.allocation(provider=data["south"], work_type="plan_writing", allocated_on=date(2025, 2, 1))
    everything = league_table(date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31))
    plans = league_table(
        date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31), make.work_type("plan_writing")
    )
    assert everything.total.allocated == 7 and plans.total.allocated == 1
    response = client_for(Role.MANAGER).get(
        f"/reports/providers.csv?{QUERY}&work_type=plan_writing"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[-1][:2] == ["All providers", "1"]


@freeze_time(TODAY)
def test_chart_is_svg_with_its_table_beside_it(data, client_for):
    client = client_for(Role.MONITOR)
    soup = client.page(f"/reports/providers?{QUERY}")
    image = soup.select_one("#providers-chart img")
    assert image["src"].startswith("/reports/providers/chart.svg?")
    table = soup.select_one("#providers-chart-table")
    assert [r.get_text(" ", strip=True) for r in table.select("tbody tr")] == [
        "North 100.0% 33.3%",
        "South 0.0% 100.0%",
        "All providers 75.0% 50.0%",
    ]
    response = client.get(image["src"])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "North: on time (statutory) 100.0%, first time right 33.3%" in svg


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["report", "providers", *args])


def test_cli_writes_the_table(data, app, tmp_path):
    output = tmp_path / "league.csv"
    result = _cli(
        app,
        "--from",
        "2025-01",
        "--to",
        "2025-03",
        "--as-of",
        "2025-03-31",
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    lines = output.read_text().splitlines()
    assert lines[0] == HEADER
    assert [line.split(",")[0] for line in lines[1:]] == ["North", "South", "All providers"]
    assert lines[1] == "North,4,3,1,1,0,100.0,100.0,20.0,20,30,33.3,100.0,900.00"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None and "via=cli" in (event.detail or "")


def test_cli_to_standard_output_and_by_work_type(data, app):
    result = _cli(
        app,
        "--from",
        "2025-01",
        "--to",
        "2025-03",
        "--as-of",
        "2025-03-31",
        "--work-type",
        "plan_writing",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == HEADER
    assert lines[-1].startswith("All providers,0,0,0,0,0,")


@freeze_time(TODAY)
def test_cli_as_of_defaults_to_today(data, app):
    result = _cli(app, "--from", "2025-01", "--to", "2025-04")
    # Today (15 April) the Apr 2 return and Apr 3 acceptance count.
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("All providers,6,5,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-13", "--to", "2025-03"], "Enter the first month as a year and month"),
        (["--from", "2025-03", "--to", "2025-01"], "The end month must be the same as or after"),
        (["--from", "2020-01", "--to", "2025-03"], "Choose a range of 36 months or less"),
        (["--from", "2025-01", "--to", "2025-03", "--as-of", "31/03/2025"], "YYYY-MM-DD"),
        (["--from", "2025-01", "--to", "2025-03", "--work-type", "nope"], "No work type 'nope'"),
        (["--to", "2025-03"], "Missing option '--from'"),
    ],
)
def test_cli_explains_mistakes(data, app, tmp_path, args, message):
    output = tmp_path / "league.csv"
    result = _cli(app, *args, "--output", str(output))
    assert result.exit_code == 2
    assert message in result.output
    assert not output.exists()


def test_query_count_does_not_grow(make, client_for, count_queries):
    data = build_league(make)
    url = f"/reports/providers?{QUERY}"

    def count() -> int:
        count_queries.clear()
        client.page(url)
        return len(count_queries)

    with freeze_time(TODAY):
        client = client_for(Role.MANAGER)
        small = count()
        for n in range(6):
            provider = make.provider(f"More {n}")
            person = make.user(Role.PRACTITIONER, provider=provider)
            for day in range(1, 6):
                work = make.allocation(
                    provider=provider,
                    allocated_on=date(2025, 1, day),
                    returned_on=date(2025, 2, day),
                    accepted_on=date(2025, 2, day + 1),
                    status=AllocationStatus.ACCEPTED,
                    assigned_to=person,
                )
                send_back(work, date(2025, 2, day), "outcomes_not_smart", f"reason_{n}")
                rubric(work, date(2025, 2, day + 1), 1, 2)
        send_back(data["a1"], date(2025, 1, 17), "views_missing")
        large = count()
    assert small == large, (small, large)
