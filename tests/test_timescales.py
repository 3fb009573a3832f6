"""The statutory clock at its edges: every expected date here was counted on a calendar by hand."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from provider_portal.timescales import (
    ADVICE_DAYS,
    ADVICE_EXCEPTIONS,
    DECISION_DAYS,
    DUE_SOON_WEEKS,
    FINAL_PLAN_DAYS,
    FINAL_PLAN_EXCEPTIONS,
    PHASE_TRANSFER_WINDOW_WEEKS,
    POST_16_FROM,
    TRANSFER_FROM_NC_YEARS,
    YEAR_GROUP_ERROR,
    AdviceClock,
    CaseClock,
    CaseStatus,
    PhaseTransfer,
    academic_year,
    add_months,
    advice_clock,
    age_on,
    case_clock,
    current_nc_year,
    days_late,
    days_since,
    decision_due,
    due_date,
    excusable_days,
    final_plan_due,
    financial_year,
    financial_year_end,
    financial_year_label,
    financial_year_start,
    month_start,
    months_between,
    parse_year_group,
    phase_transfer,
    phase_transfer_deadline_sql_years,
    phase_transfer_priority_years,
    priority_key,
    priority_rank,
    priority_reasons,
    reception_year,
    today,
    transfer_deadline,
    weeks_and_days,
    year_group_label,
)

# --- Constants ----------------------------------------------------------------------------------


def test_constants() -> None:
    assert (FINAL_PLAN_DAYS, DECISION_DAYS, ADVICE_DAYS) == (140, 42, 42)
    assert (DUE_SOON_WEEKS, PHASE_TRANSFER_WINDOW_WEEKS) == (4, 12)
    assert TRANSFER_FROM_NC_YEARS == {-1: "Reception", 2: "Year 3", 6: "Year 7", 11: "Year 12"}
    assert POST_16_FROM == 11


def test_exception_reasons_name_their_regulation() -> None:
    assert FINAL_PLAN_EXCEPTIONS == {
        "school_holiday": "School or college closed (reg 10(4)(a))",
        "early_years_closure": "Early years provider closed (reg 10(4)(b))",
        "exceptional_personal_circumstances": "Exceptional personal circumstances (reg 10(4)(c))",
        "absent_from_area": "Absent from the area for 4 weeks or more (reg 10(4)(d))",
    }
    assert ADVICE_EXCEPTIONS == {
        "advice_exceptional_circumstances": "Exceptional circumstances (reg 8(2)(a))",
        "advice_absent_from_area": "Absent from the area for 4 weeks or more (reg 8(2)(b))",
        "missed_appointment": "Failed to keep an appointment (reg 8(2)(c))",
    }


# --- today() is the London date -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc_moment", "london_date"),
    [
        # British Summer Time: 23:30 UTC is 00:30 the next day in London.
        ("2024-06-30 23:30:00", date(2024, 7, 1)),
        # Greenwich Mean Time: London and UTC agree.
        ("2024-12-31 23:30:00", date(2024, 12, 31)),
        # Clocks go forward at 01:00 UTC on 31 March 2024: the night before is still GMT.
        ("2024-03-30 23:30:00", date(2024, 3, 30)),
        ("2024-03-31 00:30:00", date(2024, 3, 31)),
        # Clocks go back at 01:00 UTC on 27 October 2024: 23:30 UTC on the 26th is still BST,
        # so London is already on the 27th.
        ("2024-10-26 23:30:00", date(2024, 10, 27)),
        ("2024-10-27 00:30:00", date(2024, 10, 27)),
    ],
)
def test_today_is_the_europe_london_date(utc_moment: str, london_date: date) -> None:
    with freeze_time(utc_moment):
        assert today() == london_date


@freeze_time("2024-06-30 23:30:00")
def test_a_case_clock_for_today_uses_the_london_date() -> None:
    # London is on 1 July: a request of 11 February 2024 is due 30 June, so 1 day overdue.
    clock = case_clock(date(2024, 2, 11), None, today())
    assert clock.final_plan_due == date(2024, 6, 30)
    assert clock.days_overdue == 1
    assert clock.status is CaseStatus.OUT


# --- Due dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "decision", "final_plan"),
    [
        # An ordinary request.
        (date(2024, 9, 2), date(2024, 10, 14), date(2025, 1, 20)),
        # Received on 29 February: 140 days on is 18 July.
        (date(2024, 2, 29), date(2024, 4, 11), date(2024, 7, 18)),
        # 20 weeks from 12 October 2023 ends exactly on 29 February 2024.
        (date(2023, 10, 12), date(2023, 11, 23), date(2024, 2, 29)),
        # The same request a year later, with no 29 February to cross, ends on 1 March.
        (date(2022, 10, 12), date(2022, 11, 23), date(2023, 3, 1)),
        # The last day of a month: plain day counting, not "same day next month".
        (date(2025, 1, 31), date(2025, 3, 14), date(2025, 6, 20)),
        (date(2024, 1, 31), date(2024, 3, 13), date(2024, 6, 19)),
        # A Sunday request: due dates are Sundays too, not moved to a weekday.
        (date(2024, 9, 1), date(2024, 10, 13), date(2025, 1, 19)),
    ],
)
def test_decision_and_final_plan_due_dates(
    received: date, decision: date, final_plan: date
) -> None:
    assert decision_due(received) == decision
    assert final_plan_due(received) == final_plan


def test_a_sunday_request_keeps_its_sunday_due_dates() -> None:
    received = date(2024, 9, 1)
    assert received.isoweekday() == 7
    assert decision_due(received).isoweekday() == 7
    assert final_plan_due(received).isoweekday() == 7
    assert due_date(received, ADVICE_DAYS) == date(2024, 10, 13)


def test_days_since_and_weeks_and_days() -> None:
    assert days_since(date(2024, 9, 2), date(2024, 9, 2)) == 0
    assert days_since(date(2024, 9, 2), date(2024, 9, 3)) == 1
    # 2 September 2024 to 24 January 2025: 28 + 31 + 30 + 31 + 24 = 144 days.
    assert days_since(date(2024, 9, 2), date(2025, 1, 24)) == 144
    assert weeks_and_days(144) == (20, 4)
    assert weeks_and_days(143) == (20, 3)
    assert weeks_and_days(140) == (20, 0)
    assert weeks_and_days(6) == (0, 6)
    assert weeks_and_days(0) == (0, 0)


def test_existing_helpers_still_work() -> None:
    assert due_date(date(2024, 12, 20), 42) == date(2025, 1, 31)
    assert days_late(date(2024, 7, 25), date(2024, 9, 10), date(2025, 1, 1)) == 47
    assert days_late(date(2024, 7, 25), None, date(2024, 7, 25)) == 0
    assert month_start(date(2024, 2, 29)) == date(2024, 2, 1)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 1)
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 1)
    assert months_between(date(2024, 11, 30), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]


# --- The case clock -----------------------------------------------------------------------------

RECEIVED = date(2024, 9, 2)  # final plan due 20 January 2025, decision due 14 October 2024


def test_on_the_final_plan_due_date_a_case_is_not_yet_out_of_timescale() -> None:
    clock = case_clock(RECEIVED, None, date(2025, 1, 20))
    assert clock == CaseClock(
        request_received_on=RECEIVED,
        decision_due=date(2024, 10, 14),
        final_plan_due=date(2025, 1, 20),
        days_since_request=140,
        weeks_since_request=20,
        days_overdue=0,
        status=CaseStatus.DUE_SOON,
        issued_on=None,
    )


def test_the_day_after_the_final_plan_due_date_a_case_is_one_day_overdue() -> None:
    clock = case_clock(RECEIVED, None, date(2025, 1, 21))
    assert clock.days_since_request == 141
    assert clock.weeks_since_request == 20
    assert clock.days_overdue == 1
    assert clock.status is CaseStatus.OUT


def test_an_open_case_keeps_counting() -> None:
    # 20 January 2025 + 98 days (14 weeks) = 28 April 2025.
    clock = case_clock(RECEIVED, None, date(2025, 4, 28))
    assert clock.days_since_request == 238
    assert clock.weeks_since_request == 34
    assert clock.days_overdue == 98
    assert clock.status is CaseStatus.OUT


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (RECEIVED, CaseStatus.WITHIN),
        # 29 days before the due date is more than 4 weeks away.
        (date(2024, 12, 22), CaseStatus.WITHIN),
        # 28 days before is exactly 4 weeks away: due within 4 weeks, as a plan issued on
        # request date + 140 days is issued within 20 weeks.
        (date(2024, 12, 23), CaseStatus.DUE_SOON),
        (date(2024, 12, 24), CaseStatus.DUE_SOON),
        (date(2025, 1, 20), CaseStatus.DUE_SOON),
        (date(2025, 1, 21), CaseStatus.OUT),
    ],
)
def test_open_case_status(as_of: date, status: CaseStatus) -> None:
    assert case_clock(RECEIVED, None, as_of).status is status


def test_due_soon_window_can_be_changed() -> None:
    # 24 December is 27 days before 20 January: inside 4 weeks, outside 2.
    assert case_clock(RECEIVED, None, date(2024, 12, 24), due_soon_weeks=2).status is (
        CaseStatus.WITHIN
    )
    # 6 January is 14 days before: within 2 weeks; 5 January (15 days) is not.
    assert case_clock(RECEIVED, None, date(2025, 1, 6), due_soon_weeks=2).status is (
        CaseStatus.DUE_SOON
    )
    assert case_clock(RECEIVED, None, date(2025, 1, 5), due_soon_weeks=2).status is (
        CaseStatus.WITHIN
    )


def test_a_plan_issued_on_the_due_date_is_on_time_and_stops_the_clock() -> None:
    clock = case_clock(RECEIVED, date(2025, 1, 20), date(2025, 6, 1))
    assert clock.status is CaseStatus.CLOSED_ON_TIME
    assert clock.days_since_request == 140
    assert clock.weeks_since_request == 20
    assert clock.days_overdue == 0
    assert clock.issued_on == date(2025, 1, 20)


def test_a_plan_issued_the_day_after_is_late() -> None:
    clock = case_clock(RECEIVED, date(2025, 1, 21), date(2025, 6, 1))
    assert clock.status is CaseStatus.CLOSED_LATE
    assert clock.days_since_request == 141
    assert clock.days_overdue == 1


def test_an_early_plan_is_on_time() -> None:
    clock = case_clock(RECEIVED, date(2024, 12, 2), date(2025, 6, 1))
    assert clock.status is CaseStatus.CLOSED_ON_TIME
    assert clock.days_since_request == 91
    assert clock.weeks_since_request == 13
    assert clock.days_overdue == 0


def test_a_leap_day_request_is_on_time_on_18_july() -> None:
    assert case_clock(date(2024, 2, 29), date(2024, 7, 18), date(2024, 8, 1)).status is (
        CaseStatus.CLOSED_ON_TIME
    )
    assert case_clock(date(2024, 2, 29), date(2024, 7, 19), date(2024, 8, 1)).status is (
        CaseStatus.CLOSED_LATE
    )


def test_status_labels_and_tags() -> None:
    assert [(s.value, s.label, s.tag_class) for s in CaseStatus] == [
        ("within_timescale", "Within timescale", "govuk-tag--green"),
        ("due_soon", "Due soon", "govuk-tag--yellow"),
        ("out_of_timescale", "Out of timescale", "govuk-tag--red"),
        ("closed_on_time", "Closed on time", "govuk-tag--grey"),
        ("closed_late", "Closed late", "govuk-tag--orange"),
    ]
    assert CaseStatus("out_of_timescale") is CaseStatus.OUT
    assert f"{CaseStatus.DUE_SOON}" == "due_soon"


# --- Advice -------------------------------------------------------------------------------------

ALLOCATED = date(2024, 6, 13)  # advice due 25 July 2024


@pytest.mark.parametrize(
    ("returned", "as_of", "expected"),
    [
        (None, date(2024, 7, 1), AdviceClock(date(2024, 7, 25), None, None, 0)),
        # Still not back on the due date: not late yet.
        (None, date(2024, 7, 25), AdviceClock(date(2024, 7, 25), None, None, 0)),
        (None, date(2024, 7, 26), AdviceClock(date(2024, 7, 25), None, False, 1)),
        (
            date(2024, 7, 25),
            date(2024, 9, 1),
            AdviceClock(date(2024, 7, 25), date(2024, 7, 25), True, 0),
        ),
        (
            date(2024, 9, 10),
            date(2024, 12, 1),
            AdviceClock(date(2024, 7, 25), date(2024, 9, 10), False, 47),
        ),
    ],
)
def test_advice_clock(returned: date | None, as_of: date, expected: AdviceClock) -> None:
    assert advice_clock(ALLOCATED, returned, as_of) == expected


def test_advice_clock_with_a_contract_turnaround() -> None:
    # 4 weeks from 13 June 2024 is 11 July.
    clock = advice_clock(ALLOCATED, date(2024, 7, 12), date(2024, 8, 1), turnaround_days=28)
    assert clock == AdviceClock(date(2024, 7, 11), date(2024, 7, 12), False, 1)


# --- Exceptions ---------------------------------------------------------------------------------


def test_a_summer_holiday_exception_excuses_only_the_late_days_inside_it() -> None:
    # Advice due 25 July, returned 10 September: late 26 July to 10 September, 47 days.
    # The school was closed 19 July to 3 September: of the late days, 26 July to 3 September
    # fall inside it (6 in July + 31 in August + 3 in September = 40); 4 to 10 September don't.
    summer = [(date(2024, 7, 19), date(2024, 9, 3))]
    assert days_late(date(2024, 7, 25), date(2024, 9, 10), date(2024, 12, 1)) == 47
    assert excusable_days(date(2024, 7, 25), date(2024, 9, 10), date(2024, 12, 1), summer) == 40


def test_overlapping_periods_count_each_day_once() -> None:
    # Late 2 to 31 January; periods 5-10 and 8-15 cover 5-15 (11 days), 20-22 adds 3.
    periods = [
        (date(2025, 1, 8), date(2025, 1, 15)),
        (date(2025, 1, 5), date(2025, 1, 10)),
        (date(2025, 1, 20), date(2025, 1, 22)),
        # Wholly inside the first two: adds nothing.
        (date(2025, 1, 6), date(2025, 1, 7)),
    ]
    assert excusable_days(date(2025, 1, 1), date(2025, 1, 31), date(2025, 3, 1), periods) == 14


def test_an_open_period_runs_to_as_of_and_open_work_is_late_to_as_of() -> None:
    # Due 1 January, not done, asked on 20 January; the period began 15 January and is
    # still going: 15 to 20 January is 6 days.
    periods: list[tuple[date, date | None]] = [(date(2025, 1, 15), None)]
    assert excusable_days(date(2025, 1, 1), None, date(2025, 1, 20), periods) == 6


def test_periods_outside_the_late_days_excuse_nothing() -> None:
    due = date(2025, 1, 1)
    # Before or on the due date, or after the work was done.
    periods: list[tuple[date, date | None]] = [
        (date(2024, 12, 1), date(2025, 1, 1)),
        (date(2025, 2, 1), date(2025, 2, 10)),
    ]
    assert excusable_days(due, date(2025, 1, 20), date(2025, 3, 1), periods) == 0
    assert excusable_days(due, date(2024, 12, 20), date(2025, 3, 1), periods) == 0
    assert excusable_days(due, date(2025, 1, 20), date(2025, 3, 1), []) == 0


# --- School years and year groups ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "year"),
    [
        (date(2025, 8, 31), 2024),
        (date(2025, 9, 1), 2025),
        (date(2026, 8, 31), 2025),
        (date(2026, 9, 1), 2026),
        (date(2026, 1, 1), 2025),
        (date(2025, 12, 31), 2025),
    ],
)
def test_academic_year(on: date, year: int) -> None:
    assert academic_year(on) == year


@pytest.mark.parametrize(
    ("text", "nc_year"),
    [
        ("N1", -2),
        ("n1", -2),
        ("Nursery (N1)", -2),
        ("N2", -1),
        ("Nursery", -1),
        ("NURSERY", -1),
        ("R", 0),
        ("r", 0),
        ("Rec", 0),
        ("Reception", 0),
        ("  reception ", 0),
        ("Year 1", 1),
        ("Year 7", 7),
        ("year7", 7),
        ("Year   7", 7),
        ("YEAR 14", 14),
        ("Y1", 1),
        ("y 11", 11),
        ("Y14", 14),
        ("yr 7", 7),
        ("Yr7", 7),
        ("1", 1),
        ("6", 6),
        (" 14 ", 14),
        ("07", 7),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_year_group(text: str | None, nc_year: int | None) -> None:
    assert parse_year_group(text) == nc_year


@pytest.mark.parametrize(
    "text",
    ["Year 15", "15", "0", "Year 0", "Y", "Year", "reception class", "N3", "-1", "Y 7b", "7.5"],
)
def test_parse_year_group_rejects(text: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_year_group(text)
    assert str(error.value) == (
        "Year group must be Nursery, Reception or Year 1 to Year 14 (or N1, N2, R, 1 to 14)"
    )
    assert str(error.value) == YEAR_GROUP_ERROR


@pytest.mark.parametrize(
    ("nc_year", "label"),
    [
        (-2, "Nursery (N1)"),
        (-1, "Nursery"),
        (0, "Reception"),
        (1, "Year 1"),
        (7, "Year 7"),
        (14, "Year 14"),
        (-3, "Not yet in nursery"),
        (15, "Post-19"),
    ],
)
def test_year_group_label(nc_year: int, label: str) -> None:
    assert year_group_label(nc_year) == label


def test_labels_and_parsing_agree() -> None:
    for nc_year in range(-2, 15):
        assert parse_year_group(year_group_label(nc_year)) == nc_year


def test_reception_year_from_date_of_birth() -> None:
    recorded = date(2025, 1, 10)
    # Born 31 August 2016: the youngest of the year that started Reception in September 2020.
    assert reception_year(None, date(2016, 8, 31), recorded) == 2020
    # Born a day later: the oldest of the next year.
    assert reception_year(None, date(2016, 9, 1), recorded) == 2021
    assert reception_year(None, date(2016, 1, 1), recorded) == 2020
    assert reception_year(None, date(2016, 12, 31), recorded) == 2021


def test_reception_year_from_year_group_wins_over_date_of_birth() -> None:
    # A child born 1 September 2016 would be in Year 3 in 2024/25, but the school says Year 4
    # (moved up a year): 2024 - 4 = 2020.
    assert reception_year(4, date(2016, 9, 1), date(2025, 1, 10)) == 2020
    # Recorded on 31 August 2025 (still 2024/25) as Year 6: Reception was 2018/19.
    assert reception_year(6, date(2013, 1, 1), date(2025, 8, 31)) == 2018
    # Recorded the next day as Year 7: the same child.
    assert reception_year(7, date(2013, 1, 1), date(2025, 9, 1)) == 2018
    # Nursery (N2) in 2024/25: Reception next year.
    assert reception_year(-1, date(2020, 10, 1), date(2024, 11, 1)) == 2025


def test_current_nc_year_rolls_over_on_1_september() -> None:
    assert current_nc_year(2018, date(2025, 8, 31)) == 6
    assert current_nc_year(2018, date(2025, 9, 1)) == 7
    assert current_nc_year(2020, date(2025, 1, 10)) == 4


def test_age_on() -> None:
    assert age_on(date(2010, 6, 15), date(2025, 6, 14)) == 14
    assert age_on(date(2010, 6, 15), date(2025, 6, 15)) == 15
    assert age_on(date(2010, 6, 15), date(2010, 6, 15)) == 0


def test_a_29_february_child_has_their_birthday_on_1_march_in_other_years() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2025, 2, 28)) == 16
    assert age_on(born, date(2025, 3, 1)) == 17
    # In a leap year the birthday is the day itself.
    assert age_on(born, date(2024, 2, 28)) == 15
    assert age_on(born, date(2024, 2, 29)) == 16


# --- Phase transfers ----------------------------------------------------------------------------


def test_transfer_deadlines() -> None:
    assert transfer_deadline(6, date(2024, 9, 1)) == date(2025, 2, 15)
    assert transfer_deadline(6, date(2025, 8, 31)) == date(2025, 2, 15)
    assert transfer_deadline(11, date(2025, 1, 10)) == date(2025, 3, 31)
    assert transfer_deadline(-1, date(2025, 9, 1)) == date(2026, 2, 15)


def test_a_15_february_deadline_on_a_saturday_stays_put() -> None:
    assert date(2025, 2, 15).isoweekday() == 6
    # Year 6 in 2024/25: Reception was 2018/19. 9 January to 15 February is 22 + 15 = 37 days.
    assert phase_transfer(2018, date(2025, 1, 9)) == PhaseTransfer("Year 7", date(2025, 2, 15), 37)


@pytest.mark.parametrize(
    ("reception", "moving_into", "deadline", "days_left"),
    [
        # Nursery now (Reception next year); 1 November 2024 to 15 February 2025 is
        # 29 + 31 + 31 + 15 = 106 days.
        (2025, "Reception", date(2025, 2, 15), 106),
        (2022, "Year 3", date(2025, 2, 15), 106),
        (2018, "Year 7", date(2025, 2, 15), 106),
        # Post-16 has until 31 March: 106 + 13 + 31 = 150 days.
        (2013, "Year 12", date(2025, 3, 31), 150),
    ],
)
def test_each_transfer(reception: int, moving_into: str, deadline: date, days_left: int) -> None:
    assert phase_transfer(reception, date(2024, 11, 1)) == PhaseTransfer(
        moving_into, deadline, days_left
    )


@pytest.mark.parametrize("reception", [2024, 2023, 2021, 2019, 2014, 2012, 2008])
def test_no_transfer_in_other_years(reception: int) -> None:
    # Reception, Years 1, 3, 5, 10, 12 and 16 in 2024/25.
    assert phase_transfer(reception, date(2024, 11, 1)) is None


def test_no_transfer_without_a_reception_year() -> None:
    assert phase_transfer(None, date(2024, 11, 1)) is None


def test_the_post_16_deadline_is_31_march() -> None:
    # Year 11 in 2024/25. 10 January to 31 March 2025: 21 + 28 + 31 = 80 days.
    assert phase_transfer(2013, date(2025, 1, 10)) == PhaseTransfer(
        "Year 12", date(2025, 3, 31), 80
    )
    assert phase_transfer(2013, date(2025, 3, 31)) == PhaseTransfer("Year 12", date(2025, 3, 31), 0)
    assert phase_transfer(2013, date(2025, 4, 1)) == PhaseTransfer("Year 12", date(2025, 3, 31), -1)


def test_the_transfer_ends_when_the_academic_year_rolls_over() -> None:
    # On 31 August 2025 a Year 6 child's deadline passed 197 days ago:
    # 13 (rest of February) + 31 + 30 + 31 + 30 + 31 + 31 = 197.
    assert phase_transfer(2018, date(2025, 8, 31)) == PhaseTransfer(
        "Year 7", date(2025, 2, 15), -197
    )
    # On 1 September they are in Year 7: no transfer.
    assert phase_transfer(2018, date(2025, 9, 1)) is None
    # And last year's Year 5 is now in Year 6, with 15 February 2026 to aim for:
    # 29 + 31 + 30 + 31 + 31 + 15 = 167 days from 1 September.
    assert phase_transfer(2019, date(2025, 8, 31)) is None
    assert phase_transfer(2019, date(2025, 9, 1)) == PhaseTransfer("Year 7", date(2026, 2, 15), 167)


def test_sql_years_map_each_transfer_reception_year_to_its_deadline() -> None:
    assert phase_transfer_deadline_sql_years(date(2024, 11, 1)) == {
        2025: date(2025, 2, 15),
        2022: date(2025, 2, 15),
        2018: date(2025, 2, 15),
        2013: date(2025, 3, 31),
    }
    # On 1 September everything moves on a year.
    assert phase_transfer_deadline_sql_years(date(2025, 9, 1)) == {
        2026: date(2026, 2, 15),
        2023: date(2026, 2, 15),
        2019: date(2026, 2, 15),
        2014: date(2026, 3, 31),
    }


@pytest.mark.parametrize(
    "as_of", [date(2024, 8, 31), date(2024, 9, 1), date(2025, 1, 9), date(2025, 8, 31)]
)
def test_sql_years_agree_with_phase_transfer(as_of: date) -> None:
    mapping = phase_transfer_deadline_sql_years(as_of)
    for reception in range(2000, 2030):
        transfer = phase_transfer(reception, as_of)
        assert mapping.get(reception) == (transfer.deadline if transfer else None)


def test_priority_years_are_the_sql_years_within_the_window() -> None:
    # 22 November 2024 is 85 days before 15 February: not yet within 12 weeks (84 days).
    assert phase_transfer_priority_years(date(2024, 11, 22)) == {}
    assert phase_transfer_priority_years(date(2024, 11, 23)) == {
        2025: date(2025, 2, 15),
        2022: date(2025, 2, 15),
        2018: date(2025, 2, 15),
    }
    # 31 March is 81 days after 9 January; with an 11-week (77-day) window it is left out.
    assert phase_transfer_priority_years(date(2025, 1, 9), window_weeks=11) == {
        2025: date(2025, 2, 15),
        2022: date(2025, 2, 15),
        2018: date(2025, 2, 15),
    }
    assert phase_transfer_priority_years(date(2025, 1, 9))[2013] == date(2025, 3, 31)


# --- Priority -----------------------------------------------------------------------------------

FEB_15 = date(2025, 2, 15)


def test_priority_rank() -> None:
    near = PhaseTransfer("Year 7", FEB_15, 37)
    far = PhaseTransfer("Year 7", FEB_15, 85)
    passed = PhaseTransfer("Year 7", FEB_15, -3)
    assert priority_rank(True, None) == 0
    assert priority_rank(True, near) == 0
    assert priority_rank(False, near) == 1
    # Exactly 12 weeks (84 days) away is within 12 weeks.
    assert priority_rank(False, PhaseTransfer("Year 7", FEB_15, 84)) == 1
    assert priority_rank(False, far) == 2
    assert priority_rank(False, far, window_weeks=13) == 1
    assert priority_rank(False, passed) == 1
    assert priority_rank(False, None) == 2


@pytest.mark.parametrize(
    ("looked_after", "transfer", "days_overdue", "reasons"),
    [
        (
            True,
            PhaseTransfer("Year 7", FEB_15, 37),
            98,
            ["Looked after", "Phase transfer: 15 Feb, 37 days", "14 weeks overdue"],
        ),
        (True, None, 0, ["Looked after"]),
        (False, PhaseTransfer("Year 7", FEB_15, 1), 0, ["Phase transfer: 15 Feb, 1 day"]),
        (False, PhaseTransfer("Year 7", FEB_15, 0), 0, ["Phase transfer: 15 Feb, today"]),
        (
            False,
            PhaseTransfer("Year 7", FEB_15, -3),
            0,
            ["Phase transfer: 15 Feb, passed 3 days ago"],
        ),
        (
            False,
            PhaseTransfer("Year 7", FEB_15, -1),
            0,
            ["Phase transfer: 15 Feb, passed 1 day ago"],
        ),
        (
            False,
            PhaseTransfer("Year 12", date(2025, 3, 31), 81),
            0,
            ["Phase transfer: 31 Mar, 81 days"],
        ),
        # Outside the 12-week window: the transfer is not a reason yet.
        (False, PhaseTransfer("Year 7", FEB_15, 85), 20, ["2 weeks overdue"]),
        (False, None, 7, ["1 week overdue"]),
        (False, None, 13, ["1 week overdue"]),
        (False, None, 14, ["2 weeks overdue"]),
        (False, None, 6, ["6 days overdue"]),
        (False, None, 3, ["3 days overdue"]),
        (False, None, 1, ["1 day overdue"]),
        (False, None, 0, []),
    ],
)
def test_priority_reasons(
    looked_after: bool, transfer: PhaseTransfer | None, days_overdue: int, reasons: list[str]
) -> None:
    assert priority_reasons(looked_after, transfer, days_overdue) == reasons


def test_priority_reasons_follow_the_window() -> None:
    transfer = PhaseTransfer("Year 12", date(2025, 3, 31), 81)
    assert priority_reasons(False, transfer, 0, window_weeks=11) == []
    assert priority_reasons(False, transfer, 0, window_weeks=12) == [
        "Phase transfer: 31 Mar, 81 days"
    ]


def test_priority_key() -> None:
    received = date(2024, 6, 1)
    near = PhaseTransfer("Year 7", FEB_15, 37)
    assert priority_key(True, near, 10, received) == (0, date.max, -10, received)
    assert priority_key(False, near, 10, received) == (1, FEB_15, -10, received)
    assert priority_key(False, None, 0, received) == (2, date.max, 0, received)


def test_priority_orders_a_mixed_list() -> None:
    as_of = date(2025, 1, 9)
    # name: (looked after, reception year, days overdue, request received)
    cases = {
        "A, Year 6": (False, 2018, 0, date(2024, 12, 1)),
        "B, looked after": (True, None, 0, date(2024, 11, 1)),
        "C, 100 days over": (False, None, 100, date(2024, 5, 1)),
        "D, Year 11": (False, 2013, 50, date(2024, 6, 1)),
        "E, 100 days over, older": (False, None, 100, date(2024, 4, 1)),
        "F, looked after, Year 2": (True, 2022, 10, date(2024, 7, 1)),
        "G, within time": (False, None, 0, date(2024, 10, 1)),
        "H, Year 4": (False, 2020, 200, date(2024, 3, 1)),
    }

    def ordered(window_weeks: int) -> list[str]:
        return sorted(
            cases,
            key=lambda name: priority_key(
                cases[name][0],
                phase_transfer(cases[name][1], as_of),
                cases[name][2],
                cases[name][3],
                window_weeks,
            ),
        )

    # Looked after first (the more overdue first), then the 15 February transfer before the
    # 31 March one, then by days overdue, the older request breaking the tie.
    assert ordered(12) == [
        "F, looked after, Year 2",
        "B, looked after",
        "A, Year 6",
        "D, Year 11",
        "H, Year 4",
        "E, 100 days over, older",
        "C, 100 days over",
        "G, within time",
    ]
    # With an 11-week window 31 March (81 days away) is not yet pressing: D drops to its
    # place by days overdue.
    assert ordered(11) == [
        "F, looked after, Year 2",
        "B, looked after",
        "A, Year 6",
        "H, Year 4",
        "E, 100 days over, older",
        "C, 100 days over",
        "D, Year 11",
        "G, within time",
    ]


@pytest.mark.parametrize(
    "as_of", [date(2024, 11, 22), date(2024, 11, 23), date(2025, 1, 5), date(2025, 1, 6)]
)
def test_priority_years_agree_with_priority_rank(as_of: date) -> None:
    # 22 and 23 November 2024 are 85 and 84 days before 15 February; 5 and 6 January 2025 are
    # 85 and 84 days before 31 March (26 + 28 + 31 = 85).
    pressing = phase_transfer_priority_years(as_of)
    for reception in range(2000, 2030):
        transfer = phase_transfer(reception, as_of)
        assert (priority_rank(False, transfer) == 1) == (reception in pressing)


@pytest.mark.parametrize(
    ("day", "year", "label"),
    [
        (date(2025, 3, 31), 2024, "2024-25"),
        (date(2025, 4, 1), 2025, "2025-26"),
        (date(2000, 1, 1), 1999, "1999-00"),
        (date(2099, 4, 1), 2099, "2099-00"),
    ],
)
def test_uk_financial_year_runs_1_april_to_31_march(day, year, label):
    assert financial_year(day) == year
    assert financial_year_label(year) == label
    assert financial_year_start(year) <= day <= financial_year_end(year)
