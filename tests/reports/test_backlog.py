"""The one backlog (open cases past 20 weeks, in three parts), the cases joining it week by
week, the stated capacity capping the rate, and closed cases leaving it: every figure worked
out by hand from a few cases."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, Role
from provider_portal.outcomes import MOVED_AWAY, NOT_ISSUING, WITHDRAWN_BY_FAMILY
from provider_portal.reports.backlog import INFLOW_WEEKS, backlog_on
from provider_portal.reports.foi.queries import foi_report
from provider_portal.reports.forecast import (
    ADDITIONAL,
    forecast,
    left_after,
    weeks_to_clear,
    working_rate,
)
from provider_portal.reports.scope import Scope

AS_OF = date(2025, 11, 20)
PAST = date(2025, 1, 1)  # 20 weeks ended on 21 May 2025


def _days_before(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def cases(make):
    """Past 20 weeks and open on 20 November 2025:
    with a provider   w1 (advice open), w2 (advice back, plan writing open)
    advice back       b1 (advice accepted), b2 (advice returned, not yet accepted)
    not allocated     n1 (nothing), n2 (advice withdrawn), n3 (closed on 21 November, after),
                      n4 (plan issued on 21 November, after)
    Not on it: closed without a plan on 20 November (the day) and on 1 November, a plan
    issued on 1 November, and 3 July's case (its 20 weeks end on the day).
    """
    acme = make.provider("Acme")

    def work(case, **kwargs):
        return make.allocation(case=case, provider=acme, allocated_on=date(2025, 6, 1), **kwargs)

    w1, w2, b1, b2, n2 = (make.case(request_received_on=PAST) for _ in range(5))
    work(w1)
    work(w2, status=AllocationStatus.ACCEPTED, returned_on=date(2025, 7, 1))
    work(w2, work_type="plan_writing")
    work(b1, status=AllocationStatus.ACCEPTED, returned_on=date(2025, 7, 1))
    work(b2, status=AllocationStatus.RETURNED, returned_on=date(2025, 11, 20))
    work(n2, status=AllocationStatus.WITHDRAWN, withdrawn_on=date(2025, 7, 1))
    make.case(request_received_on=PAST)
    make.case(request_received_on=PAST, closed_on=date(2025, 11, 21), closed_reason=MOVED_AWAY)
    make.case(request_received_on=PAST, final_plan_issued_on=date(2025, 11, 21))
    make.case(request_received_on=PAST, closed_on=AS_OF, closed_reason=WITHDRAWN_BY_FAMILY)
    make.case(request_received_on=PAST, closed_on=date(2025, 11, 1), closed_reason=NOT_ISSUING)
    make.case(request_received_on=PAST, final_plan_issued_on=date(2025, 11, 1))
    make.case(request_received_on=date(2025, 7, 3))
    return acme


def test_the_backlog_in_its_three_parts(cases):
    backlog = backlog_on(AS_OF)
    assert (backlog.with_provider, backlog.advice_back, backlog.not_allocated) == (2, 2, 4)
    assert backlog.total == 8
    assert backlog.parts == [
        ("With a provider", 2),
        ("Advice back, plan not issued", 2),
        ("Not yet allocated", 4),
    ]


def test_the_foi_page_shows_one_backlog_whose_parts_add_up(cases):
    report = foi_report(AS_OF)
    parts = report.backlog
    assert parts.with_provider + parts.advice_back + parts.not_allocated == parts.total == 8
    assert report.delayed.total == report.forecast.backlog == 8
    assert sum(count for _, count in report.delayed.bands) == 8
    assert report.answer("backlog").answer.startswith(
        "8 cases past 20 weeks without a final plan on 20 November 2025: 2 with an external "
        "provider, 2 with the provider's advice back but the plan not yet issued, and 4 not "
        "yet allocated"
    )
    assert "had not been closed without one" in report.answer("backlog").method


def test_a_closed_case_leaves_every_figure_from_its_closing_date(cases):
    """The case closed on 21 November counts on the 20th and is gone on the 21st, from the
    backlog, the FOI answers, the forecast and the cases the cost to clear buys."""
    on_the_20th = forecast(Scope(), AS_OF)
    on_the_21st = forecast(Scope(), date(2025, 11, 21))
    # On the 21st: n3 (closed) and n4 (plan issued) leave; 3 July's case joins.
    assert on_the_20th.unallocated == 4
    assert on_the_21st.unallocated == 3
    assert foi_report(date(2025, 11, 21)).delayed.total == 7
    assert on_the_20th.cost.cases_to_buy == 5  # 4 now, 3 July's in the first week
    assert on_the_21st.cost.cases_to_buy == 3


def test_the_inflow_week_by_week(make):
    """Open cases inside 20 weeks, by the week after 20 November they pass it in."""
    for days in (140, 134, 133, 0):  # weeks 1, 1 (its 7th day), 2, and 21
        make.case(request_received_on=_days_before(days))
    make.case(request_received_on=_days_before(141))  # past already: on the backlog
    make.case(request_received_on=AS_OF + timedelta(days=1))  # not on the system yet
    make.case(request_received_on=_days_before(100), final_plan_issued_on=_days_before(5))
    make.case(
        request_received_on=_days_before(100),
        closed_on=_days_before(5),
        closed_reason=WITHDRAWN_BY_FAMILY,
    )
    make.case(  # closed after the date: still coming, as things stood
        request_received_on=_days_before(100),
        closed_on=AS_OF + timedelta(days=3),
        closed_reason=WITHDRAWN_BY_FAMILY,
    )
    backlog = backlog_on(AS_OF)
    assert backlog.total == 1
    assert len(backlog.inflow) == INFLOW_WEEKS == 21
    expected = [0] * 21
    expected[0], expected[1], expected[5], expected[20] = 2, 1, 1, 1  # 100 days: week 6
    assert list(backlog.inflow) == expected
    assert backlog.inflow_not_allocated == backlog.inflow
    assert backlog.coming == 5


@pytest.fixture
def returns(make):
    """A contract at £500 an advice, and 8 pieces first returned in the 8 weeks to 20 November
    (1 a week) on cases already closed by a final plan, so they are not on the backlog."""
    acme = make.provider("Acme")
    contract = make.contract(provider=acme, reference="CON-R", prices={"ep_advice": "500"})
    for week in range(8):
        make.allocation(
            case=make.case(request_received_on=PAST, final_plan_issued_on=date(2025, 11, 1)),
            provider=acme,
            contract=contract,
            allocated_on=date(2025, 8, 1),
            status=AllocationStatus.RETURNED,
            returned_on=AS_OF - timedelta(weeks=week),
        )
    return contract


def _two_now_and_three_in_week_two(make) -> None:
    for _ in range(2):
        make.case(request_received_on=PAST)
    for _ in range(3):
        make.case(request_received_on=_days_before(130))  # passes 20 weeks on 1 December


def test_cases_reaching_20_weeks_join_the_forecast(returns, make):
    """2 cases now and 3 more in the second week, at 1 a week: 2, 1, 3, 2, 1, 0."""
    _two_now_and_three_in_week_two(make)
    result = forecast(Scope(contract=returns), AS_OF)
    assert (result.backlog, result.parts.coming, result.weekly_rate) == (2, 3, 1)
    assert [result.backlog_on(AS_OF + timedelta(weeks=w)) for w in range(7)] == [
        2,
        1,
        3,
        2,
        1,
        0,
        0,
    ]
    assert result.weeks_to_clear == 5
    assert result.clears_on == date(2025, 12, 25)
    # The 5 cases with no work cost £500 each, all back by 31 March.
    assert result.cost.cases_to_buy == 5
    assert result.cost.row(ADDITIONAL).total == 2500
    assert "(3 cases over the next 21 weeks)" in result.method


def test_the_stated_capacity_caps_the_rate(returns, make):
    """2 a month is 24 / 52 = 6/13 a week, below the recent 1 a week. Left after 2 weeks:
    2 + 3 - 12/13 = 53/13, which takes 53/6 = 8.8, so 9, more weeks: 11 in all."""
    _two_now_and_three_in_week_two(make)
    returns.stated_monthly_capacity = 2
    result = forecast(Scope(contract=returns), AS_OF)
    assert result.capacity == 2
    assert result.rate == Fraction(6, 13)
    assert result.capped
    assert result.rate_text == "0.46"
    assert result.weeks_to_clear == 11
    assert "2 pieces a month across the active contracts in scope (0.46 a week" in result.method
    assert "the forecast uses 0.46 a week, the lower of the two" in result.method
    # A capacity above the recent rate changes nothing.
    returns.stated_monthly_capacity = 10
    roomy = forecast(Scope(contract=returns), AS_OF)
    assert (roomy.rate, roomy.capped, roomy.weeks_to_clear) == (1, False, 5)
    assert "the recent rate is within it" in roomy.method


def test_no_cap_unless_every_current_contract_states_a_capacity(returns, make):
    returns.stated_monthly_capacity = 2
    # An ended contract stating nothing does not matter; a current one does.
    make.contract(reference="CON-OLD", end_on=date(2025, 3, 31))
    assert forecast(Scope(), AS_OF).capacity == 2
    make.contract(reference="CON-NEW")
    everything = forecast(Scope(), AS_OF)
    assert everything.capacity is None and everything.rate == 1
    assert "No cap applies" in everything.method
    assert forecast(Scope(contract=returns), AS_OF).capacity == 2


@pytest.mark.parametrize(
    ("backlog", "inflow", "rate", "weeks"),
    [
        (3, [], Fraction(1), 3),
        (7, [0] * 21, Fraction(1, 8), 56),
        (1, [0, 5], Fraction(1), 6),  # 1, 0, then 4 left after week 2: 4 more weeks
        (0, [1], Fraction(2), 0),  # each arrival cleared in its own week
        (0, [0, 0, 3], Fraction(1), 5),
        (0, [], Fraction(0), 0),
        (0, [1], Fraction(0), None),
        (2, [], Fraction(0), None),
    ],
)
def test_weeks_to_clear(backlog, inflow, rate, weeks):
    assert weeks_to_clear(backlog, inflow, rate) == weeks
    if weeks is not None:
        assert left_after(backlog, inflow, rate, weeks) == 0
        if weeks:
            assert left_after(backlog, inflow, rate, weeks - 1) > 0


def test_left_after_never_goes_below_zero():
    assert left_after(2, [0, 5], Fraction(3), 1) == 0
    assert left_after(2, [0, 5], Fraction(3), 2) == 2
    assert left_after(2, [0, 5], Fraction(3), 10) == 0
    assert left_after(10, [], Fraction(1, 2), 4) == 8


def test_working_rate():
    assert working_rate(8, None) == 1
    assert working_rate(8, 13) == 1  # 13 a month is 3 a week
    assert working_rate(32, 13) == 3
    assert working_rate(0, 13) == 0


def test_the_pack_page_shows_the_parts_the_inflow_and_the_cap(returns, make, client_for):
    _two_now_and_three_in_week_two(make)
    returns.stated_monthly_capacity = 2
    db.session.commit()
    soup = client_for(Role.MONITOR).page(
        "/reports/pack?contract=CON-R&start=2025-09&end=2025-11&as_of=20&as_of=11&as_of=2025"
    )
    assert soup.select_one("#pack-backlog-total").get_text(" ", strip=True) == (
        "2 With a provider: 0 Advice back, plan not issued: 0 Not yet allocated: 2"
    )
    assert soup.select_one("#pack-inflow").get_text(strip=True) == "3"
    assert soup.select_one("#pack-rate").get_text(" ", strip=True) == (
        "8 returned in the last 8 weeks, capped at the stated capacity of 2 a month: 0.46 a week"
    )
    assert soup.select_one("#pack-clears-on").get_text(strip=True) == "5 February 2026"
