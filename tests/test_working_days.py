"""Working days: Monday to Friday less the bank holidays of England and Wales, as GOV.UK
publishes them (https://www.gov.uk/bank-holidays), substitute days and one-off changes included."""

from __future__ import annotations

from datetime import date

import pytest

from provider_portal.timescales import add_working_days, bank_holidays, is_working_day

# GOV.UK's published England and Wales lists.
PUBLISHED = {
    2020: "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28",
    2021: "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28",
    2022: "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27",
    2023: "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26",
    2024: "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
    2025: "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26",
    2026: "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
    2027: "01-01 03-26 03-29 05-03 05-31 08-30 12-27 12-28",
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_list(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{day}") for day in PUBLISHED[year].split()}
    assert bank_holidays(year) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 8, 23), True),  # a Friday
        (date(2024, 8, 24), False),  # Saturday
        (date(2024, 8, 25), False),  # Sunday
        (date(2024, 8, 26), False),  # the summer bank holiday
        (date(2026, 12, 28), False),  # Boxing Day's substitute (the 26th is a Saturday)
    ],
)
def test_a_working_day_is_a_weekday_that_is_not_a_bank_holiday(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2024, 9, 2), 5, date(2024, 9, 9)),  # Monday: the next Monday
        (date(2024, 9, 6), 5, date(2024, 9, 13)),  # Friday: the next Friday
        (date(2024, 9, 7), 1, date(2024, 9, 9)),  # Saturday: Monday
        (date(2024, 8, 21), 5, date(2024, 8, 29)),  # over the August bank holiday
        (date(2024, 12, 23), 5, date(2025, 1, 2)),  # over Christmas and the new year
        (date(2024, 9, 2), 0, date(2024, 9, 2)),
    ],
)
def test_add_working_days_skips_weekends_and_bank_holidays(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected
