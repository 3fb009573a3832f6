"""The monitoring pack's figures, each worked out by hand from a small dataset.

The dataset (contract CON-A with Northbrook; as of 15 April 2025 unless a test says otherwise):
the contract's turnaround for EP advice is 30 days (the work type's own is 42), and it sets none
for plan writing, so plan writing keeps 42. Targets: 4 a month, 75% on time, 25% rework at most.

    work  type  allocated   returned    other events
    r1    ep    10 Jan      9 Feb (30d, on time at exactly 30)  accepted 20 Feb
    r2    ep    10 Jan      10 Feb (31d, one day over)
    r3    ep    1 Feb       11 Feb (10d)   sent back 15 Feb; accepted 16 Apr (after as-of)
    r4    plan  1 Jan       12 Feb (42d, on time at the work type's 42)  accepted 31 Mar
    r5    ep    28 Feb      31 Mar (31d, late)
    r6    ep    1 Mar       6 Mar (5d)     sent back twice, last 20 Mar
    r7    ep    3 Mar       23 Mar (20d)   accepted 1 Apr
    r8    ep    10 Mar      1 Apr (22d)
    r9    ep    12 Mar      20 Apr (after as-of)
    r10   ep    2 Apr       15 Apr (13d)   sent back 16 Apr (after as-of)
    d1    ep    5 Mar       declined 7 Mar
    d2    ep    1 Apr       declined 20 Apr (after as-of)
    w1    ep    3 Feb       withdrawn 28 Feb
    o1    ep    14 Feb      open
    o2    ep    5 Apr       open
    p1    plan  15 Mar      open
    x1    ep    1 Feb       5 Feb, Clearwater, no contract (outside the contract's scope)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import literal, select

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, ContractTurnaround
from provider_portal.reports.pack.figures import BacklogPoint, build_pack, check_range
from provider_portal.reports.pack.sheets import pack_sheets
from provider_portal.reports.scope import Scope
from provider_portal.reports.sql import DaysBetween, nearest_rank

AS_OF = date(2025, 4, 15)
FEB, MAR, APR = date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)
RETURNED = AllocationStatus.RETURNED
ACCEPTED = AllocationStatus.ACCEPTED
OPEN = AllocationStatus.ALLOCATED


def build_dataset(make, contract_name: str = "Northbrook") -> SimpleNamespace:
    """The dataset in the module docstring; returns the contract and providers."""
    p = make.provider(contract_name)
    q = make.provider("Clearwater")
    contract = make.contract(
        provider=p,
        reference="CON-A",
        value="50000",
        prices={"ep_advice": "1000", "plan_writing": "2000"},
        monthly_volume=4,
        on_time_target_percent=75,
        max_rework_percent=25,
        stated_monthly_capacity=5,
    )
    db.session.add(
        ContractTurnaround(contract=contract, work_type=make.work_type("ep_advice"), days=30)
    )
    db.session.commit()

    def work(allocated, status=RETURNED, work_type="ep_advice", **kw):
        return make.allocation(
            provider=kw.pop("provider", p),
            contract=kw.pop("contract", contract),
            work_type=work_type,
            allocated_on=allocated,
            status=status,
            **kw,
        )

    d = date
    work(d(2025, 1, 10), ACCEPTED, returned_on=d(2025, 2, 9), accepted_on=d(2025, 2, 20))
    work(d(2025, 1, 10), returned_on=d(2025, 2, 10))
    work(
        d(2025, 2, 1),
        ACCEPTED,
        returned_on=d(2025, 2, 11),
        amendment_count=1,
        amendment_requested_on=d(2025, 2, 15),
        accepted_on=d(2025, 4, 16),
    )
    work(
        d(2025, 1, 1),
        ACCEPTED,
        "plan_writing",
        returned_on=d(2025, 2, 12),
        accepted_on=d(2025, 3, 31),
    )
    work(d(2025, 2, 28), returned_on=d(2025, 3, 31))
    work(
        d(2025, 3, 1),
        AllocationStatus.AMENDMENT_REQUESTED,
        returned_on=d(2025, 3, 6),
        amendment_count=2,
        amendment_requested_on=d(2025, 3, 20),
    )
    work(d(2025, 3, 3), ACCEPTED, returned_on=d(2025, 3, 23), accepted_on=d(2025, 4, 1))
    work(d(2025, 3, 10), returned_on=d(2025, 4, 1))
    work(d(2025, 3, 12), returned_on=d(2025, 4, 20))
    work(
        d(2025, 4, 2),
        AllocationStatus.AMENDMENT_REQUESTED,
        returned_on=d(2025, 4, 15),
        amendment_count=1,
        amendment_requested_on=d(2025, 4, 16),
    )
    work(d(2025, 3, 5), AllocationStatus.DECLINED, declined_on=d(2025, 3, 7))
    work(d(2025, 4, 1), AllocationStatus.DECLINED, declined_on=d(2025, 4, 20))
    work(d(2025, 2, 3), AllocationStatus.WITHDRAWN, withdrawn_on=d(2025, 2, 28))
    work(d(2025, 2, 14), OPEN)
    work(d(2025, 4, 5), OPEN)
    work(d(2025, 3, 15), OPEN, "plan_writing")
    work(d(2025, 2, 1), provider=q, contract=None, returned_on=d(2025, 2, 5))
    return SimpleNamespace(contract=contract, provider=p, other=q)


@pytest.fixture
def data(make) -> SimpleNamespace:
    return build_dataset(make)


def _pack(scope: Scope, as_of: date = AS_OF, first: date = FEB, last: date = APR):
    return build_pack(scope, first, last, as_of)


# --- nearest rank ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([7], 7, 7),
        ([10, 30, 31, 42], 30, 42),  # even: the lower middle value; ceil(3.6) = 4th
        ([5, 20, 31], 20, 31),  # odd: the middle value; ceil(2.7) = 3rd
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, 9),  # 0.9 × 10 is exactly 9: the 9th, not the 10th
        ([1] * 9 + [100], 1, 1),
        ([3, 3, 8, 8, 8, 9], 8, 9),  # ceil(3) = 3rd is 8; ceil(5.4) = 6th is 9
    ],
)
def test_nearest_rank_even_and_odd_counts(values, median, p90):
    histogram: dict[int, int] = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    assert nearest_rank(histogram, Decimal("0.5")) == median
    assert nearest_rank(histogram, Decimal("0.9")) == p90


def test_nearest_rank_of_nothing_is_none():
    assert nearest_rank({}, Decimal("0.5")) is None


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2025, 1, 10), date(2025, 2, 9), 30),
        (date(2024, 2, 28), date(2024, 3, 1), 2),  # across a leap day
        (date(2025, 3, 31), date(2025, 4, 1), 1),  # across the financial year end
        (date(2024, 12, 31), date(2025, 1, 1), 1),
        (date(2025, 4, 1), date(2025, 4, 1), 0),
        (date(2025, 4, 2), date(2025, 4, 1), -1),
    ],
)
def test_days_between_in_sql(start, end, days):
    assert db.session.scalar(select(DaysBetween(literal(start), literal(end)))) == days


def test_range_is_at_most_36_months():
    assert len(check_range(date(2023, 1, 1), date(2025, 12, 1))) == 36
    with pytest.raises(ReportError, match="36 months or less"):
        check_range(date(2023, 1, 1), date(2026, 1, 1))
    with pytest.raises(ReportError, match="same as or after"):
        check_range(date(2025, 2, 1), date(2025, 1, 1))


# --- the tables ----------------------------------------------------------------------------


def test_cohort_for_the_contract(data):
    pack = _pack(Scope(contract=data.contract))
    rows = [(r.month, r.allocated, r.returned, r.outstanding) for r in pack.cohort]
    # Feb: r3, r5, o1 (w1 withdrawn); Mar: r6-r9 and p1 (d1 declined); Apr: r10, o2 and d2
    # (declined on 20 April, after the as-of date, so still allocated on 15 April, as in the
    # monthly report). Returned by 15 April: r9 is not.
    assert rows == [(FEB, 3, 2, 1), (MAR, 5, 3, 2), (APR, 3, 1, 2)]
    assert (pack.cohort_total.allocated, pack.cohort_total.returned) == (11, 6)


def test_cohort_by_work_type_in_one_table(data):
    pack = _pack(Scope(contract=data.contract))
    rows = [(r.work_type, r.month, r.allocated, r.returned) for r in pack.cohort_by_work_type]
    assert rows == [
        ("Draft EHC plan", FEB, 0, 0),
        ("Draft EHC plan", MAR, 1, 0),
        ("Draft EHC plan", APR, 0, 0),
        ("Draft EHC plan", None, 1, 0),
        ("Educational psychology advice", FEB, 3, 2),
        ("Educational psychology advice", MAR, 4, 3),
        ("Educational psychology advice", APR, 3, 1),  # d2 declined after the as-of date
        ("Educational psychology advice", None, 10, 6),
    ]


def _flow(row):
    return (
        row.returned,
        row.on_time,
        row.on_time_percent,
        row.median_days,
        row.p90_days,
        row.sent_back,
        row.rework_percent,
        row.accepted,
        row.declined,
        row.withdrawn,
    )


def test_flow_for_the_contract(data):
    pack = _pack(Scope(contract=data.contract))
    d = Decimal
    # Feb: days 10, 30, 31, 42; on time r1 (30 of 30), r3, r4 (42 of 42); r2 one day over.
    # Mar: days 5, 20, 31 (r5 returned on 31 March); r6 sent back.
    # Apr: days 13, 22 (r8 on 1 April); r9 came back after the as-of date, r10's amendment
    # was asked for after it, r3's acceptance and d2's decline came after it: none count.
    assert [_flow(r) for r in pack.flow] == [
        (4, 3, d("75.0"), 30, 42, 1, d("25.0"), 1, 0, 1),
        (3, 2, d("66.7"), 20, 31, 1, d("33.3"), 1, 1, 0),
        (2, 2, d("100.0"), 13, 22, 0, d("0.0"), 1, 0, 0),
    ]
    # All nine: 5 10 13 20 22 30 31 31 42; the 5th is 22 and the 9th (ceil 8.1) is 42.
    assert _flow(pack.flow_total) == (9, 7, d("77.8"), 22, 42, 2, d("22.2"), 3, 1, 1)


def test_on_time_statutory_measures_advice_by_its_statutory_date(data, make):
    """r2 and r5 took 31 days: one over the contract's 30, well within reg 8's 6 weeks."""
    pack = _pack(Scope(contract=data.contract))
    assert [(r.on_time, r.on_time_statutory) for r in pack.flow] == [(3, 4), (2, 3), (2, 2)]
    assert pack.flow[1].on_time_statutory_percent == Decimal("100.0")
    # The targets, which are the contract's, keep measuring the contract's turnaround.
    assert [t.on_time_count for t in pack.targets or []] == [3, 2, 2]


def test_an_advice_exception_moves_what_on_time_statutory_means(data, make):
    """Advice back after 50 days is late, unless an exception moved its due date past that."""
    late = make.allocation(
        provider=data.provider,
        contract=data.contract,
        allocated_on=date(2025, 2, 1),
        returned_on=date(2025, 3, 23),
        status=AllocationStatus.RETURNED,
    )
    march = _pack(Scope(contract=data.contract)).flow[1]
    assert (march.returned, march.on_time_statutory) == (4, 3)
    late.statutory_due_on = date(2025, 3, 25)  # as refresh_statutory_due keeps it
    db.session.commit()
    march = _pack(Scope(contract=data.contract)).flow[1]
    assert (march.returned, march.on_time_statutory) == (4, 4)


def test_flow_for_everything_includes_other_providers(data):
    pack = _pack(Scope())
    february = pack.flow[0]
    # x1 (4 days, within the work type's 42) joins February's returns.
    assert (february.returned, february.on_time, february.median_days) == (5, 4, 30)
    assert pack.targets is None


def test_flow_for_a_provider(data):
    only_clearwater = _pack(Scope(provider=data.other))
    assert [r.returned for r in only_clearwater.flow] == [1, 0, 0]
    assert only_clearwater.flow[0].median_days == 4
    assert only_clearwater.flow[1].median_days is None
    assert only_clearwater.flow[1].on_time_percent is None


def test_contract_turnaround_overrides_the_work_type(data):
    """Without the contract's 30 days, r2 (31 days) and r5 (31) are on time under 42."""
    db.session.query(ContractTurnaround).delete()
    db.session.commit()
    pack = _pack(Scope(contract=data.contract))
    assert [r.on_time for r in pack.flow] == [4, 3, 2]


def _check(check):
    return (check.actual, check.target, check.status, check.label, check.tag_class)


def test_targets_for_the_contract(data):
    pack = _pack(Scope(contract=data.contract))
    assert pack.targets is not None
    feb, mar, apr = pack.targets
    assert _check(feb.volume) == (3, 4, "not_met", "Not met", "govuk-tag--red")
    assert _check(feb.on_time) == (Decimal("75.0"), 75, "met", "Met", "govuk-tag--green")
    assert _check(feb.rework) == (Decimal("25.0"), 25, "met", "Met", "govuk-tag--green")
    assert _check(mar.volume)[:3] == (5, 4, "met")
    assert _check(mar.on_time)[:3] == (Decimal("66.7"), 75, "not_met")
    assert _check(mar.rework)[:3] == (Decimal("33.3"), 25, "not_met")
    # April is not over on 15 April: its volume is not judged yet.
    assert _check(apr.volume) == (3, 4, "month_not_over", "Month not over", "govuk-tag--grey")
    assert _check(apr.on_time)[:3] == (Decimal("100.0"), 75, "met")
    assert _check(apr.rework)[:3] == (Decimal("0.0"), 25, "met")
    assert (feb.returned, feb.on_time_count, feb.sent_back) == (4, 3, 1)


def test_on_time_is_compared_exactly_not_after_rounding(data):
    """2 of 3 is 66.67%, shown as 66.7: a 67% target is not met, though 66.7 rounds to 67."""
    data.contract.on_time_target_percent = 67
    db.session.commit()
    march = _pack(Scope(contract=data.contract)).targets[1]
    assert march.on_time.status == "not_met"
    data.contract.on_time_target_percent = 66
    db.session.commit()
    assert _pack(Scope(contract=data.contract)).targets[1].on_time.status == "met"


