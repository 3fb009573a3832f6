"""The forecast (backlog, rate, when it clears) and the cost to clear by financial year, every
figure worked out by hand from small sets of contracts, allocations and cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, CaseException, ContractStatus
from provider_portal.reports.backlog import backlog_on
from provider_portal.reports.forecast import (
    ADDITIONAL,
    FUNDING,
    ORIGINAL,
    REMAINING,
    TOTAL,
    _draw_down,
    case_unit_cost,
    forecast,
    quarter_ends,
)
from provider_portal.reports.scope import Scope
from tests.reports.test_spend import _vary

D = Decimal
AS_OF = date(2025, 11, 20)  # 131 days (18 whole weeks) before 31 March 2026
ACCEPTED = AllocationStatus.ACCEPTED
RETURNED = AllocationStatus.RETURNED


def table(cost):
    """The cost rows as {label: ([by year], total)}."""
    return {row.label: (row.by_year, row.total) for row in cost.rows}


def money(*values):
    return [D(v) for v in values]


def scenario_one(make):
    """Acme under CON-A (£10,000 + £2,000): advice £1,000, plans £600.

    Returned in the 8 weeks from 26 September to 20 November 2025 (4, so 0.5 a week):
      r1 advice, returned 26 Sep (first day), accepted 1 Oct       £1,000 spent in 2025-26
      r2 plan, returned 15 Oct, accepted 20 Oct                    £600 spent in 2025-26
      r3 advice, returned 1 Nov, not accepted                      £1,000 committed
      r4 plan, returned 20 Nov (the day), amendment requested      £600 committed
    Returned before the window:
      r0 advice, accepted 31 Mar 2025                              £1,000 spent in 2024-25
      r5 advice, returned 25 Sep (a day early), accepted 30 Sep    £1,000 spent in 2025-26
    Still with Acme on 20 November (outstanding 3):
      o1 advice (allocated 1 Jun), o2 plan (1 Jul), o3 advice returned only on 21 Nov
    Not outstanding: advice withdrawn 1 Nov, advice declined 3 Oct, advice allocated 1 Dec.
    Beta (no contract): one piece open since 1 Sep (outside CON-A; not costed).

    Every allocation's case was requested on 1 May 2024 (o1's on 1 January 2025): all past
    20 weeks with no plan. So the backlog (14) is o1-o3's cases with Acme (3), r0-r5's with
    their work back and no plan (6), and the cases not yet allocated, council-wide (5):
    requested 2 Jul 2025 (20 weeks ended 19 Nov); the cases of the withdrawn, declined and
    December work; one whose plan came on 1 Dec. Not on it: requested 3 Jul (due on the day:
    it joins in the first week after), plan issued 1 Nov, plan issued on the day, anonymised,
    and Beta's case (in no part of CON-A's backlog).
    """
    acme, beta = make.provider("Acme"), make.provider("Beta")
    con_a = make.contract(
        provider=acme,
        reference="CON-A",
        value="10000",
        prices={"ep_advice": "1000", "plan_writing": "600"},
    )
    _vary(con_a, "2000")

    def a(allocated_on, work_type="ep_advice", provider=acme, contract=con_a, **kwargs):
        return make.allocation(
            provider=provider,
            contract=contract,
            allocated_on=allocated_on,
            work_type=work_type,
            **kwargs,
        )

    a(
        date(2024, 12, 1),
        status=ACCEPTED,
        returned_on=date(2025, 3, 20),
        accepted_on=date(2025, 3, 31),
    )
    a(
        date(2025, 8, 1),
        status=ACCEPTED,
        returned_on=date(2025, 9, 25),
        accepted_on=date(2025, 9, 30),
    )
    a(
        date(2025, 8, 1),
        status=ACCEPTED,
        returned_on=date(2025, 9, 26),
        accepted_on=date(2025, 10, 1),
    )
    a(
        date(2025, 8, 15),
        "plan_writing",
        status=ACCEPTED,
        returned_on=date(2025, 10, 15),
        accepted_on=date(2025, 10, 20),
    )
    a(date(2025, 9, 1), status=RETURNED, returned_on=date(2025, 11, 1))
    a(
        date(2025, 9, 1),
        "plan_writing",
        status=AllocationStatus.AMENDMENT_REQUESTED,
        returned_on=date(2025, 11, 20),
        amendment_requested_on=date(2025, 11, 20),
    )
    a(date(2025, 6, 1), case=make.case(request_received_on=date(2025, 1, 1)))
    a(date(2025, 7, 1), "plan_writing")
    a(date(2025, 10, 1), status=RETURNED, returned_on=date(2025, 11, 21))
    a(date(2025, 10, 1), status=AllocationStatus.WITHDRAWN, withdrawn_on=date(2025, 11, 1))
    a(date(2025, 10, 1), status=AllocationStatus.DECLINED, declined_on=date(2025, 10, 3))
    a(date(2025, 12, 1))
    a(date(2025, 9, 1), provider=beta, contract=None)

    make.case(request_received_on=date(2025, 7, 2))
    make.case(request_received_on=date(2025, 7, 3))
    make.case(request_received_on=date(2025, 1, 1), final_plan_issued_on=date(2025, 11, 1))
    make.case(request_received_on=date(2025, 1, 1), final_plan_issued_on=AS_OF)
    make.case(request_received_on=date(2025, 1, 1), final_plan_issued_on=date(2025, 12, 1))
    make.case(request_received_on=date(2020, 1, 1), anonymised_at=datetime(2024, 1, 1, tzinfo=UTC))
    return {"acme": acme, "beta": beta, "con_a": con_a}


@pytest.fixture
def one(make):
    return scenario_one(make)


def test_backlog_rate_and_clearing_date(one):
    result = forecast(Scope(contract=one["con_a"]), AS_OF)
    parts = result.parts
    assert (parts.with_provider, parts.advice_back, parts.not_allocated) == (3, 6, 5)
    assert (result.outstanding, result.unallocated, result.backlog) == (3, 5, 14)
    assert result.inflow == (1,) + (0,) * 20  # 3 July's case, in the first week
    assert result.returned_in_window == 4
    assert result.weekly_rate == D("0.5")
    assert result.capacity is None  # CON-A states none
    # 14 + 1 - 21 × 0.5 = 4.5 left after the 21 weeks of inflow, 9 weeks more: 30 weeks.
    assert result.weeks_to_clear == 30
    assert result.clears_on == date(2026, 6, 18)
    assert result.clears_this_financial_year is False


def test_cost_to_clear_within_the_year(one):
    cost = forecast(Scope(contract=one["con_a"]), AS_OF).cost
    assert cost.financial_years == [2024, 2025, 2026]
    assert cost.column_labels == ["2024-25", "2025-26", "2026-27"]
    assert cost.unit_cost == D("1600.00")
    assert (cost.uncosted, cost.uncosted_cases, cost.later) == (0, 0, False)
    # 18 whole weeks to 31 March at 0.5 a week: 9 back, the 3 pieces out and all 6 cases
    # with no work (5 now, 3 July's when it passes 20 weeks).
    assert cost.cases_to_buy == 6
    assert table(cost) == {
        # 2025-26: spent £2,600 (r5, r1, r2), returned awaiting acceptance £1,600 (r3, r4),
        # still out £2,600 (o1, o2, o3).
        ORIGINAL: (money("1000", "6800", "0"), D("7800")),
        ADDITIONAL: (money("0", "9600", "0"), D("9600")),  # 6 cases at £1,600
        TOTAL: (money("1000", "16400", "0"), D("17400")),
        FUNDING: (money("1000", "11000", "0"), D("12000")),
        REMAINING: (money("0", "5400", "0"), D("5400")),
    }


def test_all_providers_includes_uncontracted_work_uncosted(one):
    result = forecast(Scope(), AS_OF)
    assert (result.outstanding, result.unallocated, result.returned_in_window) == (4, 5, 4)
    # Beta's case is with a provider too: 15 + 1 - 10.5 = 5.5 after 21 weeks, 11 more: 32.
    assert (result.parts.with_provider, result.backlog) == (4, 15)
    assert result.clears_on == date(2026, 7, 2)
    assert result.clears_this_financial_year is False
    assert result.cost.uncosted == 1
    assert "Not included: 1 piece of work with no contract" in result.method
    assert table(result.cost)[ORIGINAL] == (money("1000", "6800", "0"), D("7800"))


def test_the_unallocated_cases_are_council_wide(one):
    assert backlog_on(AS_OF).not_allocated == 5
    beta = forecast(Scope(provider=one["beta"]), AS_OF)
    assert (beta.outstanding, beta.unallocated, beta.returned_in_window) == (1, 5, 0)
    # Beta's own case is with it; Acme's cases are in no part of Beta's backlog.
    assert (beta.parts.with_provider, beta.parts.advice_back, beta.backlog) == (1, 0, 6)
    # Beta has no contract: nothing prices the cases with no work, so they are not costed.
    assert beta.cost.unit_cost is None
    assert (beta.cost.uncosted, beta.cost.uncosted_cases) == (1, 6)
    assert table(beta.cost)[ADDITIONAL][1] == D("0")


def test_a_day_earlier_and_later_moves_the_counts(one):
    # 19 November: 2 July's case is due that day, so not yet past 20 weeks, but the case whose
    # plan came on the 20th had none yet; r4 is not back yet; r5 (25 September) is in the window.
    earlier = forecast(Scope(contract=one["con_a"]), date(2025, 11, 19))
    assert (earlier.outstanding, earlier.unallocated, earlier.returned_in_window) == (4, 5, 4)
    # r4's case is still with Acme; 2 and 3 July's cases both pass 20 weeks in the first week.
    assert (earlier.parts.with_provider, earlier.parts.advice_back) == (4, 5)
    assert earlier.inflow[:2] == (2, 0)
    # 21 November: o3 is back (in the window), 3 July's case is past 20 weeks, and r1
    # (26 September) has left the window.
    later = forecast(Scope(contract=one["con_a"]), date(2025, 11, 21))
    assert (later.outstanding, later.unallocated, later.returned_in_window) == (2, 6, 4)
    assert (later.parts.with_provider, later.parts.advice_back, later.parts.coming) == (2, 7, 0)


def test_backlog_on_goes_week_by_week_never_below_zero(one):
    result = forecast(Scope(contract=one["con_a"]), AS_OF)
    assert result.backlog_on(AS_OF) == 14
    assert result.backlog_on(date(2025, 1, 1)) == 14
    assert result.backlog_on(date(2025, 11, 26)) == 14  # not a whole week yet
    assert result.backlog_on(date(2025, 11, 27)) == 15  # 14 + 1 - 0.5 = 14.5 counts as 15
    assert result.backlog_on(date(2026, 1, 15)) == 11  # 8 weeks: 14 + 1 - 4
    assert result.backlog_on(date(2026, 6, 17)) == 1  # 29 weeks: half a case left
    assert result.backlog_on(date(2026, 6, 18)) == 0
    assert result.backlog_on(date(2027, 1, 1)) == 0


def test_method_says_how_with_the_figures(one):
    method = forecast(Scope(contract=one["con_a"]), AS_OF).method
    for words in (
        "Contract CON-A (Acme)",
        "20 November 2025",
        "14 cases that on 20 November 2025",
        "3 had work with a provider",
        "6 had all their provider work back but no plan yet",
        "5 had no work with a provider",
        "26 September 2025 to 20 November 2025: 4 pieces, 0.5 a week",
        "No cap applies",
        "1 case over the next 21 weeks",
        "14 cases now and 1 more reaching 20 weeks, at 0.5 a week, take 30 weeks",
        "clears by 18 June 2026, after this financial year",
        "(5 past 20 weeks now and 1 reaching 20 weeks in the coming weeks)",
        "£1,600.00",
        "Funding agreed is the current value",
    ):
        assert words in method, words


@pytest.fixture
def two(make):
    """CON-X (£8,000): advice £1,000, £1,300 for work allocated from 1 September 2025;
    plans £500. One return in the window (0.125 a week); four pieces out, created newest
    first so that only the allocation date puts them in order; two unallocated cases."""
    acme = make.provider("Acme")
    con_x = make.contract(
        provider=acme,
        reference="CON-X",
        value="8000",
        start_on=date(2025, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"ep_advice": "1000", "plan_writing": "500"},
    )
    make.price(con_x, "ep_advice", "1300", date(2025, 9, 1))

    def a(allocated_on, work_type="ep_advice", **kwargs):
        return make.allocation(
            provider=acme, contract=con_x, allocated_on=allocated_on, work_type=work_type, **kwargs
        )

    a(
        date(2025, 9, 10),
        status=ACCEPTED,
        returned_on=date(2025, 11, 1),
        accepted_on=date(2025, 11, 5),
    )
    a(date(2025, 10, 1))  # £1,300
    a(date(2025, 9, 1))  # £1,300
    a(date(2025, 8, 1), "plan_writing")  # £500
    a(date(2025, 5, 1))  # £1,000
    for _ in range(2):
        make.case(request_received_on=date(2025, 1, 1))
    return {"acme": acme, "con_x": con_x}


def test_clears_next_year_with_work_placed_oldest_first(two):
    result = forecast(Scope(contract=two["con_x"]), AS_OF)
    assert (result.outstanding, result.unallocated, result.returned_in_window) == (4, 2, 1)
    # 4 cases with Acme, 1 with its advice back, 2 never allocated: 7 / 0.125 = 56 weeks.
    assert result.backlog == 7
    assert result.clears_on == date(2026, 12, 17)
    assert result.clears_this_financial_year is False
    cost = result.cost
    assert cost.financial_years == [2025, 2026]
    assert cost.unit_cost == D("1800.00")  # £1,300 advice at today's price + £500 plan
    # 18 whole weeks to 31 March at 0.125 a week: 2 pieces back this year, the two oldest
    # (£1,000 and £500); the two at £1,300 and both cases next year.
    assert table(cost) == {
        ORIGINAL: (money("2800", "2600"), D("5400")),
        ADDITIONAL: (money("0", "3600"), D("3600")),
        TOTAL: (money("2800", "6200"), D("9000")),
        FUNDING: (money("2800", "5200"), D("8000")),
        REMAINING: (money("0", "1000"), D("1000")),
    }
    assert "after this financial year (which ends on 31 March 2026)" in result.method


def test_funding_beyond_the_cost_is_left_in_the_last_year(two):
    _vary(two["con_x"], "12000")
    cost = forecast(Scope(contract=two["con_x"]), AS_OF).cost
    assert table(cost)[FUNDING] == (money("2800", "17200"), D("20000"))
    assert table(cost)[REMAINING] == (money("0", "-11000"), D("-11000"))


def test_draw_down_takes_each_year_in_turn():
    assert _draw_down(D("850000"), money("300000", "700000", "496000")) == money(
        "300000", "550000", "0"
    )
    assert _draw_down(D("100"), money("40", "30")) == money("40", "60")
    assert _draw_down(D("0"), money("40", "30")) == money("0", "0")


def test_no_returns_in_the_window_never_clears(make):
    acme = make.provider("Acme")
    con = make.contract(provider=acme, prices={"ep_advice": "1000"})
    make.allocation(
        provider=acme,
        contract=con,
        allocated_on=date(2025, 1, 10),
        status=ACCEPTED,
        returned_on=date(2025, 9, 25),
        accepted_on=date(2025, 9, 26),
    )
    for day in (1, 2):
        make.allocation(provider=acme, contract=con, allocated_on=date(2025, 9, day))
    result = forecast(Scope(contract=con), AS_OF)
    assert (result.backlog, result.returned_in_window, result.weekly_rate) == (3, 0, D("0"))
    assert result.clears_on is None
    assert result.clears_this_financial_year is None
    assert result.weeks_to_clear is None
    assert result.backlog_on(date(2030, 1, 1)) == 3
    cost = result.cost
    assert cost.later is True
    assert cost.column_labels == ["2025-26", "2026-27 and later"]
    assert table(cost)[ORIGINAL] == (money("1000", "2000"), D("3000"))
    assert "does not clear" in result.method
    assert "cannot place because nothing came back recently" in result.method


def test_no_backlog_has_nothing_to_clear(make):
    con = make.contract(prices={"ep_advice": "1000"})
    result = forecast(Scope(contract=con), AS_OF)
    assert (result.backlog, result.weekly_rate) == (0, D("0"))
    assert result.clears_on == AS_OF
    assert result.clears_this_financial_year is True
    assert result.cost.financial_years == [2025]
    assert result.cost.later is False
    assert table(result.cost)[REMAINING] == (money("-850000"), D("-850000"))
    assert "There is no backlog to clear." in result.method


def test_a_long_backlog_is_capped_at_five_years(make):
    """One return in the window, 30 unallocated cases at £100 and the returned piece's case:
    248 weeks, past 2029-30."""
    acme = make.provider("Acme")
    con = make.contract(
        provider=acme, end_on=date(2030, 3, 31), prices={"ep_advice": "100"}, value="1000"
    )
    make.allocation(
        provider=acme,
        contract=con,
        allocated_on=date(2025, 10, 1),
        status=RETURNED,
        returned_on=date(2025, 11, 1),
    )
    for _ in range(30):
        make.case(request_received_on=date(2025, 1, 1))
    result = forecast(Scope(contract=con), AS_OF)
    assert result.clears_on == date(2030, 8, 22)
    cost = result.cost
    assert cost.financial_years == [2025, 2026, 2027, 2028, 2029]
    assert cost.later is True
    assert cost.column_labels[-1] == "2029-30 and later"
    # Whole weeks to each 31 March: 18, 70, 123, 175, so 2, 8, 15 and 21 cases back by then
    # (at one every 8 weeks): 2, 6, 7, 6 in the first four years and the other 9 later.
    assert table(cost)[ADDITIONAL] == (money("200", "600", "700", "600", "900"), D("3000"))
    # The returned piece awaiting acceptance is this year's.
    assert table(cost)[ORIGINAL] == (money("100", "0", "0", "0", "0"), D("100"))
    assert table(cost)[FUNDING] == (money("300", "600", "100", "0", "0"), D("1000"))


def test_unit_cost_averages_current_prices_of_active_contracts(make):
    acme, beta = make.provider("Acme"), make.provider("Beta")
    con_a = make.contract(provider=acme, prices={"ep_advice": "1000", "plan_writing": "500"})
    make.price(con_a, "ep_advice", "2000", date(2025, 12, 1))  # not yet in force
    con_b = make.contract(provider=beta, prices={"ep_advice": "800"})
    make.price(con_b, "ep_advice", "1000.01", date(2025, 6, 1))  # replaces £800
    make.contract(provider=beta, prices={"ep_advice": "5000"}, status=ContractStatus.SUSPENDED)
    make.contract(provider=beta, prices={"ot_advice": "7000"}, end_on=date(2025, 10, 31))
    # Advice: (£1,000 + £1,000.01) / 2 = £1,000.005, £1,000.01 to the penny; plan £500.
    assert case_unit_cost(Scope(), AS_OF) == D("1500.01")
    assert case_unit_cost(Scope(provider=beta), AS_OF) == D("1000.01")
    assert case_unit_cost(Scope(contract=con_a), date(2025, 12, 1)) == D("2500.00")
    assert case_unit_cost(Scope(provider=make.provider("Gamma")), AS_OF) is None


def test_unallocated_ignores_exceptions_but_not_final_plans(make):
    case = make.case(request_received_on=date(2025, 1, 1))
    db.session.add(CaseException(case=case, applies_to="final_plan", reason="school_holiday"))
    db.session.commit()
    assert backlog_on(AS_OF).not_allocated == 1


def test_quarter_ends():
    assert quarter_ends(date(2025, 11, 20), 3) == [
        date(2025, 12, 31),
        date(2026, 3, 31),
        date(2026, 6, 30),
    ]
    assert quarter_ends(date(2025, 3, 31), 2) == [date(2025, 6, 30), date(2025, 9, 30)]


@pytest.mark.parametrize(
    ("returned", "capacity", "shown"),
    [
        (129, None, "16.13"),
        (2, None, "0.25"),
        (104, None, "13"),
        (0, None, "0"),
        (100, None, "12.5"),
        (1, None, "0.13"),
        (129, 50, "11.54"),  # 50 a month is 600 / 52 a week
    ],
)
def test_the_weekly_rate_reads_to_two_decimal_places_at_most(returned, capacity, shown):
    from provider_portal.reports.backlog import Backlog
    from provider_portal.reports.forecast import CostToClear, Forecast, working_rate

    result = Forecast(
        as_of=date(2025, 1, 1),
        parts=Backlog(date(2025, 1, 1), 0, 0, 0),
        outstanding=0,
        returned_in_window=returned,
        capacity=capacity,
        rate=working_rate(returned, capacity),
        clears_on=None,
        clears_this_financial_year=None,
        cost=CostToClear([], [], 0),
        method="",
    )
    assert result.rate_text == shown
