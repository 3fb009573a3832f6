"""The Freedom of Information answers: every figure from a small hand-made council, the page,
its CSV, and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    Case,
    CaseException,
    Role,
)
from provider_portal.reports.foi.queries import CSV_HEADER, ProviderSpend, csv_rows, foi_report
from provider_portal.reports.forecast import FUNDING, REMAINING, TOTAL
from provider_portal.tabular import write_csv

D = Decimal
AS_OF = date(2025, 11, 20)
ACCEPTED = AllocationStatus.ACCEPTED


def _except(case, applies_to="final_plan"):
    db.session.add(CaseException(case=case, applies_to=applies_to, reason="school_holiday"))
    db.session.commit()


@pytest.fixture
def council(make):
    """Acme under CON-A (£10,000; advice £1,000, plans £600); Beta under CON-B (£3,000;
    advice £900).

    a1 Acme advice, allocated 10 Jan 2025, accepted 31 Mar 2025        £1,000 in 2024-25
    a2 Acme plan, allocated 20 Mar 2025, accepted 1 Apr 2025           £600 in 2025-26
    a3 Acme advice, returned 20 Oct 2025 (in the 8 weeks), accepted    £1,000 in 2025-26
    a4 Beta advice, returned 10 Nov 2025 (in the 8 weeks), accepted    £900 in 2025-26
    a5 Beta advice, allocated 1 Oct 2025, still out                    £900 committed
    a6 Acme advice, allocated 1 Aug 2025, withdrawn 1 Sep 2025         nothing
    Their cases were requested on 1 May 2024: all more than 26 weeks overdue, no plans.
    Other cases past 20 weeks with no plan and no work: 2 Jul 2025 (1 day overdue, with an
    exception), 1 Jun 2025 (32 days), 1 Mar 2025 (124 days). Not past 20 weeks: 3 Jul 2025.
    Final plans: 21 May 2025 (day 140), 22 May 2025 (day 141), 1 Jun 2025 (day 120, an
    exception), 5 Nov 2025 and 31 Oct 2024 (both outside the 12 months to October 2025).
    """
    acme, beta = make.provider("Acme"), make.provider("Beta")
    con_a = make.contract(
        provider=acme,
        reference="CON-A",
        value="10000",
        prices={"ep_advice": "1000", "plan_writing": "600"},
    )
    con_b = make.contract(
        provider=beta, reference="CON-B", value="3000", prices={"ep_advice": "900"}
    )

    def a(provider, contract, allocated_on, work_type="ep_advice", **kwargs):
        make.allocation(
            provider=provider,
            contract=contract,
            allocated_on=allocated_on,
            work_type=work_type,
            **kwargs,
        )

    a(
        acme,
        con_a,
        date(2025, 1, 10),
        status=ACCEPTED,
        returned_on=date(2025, 3, 1),
        accepted_on=date(2025, 3, 31),
    )
    a(
        acme,
        con_a,
        date(2025, 3, 20),
        "plan_writing",
        status=ACCEPTED,
        returned_on=date(2025, 3, 30),
        accepted_on=date(2025, 4, 1),
    )
    a(
        acme,
        con_a,
        date(2025, 9, 1),
        status=ACCEPTED,
        returned_on=date(2025, 10, 20),
        accepted_on=date(2025, 10, 25),
    )
    a(
        beta,
        con_b,
        date(2025, 9, 1),
        status=ACCEPTED,
        returned_on=date(2025, 11, 10),
        accepted_on=date(2025, 11, 12),
    )
    a(beta, con_b, date(2025, 10, 1))
    a(
        acme,
        con_a,
        date(2025, 8, 1),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2025, 9, 1),
    )

    _except(make.case(request_received_on=date(2025, 7, 2)))
    make.case(request_received_on=date(2025, 6, 1))
    make.case(request_received_on=date(2025, 3, 1))
    make.case(request_received_on=date(2025, 7, 3))

    def plan(requested, days):
        return make.case(
            request_received_on=requested, final_plan_issued_on=requested + timedelta(days=days)
        )

    plan(date(2025, 1, 1), 140)
    plan(date(2025, 1, 1), 141)
    _except(plan(date(2025, 2, 1), 120))
    plan(date(2025, 6, 1), 157)
    plan(date(2024, 6, 15), 138)
    return {"acme": acme, "beta": beta}


def test_backlog_and_delayed_cases(council):
    report = foi_report(AS_OF)
    delayed = report.delayed
    assert (delayed.total, delayed.with_exception) == (9, 1)
    # One backlog: a5 is with Beta; a1-a4 came back with no plan; a6 (withdrawn) and the
    # three cases nobody was given are not yet allocated.
    backlog = report.backlog
    assert (backlog.with_provider, backlog.advice_back, backlog.not_allocated) == (1, 4, 4)
    assert backlog.total == delayed.total == report.forecast.backlog
    assert delayed.bands == [
        ("Up to 4 weeks overdue", 1),
        ("4 to 12 weeks overdue", 1),
        ("12 to 26 weeks overdue", 1),
        ("More than 26 weeks overdue", 6),
    ]
    assert report.answer("backlog").answer == (
        "9 cases past 20 weeks without a final plan on 20 November 2025: 1 with an "
        "external provider, 4 with the provider's advice back but the plan not yet issued, "
        "and 4 not yet allocated to a provider."
    )
    assert report.answer("backlog").detail == [
        "With a provider: 1",
        "Advice back, plan not issued: 4",
        "Not yet allocated: 4",
    ]
    assert report.answer("delayed").detail[0] == "Up to 4 weeks overdue: 1"


def test_forecast_over_two_years_and_not_clearing_this_year(council):
    report = foi_report(AS_OF)
    result = report.forecast
    # 9 cases, and 3 July's case joins in the first week; 2 back in the 8 weeks: 0.25 a week.
    # After 21 weeks 9 + 1 - 5.25 = 4.75 are left: 19 more weeks, 40 in all.
    assert (result.outstanding, result.unallocated, result.weekly_rate) == (1, 4, D("0.25"))
    assert result.inflow == (1,) + (0,) * 20
    assert result.clears_on == date(2026, 8, 27)
    assert result.clears_this_financial_year is False
    assert report.projection == [
        (date(2025, 12, 31), 9),  # 5 whole weeks: 10 - 1.25 = 8.75
        (date(2026, 3, 31), 6),  # 18 weeks: 10 - 4.5 = 5.5
        (date(2026, 6, 30), 3),  # 31 weeks: 10 - 7.75 = 2.25
        (date(2026, 9, 30), 0),
        (date(2026, 12, 31), 0),
        (date(2027, 3, 31), 0),
        (date(2027, 6, 30), 0),
        (date(2027, 9, 30), 0),
    ]
    assert report.answer("clears").answer == (
        "No. It is forecast to clear by 27 August 2026, after the end of this financial year "
        "on 31 March 2026."
    )
    method = report.answer("forecast").method
    assert "(1 case over the next 21 weeks)" in method
    assert "No cap applies" in method
    assert "1 had work with a provider that had not come back, 4 had all their" in method
    assert report.answer("forecast").answer.startswith(
        "At 0.25 cases a week, the backlog of 9 (with 1 more case reaching 20 weeks over the "
        "coming weeks) is forecast to clear by 27 August 2026."
    )


def test_cost_to_clear_with_funding_left_over(council):
    cost = foi_report(AS_OF).forecast.cost
    assert cost.column_labels == ["2024-25", "2025-26", "2026-27"]
    # Advice averages £1,000 and £900; with the £600 plan a case costs £1,550. 18 weeks to
    # 31 March at 0.25 a week brings 4 back this year: a5 (£900) and 3 of the 5 cases with no
    # work (4 now, 1 reaching 20 weeks in the first week); 2 cases next year.
    assert cost.unit_cost == D("1550.00")
    assert cost.cases_to_buy == 5
    rows = {row.label: (row.by_year, row.total) for row in cost.rows}
    assert rows[TOTAL] == ([D("1000"), D("8050"), D("3100")], D("12150"))
    assert rows[FUNDING] == ([D("1000"), D("8050"), D("3950")], D("13000"))
    assert rows[REMAINING] == ([D("0"), D("0"), D("-850")], D("-850"))
    answer = foi_report(AS_OF).answer("cost")
    assert answer.answer == (
        "An estimated £12,150.00 in total, against £13,000.00 agreed in contracts: the "
        "funding agreed exceeds it by £850.00."
    )
    assert (
        answer.detail[2]
        == "Total: 2024-25 £1,000.00; 2025-26 £8,050.00; 2026-27 £3,100.00; total £12,150.00"
    )


def test_providers_spend_and_cost_per_output(council):
    report = foi_report(AS_OF)
    assert [(p.name, p.allocated, p.first_allocated_on) for p in report.providers] == [
        ("Acme", 4, date(2025, 1, 10)),
        ("Beta", 2, date(2025, 9, 1)),
    ]
    assert report.answer("providers").answer == (
        "Yes. 2 providers had been given work by 20 November 2025: Acme (4 pieces), "
        "Beta (2 pieces)."
    )
    assert report.spend == [
        ProviderSpend(2024, "Acme", D("0"), D("1000")),
        ProviderSpend(2025, "Acme", D("0"), D("1600")),
        ProviderSpend(2025, "Beta", D("900"), D("900")),
    ]
    assert report.spend_years == [(2024, D("0"), D("1000")), (2025, D("900"), D("2500"))]
    assert report.answer("spend").answer == (
        "£3,500.00 spent on work accepted up to 20 November 2025, and £900.00 committed to "
        "work allocated but not yet accepted."
    )
    assert [
        (o.financial_year, o.provider_name, o.work_type_name, o.accepted, o.cost_per_output)
        for o in report.cost_per_output
    ] == [
        (2024, "Acme", "Educational psychology advice", 1, D("1000.00")),
        (2025, "Acme", "Draft EHC plan", 1, D("600.00")),
        (2025, "Acme", "Educational psychology advice", 1, D("1000.00")),
        (2025, "Beta", "Educational psychology advice", 1, D("900.00")),
    ]


def test_twenty_week_figures_for_the_last_twelve_whole_months(council):
    report = foi_report(AS_OF)
    assert (report.compliance_first_month, report.compliance_last_month) == (
        date(2024, 11, 1),
        date(2025, 10, 1),
    )
    assert report.answer("twenty-weeks").answer == (
        "From November 2024 to October 2025: 2 of 3 final plans issued within 20 weeks "
        "(66.7%); excluding exception cases, 1 of 2 (50.0%)."
    )
    # On the last day of a month, that month is whole.
    last_day = foi_report(date(2025, 10, 31))
    assert last_day.compliance_last_month == date(2025, 10, 1)


def test_the_1_april_boundary_moves_spend_into_the_next_year(council):
    on_31_march = foi_report(date(2025, 3, 31))
    assert on_31_march.spend_years == [(2024, D("600"), D("1000"))]
    on_1_april = foi_report(date(2025, 4, 1))
    assert on_1_april.spend_years == [(2024, D("0"), D("1000")), (2025, D("0"), D("600"))]


def test_no_providers_and_no_returns(make):
    report = foi_report(AS_OF)
    assert report.answer("providers").answer == (
        "No. No work had been allocated to an external provider by 20 November 2025."
    )
    assert report.forecast.clears_on == AS_OF
    make.case(request_received_on=date(2025, 1, 1))
    report = foi_report(AS_OF)
    assert report.forecast.clears_on is None
    assert report.answer("clears").answer == (
        "No. Nothing came back in the last 8 weeks, so at the current rate the backlog does "
        "not clear."
    )
    assert "does not clear" in report.answer("forecast").answer


def test_clears_this_year(make):
    provider = make.provider("Acme")
    make.allocation(
        provider=provider,
        allocated_on=date(2025, 10, 1),
        status=AllocationStatus.RETURNED,
        returned_on=date(2025, 11, 1),
    )
    make.case(request_received_on=date(2025, 1, 1))
    answer = foi_report(AS_OF).answer("clears").answer
    # 2 cases (the returned work's, and the one never allocated) at 1 every 8 weeks: 16 weeks.
    assert answer == (
        "Yes. It is forecast to clear by 12 March 2026, on or before the end of this "
        "financial year on 31 March 2026."
    )


@freeze_time("2025-11-20 12:00:00")
def test_page_answers_every_question_with_date_and_method(council, client_for):
    soup = client_for(Role.MONITOR).page("/reports/foi")
    sections = soup.select("#foi-answers section")
    assert [s["id"] for s in sections] == [
        "answer-backlog",
        "answer-forecast",
        "answer-clears",
        "answer-cost",
        "answer-providers",
        "answer-spend",
        "answer-cost-per-output",
        "answer-delayed",
        "answer-twenty-weeks",
        "answer-advice-time",
    ]
    for section in sections:
        assert section.select_one(".foi-as-of").get_text(strip=True) == "As of 20 November 2025."
        assert section.select_one("details .govuk-details__text p").get_text(strip=True)
    cost_rows = [
        [c.get_text(strip=True) for c in tr.select("th, td")]
        for tr in soup.select("#foi-cost tbody tr")
    ]
    assert cost_rows[-1] == ["Remaining to fund", "£0.00", "£0.00", "−£850.00", "−£850.00"]
    assert soup.select_one("#foi-projection tbody tr td").get_text(strip=True) == "9"
    parts = [
        [c.get_text(strip=True) for c in tr.select("th, td")]
        for tr in soup.select("#foi-backlog tbody tr")
    ]
    assert parts == [
        ["With a provider", "1"],
        ["Advice back, plan not issued", "4"],
        ["Not yet allocated", "4"],
        ["Backlog", "9"],
    ]
    assert "9 cases past 20 weeks" in soup.select_one("#answer-backlog .foi-answer").get_text()


def test_average_time_to_return_advice_by_type(council, make):
    # An OT report back in 20 days, and one outside the 12 months (December 2024 on).
    for allocated, returned in (
        (date(2025, 10, 1), date(2025, 10, 21)),
        (date(2024, 10, 1), date(2024, 11, 30)),
    ):
        make.allocation(
            provider=council["beta"],
            work_type="ot_advice",
            allocated_on=allocated,
            returned_on=returned,
            status=AllocationStatus.RETURNED,
        )
    report = foi_report(AS_OF)
    assert report.advice_first_month == date(2024, 12, 1)
    times = {row.work_type_name: (row.returned, row.mean_days) for row in report.advice_times}
    # EP advice: 50 (a1), 49 (a3) and 70 (a4) days; the plan is not advice.
    assert times["Educational psychology advice"] == (3, D("56.3"))
    assert times["Occupational therapy advice"] == (1, D("20.0"))
    assert "Draft EHC plan" not in times
    answer = report.answer("advice-time")
    assert answer.answer.startswith("From December 2024 to 20 November 2025, on average: ")
    assert "Educational psychology advice 56.3 days" in answer.answer
    assert "Educational psychology advice: 56.3 days on average, 3 pieces returned" in answer.detail


def test_average_time_to_return_advice_is_the_league_tables_mean(council):
    from provider_portal.reports.providers.figures import league_table

    league = league_table(date(2024, 12, 1), date(2025, 11, 1), AS_OF, make_ep())
    [ep] = [row for row in foi_report(AS_OF).advice_times if row.work_type_name.startswith("Educ")]
    assert league.total.mean_days == ep.mean_days


def make_ep():
    from provider_portal.reports.monthly.queries import work_type_by_code

    return work_type_by_code("ep_advice")


def test_page_for_another_date_and_a_bad_date(council, client_for):
    client = client_for(Role.MANAGER)
    soup = client.page("/reports/foi?as_of=31&as_of=3&as_of=2025")
    assert "As of 31 March 2025." in soup.select_one("#answer-spend").get_text()
    soup = client.page("/reports/foi?as_of=31&as_of=2&as_of=2025")
    assert soup.title.get_text(strip=True).startswith("Error: ")
    assert soup.select_one("#foi-answers section") is None
    assert client.get("/reports/foi.csv?as_of=31&as_of=2&as_of=2025").status_code == 400


def test_htmx_request_gets_the_answers_fragment(council, client_for):
    soup = client_for(Role.MANAGER).page("/reports/foi?as_of=20&as_of=11&as_of=2025", htmx=True)
    assert len(soup.select("section")) == 10


@freeze_time("2025-11-20 12:00:00")
def test_csv_has_one_row_per_question_and_is_audited(council, client_for):
    client = client_for(Role.MANAGER)
    response = client.get("/reports/foi.csv")
    assert response.status_code == 200
    assert 'filename="foi-answers-2025-11-20.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 11
    assert {row[2] for row in rows[1:]} == {"2025-11-20"}
    cost = next(row for row in rows if row[0] == "What will it cost to clear the backlog?")
    assert cost[1].splitlines()[0].startswith("An estimated £12,150.00 in total")
    assert "Remaining to fund: 2024-25 £0.00; 2025-26 £0.00; 2026-27 −£850.00" in cost[1]
    assert "Funding agreed is the current value" in cost[3]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report_exported"))
    assert event is not None and event.detail == "foi as_of=2025-11-20"


def test_csv_cells_cannot_run_as_formulas(make):
    provider = make.provider("=HYPERLINK(1)")
    make.allocation(provider=provider, allocated_on=date(2025, 10, 1))
    report = foi_report(AS_OF)
    assert "=HYPERLINK(1) (1 piece)" in report.answer("providers").answer
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report))
    for row in csv.reader(io.StringIO(out.getvalue())):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def _grow(make, n: int, batch: str) -> None:
    """n more cases, each with advice accepted, a plan still out and a final plan issued."""
    provider = make.provider(f"Grow {batch}")
    contract = make.contract(
        provider=provider,
        reference=f"GROW-{batch}",
        prices={"ep_advice": "1000", "plan_writing": "500"},
    )
    ep, plan = make.work_type("ep_advice"), make.work_type("plan_writing")
    for i in range(n):
        case = Case(
            case_ref=f"G{batch}{i:05d}",
            first_name="Sam",
            last_name="Grow",
            date_of_birth=date(2014, 1, 1),
            request_received_on=date(2025, 1, 1) + timedelta(days=i % 150),
            final_plan_issued_on=None if i % 3 else date(2025, 9, 1),
        )
        db.session.add(case)
        db.session.add(
            Allocation(
                case=case,
                provider=provider,
                contract=contract,
                work_type=ep,
                allocated_on=date(2025, 5, 1) + timedelta(days=i % 100),
                due_on=date(2025, 9, 1),
                status=ACCEPTED,
                returned_on=date(2025, 10, 1) + timedelta(days=i % 40),
                accepted_on=date(2025, 11, 15),
            )
        )
        db.session.add(
            Allocation(
                case=case,
                provider=provider,
                contract=contract,
                work_type=plan,
                allocated_on=date(2025, 4, 1) + timedelta(days=i % 200),
                due_on=date(2025, 12, 1),
            )
        )
        if i % 4 == 0:
            db.session.add(CaseException(case=case, applies_to="final_plan", reason="x"))
    db.session.commit()


@pytest.mark.parametrize("url", ["/reports/foi", "/reports/spend"])
def test_queries_do_not_grow_with_data(make, client_for, count_queries, url):
    client = client_for(Role.MANAGER)
    full_url = f"{url}?as_of=20&as_of=11&as_of=2025"
    _grow(make, 3, "a")
    count_queries.clear()
    client.page(full_url)
    small = len(count_queries)
    _grow(make, 80, "b")
    _grow(make, 80, "c")
    count_queries.clear()
    client.page(full_url)
    large = len(count_queries)
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    assert large <= 25