def test_no_targets_set_and_months_outside_the_contract(data):
    contract = data.contract
    contract.monthly_volume = None
    contract.max_rework_percent = None
    contract.end_on = date(2025, 2, 28)
    db.session.commit()
    feb, mar, _ = _pack(Scope(contract=contract)).targets
    assert (feb.volume.status, feb.on_time.status, feb.rework.status) == (
        "no_target",
        "met",
        "no_target",
    )
    assert (mar.volume.status, mar.on_time.status, mar.rework.status) == ("no_target",) * 3
    assert mar.on_time.label == "No target" and mar.on_time.tag_class == "govuk-tag--grey"


def test_a_month_with_nothing_returned(data):
    pack = _pack(Scope(contract=data.contract), first=date(2024, 12, 1), last=date(2024, 12, 1))
    (december,) = pack.targets
    assert december.on_time.status == "nothing_returned"
    assert december.rework.status == "nothing_returned"
    assert december.volume.status == "not_met"  # nothing allocated against 4


def test_as_of_31_march_leaves_out_1_april(data):
    """The financial year's last day: 31 March events count, 1 April events do not."""
    pack = _pack(Scope(contract=data.contract), as_of=date(2025, 3, 31))
    d = Decimal
    assert [_flow(r) for r in pack.flow] == [
        (4, 3, d("75.0"), 30, 42, 1, d("25.0"), 1, 0, 1),
        (3, 2, d("66.7"), 20, 31, 1, d("33.3"), 1, 1, 0),  # r5 and r4's acceptance on 31 Mar
        (0, 0, None, None, None, 0, None, 0, 0, 0),  # r8 and r7's acceptance on 1 April
    ]
    feb, mar, apr = pack.targets
    assert mar.volume.status == "met"  # March is over at the end of 31 March
    assert apr.volume.status == "month_not_over"
    assert apr.on_time.status == "nothing_returned"
    cohort = [(r.allocated, r.returned) for r in pack.cohort]
    # r6 and r7 back in March; r8 on 1 April is not. April's work was not yet allocated.
    assert cohort == [(3, 2), (5, 2), (0, 0)]


