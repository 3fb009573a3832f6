"""The clocks in full: advice under reg 8 with its exceptions, exceptions within 20 weeks, the age
limit and phase transfers by setting type. Every expected date was counted on a calendar."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from provider_portal import timescales
from provider_portal.outcomes import SETTING_TYPES
from provider_portal.timescales import (
    ADVICE_EXCEPTIONS,
    CORONAVIRUS_2020,
    FINAL_PLAN_EXCEPTIONS,
    HISTORICAL_EXCEPTIONS,
    IMPORTABLE_FINAL_PLAN_EXCEPTIONS,
    TRANSFER_FROM_NC_YEARS,
    TRANSFERS_BY_SETTING_TYPE,
    PhaseTransfer,
    academic_year,
    advice_statutory_due,
    exception_counts_for,
    exception_label,
    exception_period,
    final_plan_due,
    phase_transfer,
    phase_transfer_sql_rules,
    reception_year,
    today,
    transfers_for,
    under_25_on,
)

# --- The day convention --------------------------------------------------------------------------


def test_the_docstring_states_the_day_convention_domain_md_uses() -> None:
    words = " ".join((timescales.__doc__ or "").split())
    assert "the day a request is received is day 0" in words
    assert "on or before request date + 140 days is within 20 weeks" in words
    assert "the day the draft is served is day 1 of the 15" in words
    assert "received on day 1" not in words


def test_day_0_is_the_day_of_receipt_for_every_period() -> None:
    received = date(2024, 5, 1)
    assert final_plan_due(received) == date(2024, 9, 18)  # day 140
    assert advice_statutory_due(received, [], received) == date(2024, 6, 12)  # day 42
    assert timescales.issue_decision_due(received) == date(2024, 8, 21)  # day 112
    # The draft day is day 1 of 15: the final plan may follow on day 16, draft + 15 days.
    assert timescales.earliest_final_plan(date(2024, 8, 1)) == date(2024, 8, 16)


# --- Advice (reg 8) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested_on", "due"),
    [
        (date(2024, 1, 31), date(2024, 3, 13)),  # across 29 February
        (date(2025, 1, 31), date(2025, 3, 14)),  # across 28 February
        (date(2024, 2, 29), date(2024, 4, 11)),  # asked on a leap day
        (date(2023, 12, 31), date(2024, 2, 11)),  # across the year end
        (date(2024, 3, 30), date(2024, 5, 11)),  # across the clocks going forward
        (date(2024, 10, 26), date(2024, 12, 7)),  # across the clocks going back
    ],
)
def test_advice_is_due_6_weeks_from_the_request_for_it(requested_on: date, due: date) -> None:
    assert advice_statutory_due(requested_on, [], requested_on) == due


def test_an_advice_exception_moves_the_due_date_by_the_days_it_covers() -> None:
    # 5 to 9 August: 5 days, both ends included.
    periods = [(date(2024, 8, 5), date(2024, 8, 9))]
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 8, 1)) == date(2024, 9, 17)


def test_overlapping_advice_exceptions_count_each_day_once() -> None:
    # 5 to 9 and 8 to 12 August cover 5 to 12 August: 8 days, not 10.
    periods = [(date(2024, 8, 8), date(2024, 8, 12)), (date(2024, 8, 5), date(2024, 8, 9))]
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 8, 1)) == date(2024, 9, 20)
    # A period inside another adds nothing.
    inside = [(date(2024, 8, 5), date(2024, 8, 20)), (date(2024, 8, 6), date(2024, 8, 7))]
    assert advice_statutory_due(date(2024, 8, 1), inside, date(2024, 8, 1)) == date(2024, 9, 28)


def test_days_before_the_request_for_advice_do_not_count() -> None:
    periods = [(date(2024, 7, 20), date(2024, 8, 2))]  # only 1 and 2 August count
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 8, 1)) == date(2024, 9, 14)


def test_a_period_starting_after_the_due_date_moves_nothing() -> None:
    # Due 12 September: an exception from the 13th began after the advice was already late.
    late = [(date(2024, 9, 13), date(2024, 9, 30))]
    assert advice_statutory_due(date(2024, 8, 1), late, date(2024, 10, 1)) == date(2024, 9, 12)
    # One starting on the due day itself counts (the due day is still within the 6 weeks).
    on_the_day = [(date(2024, 9, 12), date(2024, 9, 13))]
    assert advice_statutory_due(date(2024, 8, 1), on_the_day, date(2024, 10, 1)) == date(
        2024, 9, 14
    )


def test_a_period_within_the_moved_due_date_counts_too() -> None:
    # 1 to 20 September moves the date to 2 October; a period from 25 September then counts.
    periods = [(date(2024, 9, 1), date(2024, 9, 20)), (date(2024, 9, 25), date(2024, 9, 26))]
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 10, 1)) == date(2024, 10, 4)


def test_an_open_ended_period_counts_up_to_until() -> None:
    # From 5 August with no end, worked out on 9 August: 5 days.
    periods: list[tuple[date, date | None]] = [(date(2024, 8, 5), None)]
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 8, 9)) == date(2024, 9, 17)
    # Worked out again when the advice came back on 30 August: 26 days.
    assert advice_statutory_due(date(2024, 8, 1), periods, date(2024, 8, 30)) == date(2024, 10, 8)


def test_advice_across_a_leap_day_exception() -> None:
    # 28 February to 1 March 2024 is 3 days in a leap year.
    periods = [(date(2024, 2, 28), date(2024, 3, 1))]
    assert advice_statutory_due(date(2024, 2, 1), periods, date(2024, 2, 1)) == date(2024, 3, 17)


# --- A young person under 25 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "requested", "under_25"),
    [
        (date(1999, 8, 16), date(2024, 8, 15), True),  # 25 tomorrow
        (date(1999, 8, 15), date(2024, 8, 15), False),  # 25 today: no longer a young person
        (date(1999, 8, 14), date(2024, 8, 15), False),
        # A 29 February birthday falls on 1 March in a year without one.
        (date(2000, 2, 29), date(2025, 2, 28), True),
        (date(2000, 2, 29), date(2025, 3, 1), False),
        (date(2024, 8, 15), date(2024, 8, 15), True),  # born the day of the request
    ],
)
def test_under_25_on_the_request_date(born: date, requested: date, under_25: bool) -> None:
    assert under_25_on(born, requested) is under_25


# --- Exceptions within the 20 weeks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "counts"),
    [
        (date(2024, 4, 1), date(2024, 4, 30), False),  # ended the day before the request
        (date(2024, 4, 1), date(2024, 5, 1), True),  # ended on the day of the request
        (date(2024, 9, 18), date(2024, 10, 1), True),  # began on day 140
        (date(2024, 9, 19), date(2024, 10, 1), False),  # began on day 141
        (date(2024, 9, 19), None, False),  # open-ended, but began after the 20 weeks
        (None, date(2024, 4, 30), False),  # open start, ended before the request
        (date(2024, 3, 1), None, True),  # began before and is still running
        (None, None, True),  # no dates: taken at its word
    ],
)
def test_an_exception_counts_only_if_it_overlaps_the_20_weeks(
    starts_on: date | None, ends_on: date | None, counts: bool
) -> None:
    # Received 1 May 2024: the 20 weeks run to 18 September 2024.
    assert exception_counts_for(date(2024, 5, 1), "school_holiday", starts_on, ends_on) is counts


@pytest.mark.parametrize(
    ("received", "counts"),
    [
        (date(2019, 12, 12), False),  # 20 weeks end 30 April 2020, before it came in
        (date(2019, 12, 13), True),  # 20 weeks end 1 May 2020, the first day in force
        (date(2020, 9, 25), True),  # received on the last day in force
        (date(2020, 9, 26), False),  # received after it lapsed
    ],
)
def test_an_undated_coronavirus_exception_covers_the_months_it_was_in_force(
    received: date, counts: bool
) -> None:
    assert exception_counts_for(received, CORONAVIRUS_2020, None, None) is counts
    assert exception_period(CORONAVIRUS_2020, None, None) == (date(2020, 5, 1), date(2020, 9, 25))
    # Dates recorded with it win.
    assert exception_period(CORONAVIRUS_2020, date(2020, 6, 1), None) == (
        date(2020, 6, 1),
        date(2020, 9, 25),
    )


def test_the_coronavirus_exception_is_history_only() -> None:
    assert CORONAVIRUS_2020 in HISTORICAL_EXCEPTIONS
    assert CORONAVIRUS_2020 in IMPORTABLE_FINAL_PLAN_EXCEPTIONS
    assert CORONAVIRUS_2020 not in FINAL_PLAN_EXCEPTIONS
    assert CORONAVIRUS_2020 not in ADVICE_EXCEPTIONS
    assert exception_label(CORONAVIRUS_2020) == (
        "Coronavirus, 1 May to 25 September 2020 (reg 10(4)(e), SI 2020/471)"
    )
    assert exception_label("school_holiday") == "School or college closed (reg 10(4)(a))"


# --- Phase transfers by setting type -------------------------------------------------------------

AS_OF = date(2024, 11, 1)  # the 2024/25 school year


def _reception_for(nc_year: int) -> int:
    return academic_year(AS_OF) - nc_year


def test_every_setting_type_has_its_transfers() -> None:
    assert set(TRANSFERS_BY_SETTING_TYPE) == set(SETTING_TYPES)
    assert transfers_for(None) is TRANSFER_FROM_NC_YEARS
    assert transfers_for("village school") is TRANSFER_FROM_NC_YEARS


@pytest.mark.parametrize(
    ("setting_type", "transfers"),
    [
        (None, {-1: "Reception", 2: "Year 3", 6: "Year 7", 11: "Year 12"}),
        ("early_years", {-1: "Reception"}),
        ("infant", {-1: "Reception", 2: "Year 3"}),
        ("junior", {6: "Year 7"}),
        ("primary", {-1: "Reception", 6: "Year 7"}),
        ("middle", {8: "Year 9"}),
        ("secondary", {11: "Year 12"}),
        ("all_through", {-1: "Reception", 11: "Year 12"}),
        ("special", {-1: "Reception", 11: "Year 12"}),
        ("post_16", {}),
    ],
)
def test_phase_transfers_follow_the_setting_type(
    setting_type: str | None, transfers: dict[int, str]
) -> None:
    for nc_year in range(-2, 15):
        found = phase_transfer(_reception_for(nc_year), AS_OF, setting_type)
        if nc_year not in transfers:
            assert found is None, (setting_type, nc_year)
            continue
        deadline = date(2025, 3, 31) if nc_year == 11 else date(2025, 2, 15)
        assert found == PhaseTransfer(transfers[nc_year], deadline, (deadline - AS_OF).days)


def test_a_year_2_child_in_a_primary_or_special_school_does_not_transfer() -> None:
    year_2 = _reception_for(2)
    assert phase_transfer(year_2, AS_OF) == PhaseTransfer("Year 3", date(2025, 2, 15), 106)
    assert phase_transfer(year_2, AS_OF, "infant") is not None
    for setting_type in ("primary", "special", "all_through"):
        assert phase_transfer(year_2, AS_OF, setting_type) is None


def test_a_middle_school_transfers_out_at_year_8() -> None:
    assert phase_transfer(_reception_for(8), AS_OF, "middle") == PhaseTransfer(
        "Year 9", date(2025, 2, 15), 106
    )
    assert phase_transfer(_reception_for(6), AS_OF, "middle") is None
    assert phase_transfer(_reception_for(8), AS_OF) is None


def test_a_year_group_is_anchored_to_the_day_it_was_recorded() -> None:
    # "Year 5", recorded in July 2024 (the 2023/24 year), is Year 6 from September 2024.
    anchored = reception_year(5, date(2014, 1, 1), date(2024, 7, 10))
    assert anchored == 2018
    assert phase_transfer(anchored, AS_OF, "primary") == PhaseTransfer(
        "Year 7", date(2025, 2, 15), 106
    )
    # The same words recorded in November 2024 mean Year 5 now: no transfer this year.
    assert phase_transfer(reception_year(5, date(2014, 1, 1), AS_OF), AS_OF, "primary") is None


@pytest.mark.parametrize("as_of", [date(2024, 11, 1), date(2025, 8, 31), date(2025, 9, 1)])
def test_the_sql_rules_say_what_phase_transfer_says(as_of: date) -> None:
    rules = phase_transfer_sql_rules(as_of)
    for setting_type in [None, "unknown", *SETTING_TYPES]:
        for reception in range(academic_year(as_of) - 16, academic_year(as_of) + 4):
            matching = [
                rule
                for rule in rules
                if rule.reception_year == reception
                and (
                    setting_type in rule.setting_types
                    or (rule.untyped and setting_type not in TRANSFERS_BY_SETTING_TYPE)
                )
            ]
            transfer = phase_transfer(reception, as_of, setting_type)
            assert len(matching) <= 1
            assert (matching[0].deadline if matching else None) == (
                transfer.deadline if transfer else None
            )


@freeze_time("2024-10-26 23:30:00")
def test_today_for_an_advice_request_is_the_london_date() -> None:
    # 23:30 UTC on 26 October 2024 is 00:30 on the 27th in London (still BST).
    assert advice_statutory_due(today(), [], today()) == date(2024, 12, 8)
