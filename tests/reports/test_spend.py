"""Spend by financial year and month, contract values and cost per output, from a small
hand-made set of contracts and allocations; the page, the CSV and `flask report spend`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    ContractStatus,
    ContractVariation,
    Role,
)
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import (
    CSV_HEADER,
    SpendMonth,
    SpendRow,
    cost_per_output,
    csv_rows,
    scope_value,
    spend_by_financial_year,
    spend_by_month,
    totals_by_year,
    uncosted_count,
)

EP = "Educational psychology advice"
PLAN = "Draft EHC plan"
D = Decimal


def _vary(contract, amount, approved_on=date(2025, 1, 10)):
    db.session.add(
        ContractVariation(
            contract=contract,
            amount=D(amount),
            approved_on=approved_on,
            reason="More cases",
            approval_reference="EB-1",
        )
    )
    db.session.commit()


@pytest.fixture
def bought(make):
    """Acme under CON-A (value £10,000 + £2,000 variation): advice at £1,000, £1,200 for work
    allocated from 1 March 2025; plans at £500. Beta under CON-B (£5,000): advice at £900,
    £950.01 from 1 June 2025. Gamma has no contract.

    a1 advice, allocated 1 Jun 2024, accepted 31 Mar 2025 (2024-25)      £1,000
    a2 advice, allocated 28 Feb 2025, accepted 1 Apr 2025 (2025-26)      £1,000 (old price)
    a3 advice, allocated 1 Mar 2025, still with Acme                     £1,200 (new price)
    a4 plan, allocated 1 May 2025, returned 1 Jun 2025, not accepted     £500
    a5 advice, allocated 10 Apr 2025, withdrawn 1 May 2025               nothing after that
    a6 advice, allocated 10 Apr 2025, declined 12 Apr 2025               nothing after that
    a7 OT advice (no price in CON-A), allocated 1 May 2025, open         not costed
    b1 advice, allocated 1 May 2025, accepted 1 Jul 2025                 £900
    b2 advice, allocated 2 Jun 2025, accepted 15 Jul 2025                £950.01
    c1 Gamma advice (no contract), allocated 1 May 2025, accepted 1 Jun  not costed
    """
    acme, beta, gamma = (make.provider(n) for n in ("Acme", "Beta", "Gamma"))
    con_a = make.contract(
        provider=acme,
        reference="CON-A",
        value="10000",
        prices={"ep_advice": "1000", "plan_writing": "500"},
    )
    make.price(con_a, "ep_advice", "1200", date(2025, 3, 1))
    _vary(con_a, "2000")
    con_b = make.contract(
        provider=beta, reference="CON-B", value="5000", prices={"ep_advice": "900"}
    )
    make.price(con_b, "ep_advice", "950.01", date(2025, 6, 1))

    def a(provider, contract, allocated_on, work_type="ep_advice", **kwargs):
        return make.allocation(
            provider=provider,
            contract=contract,
            allocated_on=allocated_on,
            work_type=work_type,
            **kwargs,
        )

    accepted = AllocationStatus.ACCEPTED
    a(
        acme,
        con_a,
        date(2024, 6, 1),
        status=accepted,
        returned_on=date(2025, 3, 20),
        accepted_on=date(2025, 3, 31),
    )
    a(
        acme,
        con_a,
        date(2025, 2, 28),
        status=accepted,
        returned_on=date(2025, 3, 25),
        accepted_on=date(2025, 4, 1),
    )
    a(acme, con_a, date(2025, 3, 1))
    a(
        acme,
        con_a,
        date(2025, 5, 1),
        "plan_writing",
        status=AllocationStatus.RETURNED,
        returned_on=date(2025, 6, 1),
    )
    a(
        acme,
        con_a,
        date(2025, 4, 10),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2025, 5, 1),
    )
    a(
        acme,
        con_a,
        date(2025, 4, 10),
        status=AllocationStatus.DECLINED,
        declined_on=date(2025, 4, 12),
    )
    a(acme, con_a, date(2025, 5, 1), "ot_advice")
    a(
        beta,
        con_b,
        date(2025, 5, 1),
        status=accepted,
        returned_on=date(2025, 6, 20),
        accepted_on=date(2025, 7, 1),
    )
    a(
        beta,
        con_b,
        date(2025, 6, 2),
        status=accepted,
        returned_on=date(2025, 7, 10),
        accepted_on=date(2025, 7, 15),
    )
    a(
        gamma,
        None,
        date(2025, 5, 1),
        status=accepted,
        returned_on=date(2025, 5, 20),
        accepted_on=date(2025, 6, 1),
    )
    return {"acme": acme, "beta": beta, "gamma": gamma, "con_a": con_a, "con_b": con_b}


def test_spend_by_financial_year(bought):
    rows = spend_by_financial_year(date(2025, 8, 1))
    assert rows == [
        SpendRow(2024, "CON-A", "Acme", EP, D("1200.00"), D("1000.00")),
        SpendRow(2025, "CON-A", "Acme", PLAN, D("500.00"), D("0.00")),
        SpendRow(2025, "CON-A", "Acme", EP, D("0.00"), D("1000.00")),
        SpendRow(2025, "CON-B", "Beta", EP, D("0.00"), D("1850.01")),
    ]
    assert uncosted_count(date(2025, 8, 1)) == 2  # OT advice under CON-A, Gamma's work
    years, total = totals_by_year(rows)
    assert [(y.financial_year, y.committed, y.actual) for y in years] == [
        (2024, D("1200.00"), D("1000.00")),
        (2025, D("500.00"), D("2850.01")),
    ]
    assert (total.committed, total.actual, total.total) == (
        D("1700.00"),
        D("3850.01"),
        D("5550.01"),
    )


def test_acceptance_on_31_march_and_1_april_fall_in_different_years(bought):
    # On 31 March 2025: a1 accepted that day counts in 2024-25; a2 (allocated in February
    # at the old price) and a3 (new price) are committed in 2024-25.
    assert spend_by_financial_year(date(2025, 3, 31)) == [
        SpendRow(2024, "CON-A", "Acme", EP, D("2200.00"), D("1000.00")),
    ]
    # On 1 April a2's acceptance is spend in 2025-26; its commitment has gone.
    assert spend_by_financial_year(date(2025, 4, 1)) == [
        SpendRow(2024, "CON-A", "Acme", EP, D("1200.00"), D("1000.00")),
        SpendRow(2025, "CON-A", "Acme", EP, D("0.00"), D("1000.00")),
    ]


def test_withdrawn_and_declined_work_commits_nothing_once_taken_back(bought):
    con_a = Scope(contract=bought["con_a"])
    # 11 April: both allocated the day before at £1,200, neither yet withdrawn nor declined.
    rows = spend_by_financial_year(date(2025, 4, 11), con_a)
    assert [r for r in rows if r.financial_year == 2025] == [
        SpendRow(2025, "CON-A", "Acme", EP, D("2400.00"), D("1000.00")),
    ]
    # 12 April: declined that day; 1 May: withdrawn that day.
    rows = spend_by_financial_year(date(2025, 4, 12), con_a)
    assert [r.committed for r in rows if r.financial_year == 2025] == [D("1200.00")]
    rows = spend_by_financial_year(date(2025, 5, 1), con_a)
    assert [(r.work_type_name, r.committed) for r in rows if r.financial_year == 2025] == [
        (PLAN, D("500.00")),
        (EP, D("0.00")),
    ]


def test_scope_by_contract_and_by_provider(bought):
    as_of = date(2025, 8, 1)
    beta = spend_by_financial_year(as_of, Scope(provider=bought["beta"]))
    assert beta == [SpendRow(2025, "CON-B", "Beta", EP, D("0.00"), D("1850.01"))]
    assert spend_by_financial_year(as_of, Scope(contract=bought["con_b"])) == beta
    assert spend_by_financial_year(as_of, Scope(provider=bought["gamma"])) == []
    assert uncosted_count(as_of, Scope(provider=bought["gamma"])) == 1
    assert uncosted_count(as_of, Scope(contract=bought["con_b"])) == 0


def test_scope_value_adds_variations(bought, make):
    assert scope_value(Scope(contract=bought["con_a"])) == D("12000.00")
    assert scope_value(Scope(provider=bought["beta"])) == D("5000.00")
    assert scope_value(Scope(provider=bought["gamma"])) == D("0.00")
    # An ended contract's money was still agreed.
    make.contract(provider=bought["gamma"], value="300.50", status=ContractStatus.ENDED)
    assert scope_value(Scope()) == D("17300.50")


def test_spend_by_month(bought):
    months = spend_by_month(
        Scope(contract=bought["con_a"]), date(2025, 2, 1), date(2025, 5, 1), date(2025, 4, 15)
    )
    assert months == [
        # End of February: a1 (£1,000) and a2 allocated that day (£1,000) committed.
        SpendMonth(date(2025, 2, 1), D("0.00"), D("2000.00"), D("0.00")),
        # March: a1 accepted on the 31st; a2 and a3 (£1,200) committed at the month's end.
        SpendMonth(date(2025, 3, 1), D("1000.00"), D("2200.00"), D("1000.00")),
        # April is measured on 15 April: a2 accepted on the 1st; a3 and a5 (allocated on the
        # 10th at £1,200, withdrawn only in May) committed; a6 declined on the 12th.
        SpendMonth(date(2025, 4, 1), D("1000.00"), D("2400.00"), D("2000.00")),
        # May is after the as-of date: nothing more is spent, the commitment stays as on 15 April.
        SpendMonth(date(2025, 5, 1), D("0.00"), D("2400.00"), D("2000.00")),
    ]


def test_spend_by_month_running_total_starts_before_the_range(bought):
    months = spend_by_month(
        Scope(contract=bought["con_a"]), date(2025, 6, 1), date(2025, 6, 1), date(2025, 8, 1)
    )
    # Accepted before June: £1,000 in March and £1,000 in April.
    assert months == [SpendMonth(date(2025, 6, 1), D("0.00"), D("1700.00"), D("2000.00"))]


def test_cost_per_output(bought):
    rows = cost_per_output(date(2025, 8, 1))
    assert [
        (r.financial_year, r.provider_name, r.work_type_name, r.accepted, r.actual, r.uncosted)
        for r in rows
    ] == [
        (2024, "Acme", EP, 1, D("1000.00"), 0),
        (2025, "Acme", EP, 1, D("1000.00"), 0),
        (2025, "Beta", EP, 2, D("1850.01"), 0),
        (2025, "Gamma", EP, 0, D("0.00"), 1),
    ]
    # £1,850.01 / 2 = £925.005: halves round up to the penny.
    assert [r.cost_per_output for r in rows] == [
        D("1000.00"),
        D("1000.00"),
        D("925.01"),
        None,
    ]
    assert [r.financial_year for r in cost_per_output(date(2025, 3, 31))] == [2024]


def test_csv_rows_are_plain_numbers(bought):
    rows = csv_rows(spend_by_financial_year(date(2025, 8, 1)))
    assert CSV_HEADER == (
        "financial_year",
        "contract",
        "provider",
        "work_type",
        "committed",
        "actual",
    )
    # Numbers, not text, so the CSV's formula guard leaves them (and negative ones) alone.
    assert rows[0] == ("2024-25", "CON-A", "Acme", EP, D("1200.00"), D("1000.00"))
    assert rows[-1] == ("2025-26", "CON-B", "Beta", EP, D("0.00"), D("1850.01"))
    assert [str(amount) for amount in rows[-1][4:]] == ["0.00", "1850.01"]


EXPECTED_CSV = (
    "financial_year,contract,provider,work_type,committed,actual\r\n"
    "2024-25,CON-A,Acme,Educational psychology advice,1200.00,1000.00\r\n"
    "2025-26,CON-A,Acme,Draft EHC plan,500.00,0.00\r\n"
    "2025-26,CON-A,Acme,Educational psychology advice,0.00,1000.00\r\n"
    "2025-26,CON-B,Beta,Educational psychology advice,0.00,1850.01\r\n"
)


@freeze_time("2025-08-01 12:00:00")
def test_page_shows_the_table_and_totals_for_today(bought, client_for):
    soup = client_for(Role.MONITOR).page("/reports/spend")
    assert soup.select_one("#as_of-day")["value"] == "1"
    table = soup.select_one("#spend-table")
    cells = [
        [c.get_text(" ", strip=True) for c in tr.select("th, td")]
        for tr in table.select("tbody tr")
    ]
    assert cells == [
        ["2024-25", "CON-A", "Acme", EP, "£1,200.00", "£1,000.00"],
        ["Total for 2024-25", "£1,200.00", "£1,000.00"],
        ["2025-26", "CON-A", "Acme", PLAN, "£500.00", "£0.00"],
        ["2025-26", "CON-A", "Acme", EP, "£0.00", "£1,000.00"],
        ["2025-26", "CON-B", "Beta", EP, "£0.00", "£1,850.01"],
        ["Total for 2025-26", "£500.00", "£2,850.01"],
        ["Total", "£1,700.00", "£3,850.01"],
    ]
    summary = soup.select_one("#spend-summary").get_text(" ", strip=True)
    # £17,000 of contracts less £3,850.01 spent and £1,700 committed.
    assert "£17,000.00" in summary
    assert "£11,449.99" in summary
    assert "2 pieces of work with no contract" in summary


def test_page_filters_by_contract_and_as_of(bought, client_for):
    con_a = bought["con_a"]
    soup = client_for(Role.MANAGER).page(
        f"/reports/spend?as_of=31&as_of=3&as_of=2025&contract={con_a.id}"
    )
    assert "Contract CON-A (Acme)" in soup.select_one("#spend-report h2").get_text()
    assert soup.select_one("#spend-total-committed").get_text(strip=True) == "£2,200.00"
    assert soup.select_one("#spend-total-actual").get_text(strip=True) == "£1,000.00"
    assert "£12,000.00" in soup.select_one("#spend-summary").get_text()


def test_contract_and_provider_together_is_an_error(bought, client_for):
    client = client_for(Role.MANAGER)
    url = f"/reports/spend?contract={bought['con_a'].id}&provider={bought['beta'].id}"
    soup = client.page(url)
    assert soup.title.get_text(strip=True).startswith("Error: ")
    assert (
        "Choose a contract or a provider, not both"
        in soup.select_one(".govuk-error-summary").get_text()
    )
    assert soup.select_one("#spend-table") is None
    assert client.get(url.replace("/spend?", "/spend.csv?")).status_code == 400


def test_htmx_request_gets_the_fragment(bought, client_for):
    soup = client_for(Role.MANAGER).page("/reports/spend?as_of=1&as_of=8&as_of=2025", htmx=True)
    assert soup.select_one("#spend-table") is not None


@freeze_time("2025-08-01 12:00:00")
def test_csv_download_is_audited(bought, client_for):
    client = client_for(Role.MANAGER)
    response = client.get("/reports/spend.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="spend-2025-08-01.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == EXPECTED_CSV
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None
    assert event.detail == "spend as_of=2025-08-01 scope=all"
    assert event.actor_id == client.user.id


def test_csv_neutralises_formulas(make, client_for):
    provider = make.provider("=HYPERLINK(1)")
    contract = make.contract(provider=provider, reference="+CON", prices={"ep_advice": "10"})
    make.allocation(provider=provider, contract=contract, allocated_on=date(2025, 5, 1))
    text = (
        client_for(Role.MANAGER)
        .get("/reports/spend.csv?as_of=1&as_of=8&as_of=2025")
        .get_data(as_text=True)
    )
    assert "'+CON,'=HYPERLINK(1)," in text


def test_cli_writes_the_same_csv(bought, app, tmp_path):
    target = tmp_path / "spend.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["report", "spend", "--as-of", "2025-08-01", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().decode("utf-8") == EXPECTED_CSV
    result = runner.invoke(args=["report", "spend", "--as-of", "2025-03-31"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        ",".join(CSV_HEADER),
        "2024-25,CON-A,Acme,Educational psychology advice,2200.00,1000.00",
    ]


@freeze_time("2025-08-01 12:00:00")
def test_cli_defaults_to_today_and_rejects_bad_dates(bought, app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "spend"])
    assert result.exit_code == 0
    assert result.output.replace("\r\n", "\n") == EXPECTED_CSV.replace("\r\n", "\n")
    result = runner.invoke(args=["report", "spend", "--as-of", "1/8/2025"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