def test_backlog_burn_down(data):
    pack = _pack(Scope(contract=data.contract))
    f = pack.forecast
    # 28 Feb: r5, o1 (w1 withdrawn that day). 31 Mar: r8, r9, p1, o1 (r5 back that day).
    # 15 Apr: r9, p1, o1, o2, d2 (declined only on 20 April).
    assert f.outstanding == 5
    points = [(p.day, p.actual, p.forecast) for p in pack.backlog]
    assert f.clears_on is not None and f.clears_on > date(2025, 4, 30)
    # The forecast runs past the chosen months (to April) until the day it clears.
    month_ends = [date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31)]
    month_ends += [date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31)]
    month_ends = [day for day in month_ends if day < f.clears_on]
    assert points == [
        (date(2025, 2, 28), 2, None),
        (date(2025, 3, 31), 4, None),
        (AS_OF, 5, f.backlog),
        *((day, None, f.backlog_on(day)) for day in month_ends),
        (f.clears_on, None, 0),
    ]
    assert len(points) > 4 + 1


def test_a_backlog_that_does_not_clear_is_drawn_for_two_years(data):
    """With no returns in the window the forecast is flat: drawn at each month end to the end
    of the month 24 months on (30 April 2025 to 30 April 2027), no further."""
    pack = _pack(Scope(provider=data.other))
    assert pack.forecast.returned_in_window == 0 and pack.forecast.clears_on is None
    later = [p for p in pack.backlog if p.day > AS_OF]
    assert len(later) == 25
    assert later[-1].day == date(2027, 4, 30)
    assert {p.forecast for p in later} == {pack.forecast.backlog}


def test_backlog_shows_the_day_the_forecast_clears(data):
    pack = _pack(Scope(contract=data.contract), last=date(2025, 12, 1))
    f = pack.forecast
    assert f.clears_on is not None
    later = [p for p in pack.backlog if p.day > AS_OF]
    assert later[-1] == BacklogPoint(f.clears_on, None, 0)
    assert all(p.day <= f.clears_on for p in later)
    assert [p.forecast for p in later] == sorted((p.forecast for p in later), reverse=True)


def test_spend_and_value(data):
    pack = _pack(Scope(contract=data.contract))
    spend = pack_sheets(pack)["spend"]
    d = Decimal
    # Actual: r1 (Feb, £1,000), r4 (31 Mar, plan £2,000), r7 (1 Apr, £1,000). Committed at
    # 28 Feb: r2 r3 r4 r5 o1 = £6,000; at 31 Mar: r2 r3 r5 r6 r7 r8 r9 o1 + p1 = £10,000;
    # on 15 Apr: r2 r3 r5 r6 r8 r9 r10 o1 o2 d2 + p1 = £12,000.
    assert [tuple(row) for row in spend.rows] == [
        (FEB, d("1000.00"), d("6000.00"), d("1000.00"), d("7000.00"), d("50000.00")),
        (MAR, d("2000.00"), d("10000.00"), d("3000.00"), d("13000.00"), d("50000.00")),
        (APR, d("1000.00"), d("12000.00"), d("4000.00"), d("16000.00"), d("50000.00")),
    ]
    assert all(isinstance(v, Decimal) for row in spend.rows for v in row[1:])


def test_sheets_carry_the_same_rows(data):
    pack = _pack(Scope(contract=data.contract))
    sheets = pack_sheets(pack)
    assert list(sheets) == [
        "cohort",
        "cohort_by_work_type",
        "flow",
        "targets",
        "forecast",
        "cost",
        "backlog",
        "spend",
        "sendback_reasons",
        "rubric",
        "stages",
    ]
    assert sheets["cohort"].rows[-1] == ("Total", 11, 6, 5)
    # The flow sheet measures the statutory date: r1 to r4 were all back within 6 weeks.
    assert sheets["flow"].rows[0][:6] == (FEB, 4, 4, Decimal("100.0"), 30, 42)
    assert sheets["targets"].rows[0][:5] == (FEB, 3, 4, "Not met", 5)
    forecast = dict(sheets["forecast"].rows)
    assert forecast["outstanding_allocated_work"] == 5
    assert forecast["as_of"] == AS_OF
    cost = sheets["cost"]
    assert [c.header for c in cost.columns][0] == "row"
    assert [row[0] for row in cost.rows] == [r.label for r in pack.forecast.cost.rows]


def test_events_on_as_of_count_and_the_day_after_does_not(data, make):
    make.allocation(
        provider=data.provider,
        contract=data.contract,
        allocated_on=date(2025, 4, 1),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=AS_OF,
    )
    make.allocation(
        provider=data.provider,
        contract=data.contract,
        allocated_on=date(2025, 4, 1),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2025, 4, 16),
    )
    april = _pack(Scope(contract=data.contract)).flow[2]
    assert april.withdrawn == 1
