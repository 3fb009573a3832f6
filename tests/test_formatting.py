"""Dates, times, money and counts as the portal writes them, at their edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time

from provider_portal.formatting import (
    date_and_time,
    day_and_month,
    describe_overdue,
    format_money,
    long_date,
    month_year,
    plural,
    short_date,
    timestamp,
    weeks_and_days_text,
)


@pytest.mark.parametrize(
    ("day", "long", "short", "month"),
    [
        (date(2026, 12, 4), "4 December 2026", "4 Dec 2026", "December 2026"),
        (date(2024, 1, 1), "1 January 2024", "1 Jan 2024", "January 2024"),
        (date(2024, 3, 31), "31 March 2024", "31 Mar 2024", "March 2024"),
        (date(2024, 2, 29), "29 February 2024", "29 Feb 2024", "February 2024"),
        (date(2025, 9, 9), "9 September 2025", "9 Sep 2025", "September 2025"),
        (date(2025, 10, 10), "10 October 2025", "10 Oct 2025", "October 2025"),
    ],
)
def test_dates_have_no_leading_zero(day, long, short, month):
    assert long_date(day) == long
    assert short_date(day) == short
    assert month_year(day) == month
    assert day_and_month(day) == short.rsplit(" ", 1)[0]


def test_no_date_is_written_as_nothing():
    for formatter in (long_date, short_date, month_year, day_and_month):
        assert formatter(None) == ""
    assert timestamp(None) == ""
    assert date_and_time(None) == ""


def test_a_datetime_is_written_by_its_own_date():
    assert long_date(datetime(2024, 6, 1, 23, 30, tzinfo=UTC)) == "1 June 2024"


@pytest.mark.parametrize(
    ("moment", "minutes", "seconds"),
    [
        # Greenwich Mean Time in winter: London and UTC agree.
        (datetime(2024, 12, 4, 9, 5, 7, tzinfo=UTC), "4 Dec 2024 09:05 GMT", "09:05:07 GMT"),
        # British Summer Time: 23:30 UTC on 1 June is 00:30 on 2 June in London.
        (datetime(2024, 6, 1, 23, 30, 0, tzinfo=UTC), "2 Jun 2024 00:30 BST", "00:30:00 BST"),
        # The clocks go forward at 01:00 UTC on 31 March 2024.
        (datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC), "31 Mar 2024 00:59 GMT", "00:59:59 GMT"),
        (datetime(2024, 3, 31, 1, 0, 0, tzinfo=UTC), "31 Mar 2024 02:00 BST", "02:00:00 BST"),
        # They go back at 01:00 UTC on 27 October 2024.
        (datetime(2024, 10, 27, 0, 30, 0, tzinfo=UTC), "27 Oct 2024 01:30 BST", "01:30:00 BST"),
        (datetime(2024, 10, 27, 1, 30, 0, tzinfo=UTC), "27 Oct 2024 01:30 GMT", "01:30:00 GMT"),
    ],
)
def test_timestamps_are_london_time_with_the_zone(moment, minutes, seconds):
    assert timestamp(moment) == minutes
    assert timestamp(moment, seconds=True) == minutes.rsplit(" ", 2)[0] + " " + seconds


def test_a_timestamp_can_be_written_in_utc():
    summer = datetime(2024, 6, 1, 23, 30, tzinfo=UTC)
    assert timestamp(summer, zone="UTC") == "1 Jun 2024 23:30 UTC"


@freeze_time("2024-07-01 11:00:00")
def test_timestamp_of_now_in_summer():
    assert timestamp(datetime.now(UTC)) == "1 Jul 2024 12:00 BST"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2025, 3, 14, 15, 5, tzinfo=UTC), "14 March 2025 at 3:05pm"),
        (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), "1 January 2025 at 12:00am"),
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "1 January 2025 at 12:00pm"),
        (datetime(2025, 7, 31, 23, 59, tzinfo=UTC), "1 August 2025 at 12:59am"),
        (datetime(2025, 7, 31, 10, 0, tzinfo=UTC), "31 July 2025 at 11:00am"),
    ],
)
def test_date_and_time_reads_as_people_say_it(moment, text):
    assert date_and_time(moment) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1496000"), "£1,496,000.00"),
        (Decimal("-1000"), "−£1,000.00"),
        (Decimal("-1000.5"), "−£1,000.50"),
        (Decimal("0"), "£0.00"),
        (Decimal("-0.01"), "−£0.01"),
        (Decimal("999.99"), "£999.99"),
        (None, "Not costed"),
    ],
)
def test_money(value, text):
    assert format_money(value) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 cases"), (1, "1 case"), (2, "2 cases"), (-1, "-1 cases"), (1234, "1234 cases")],
)
def test_plural(count, text):
    assert plural(count, "case") == text


def test_plural_with_an_irregular_word_and_thousands():
    assert plural(1, "child", "children") == "1 child"
    assert plural(2, "child", "children") == "2 children"
    assert plural(0, "child", "children") == "0 children"
    assert plural(1234, "event", thousands=True) == "1,234 events"
    assert plural(1, "event", thousands=True) == "1 event"


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (-3, "Not yet"),
        (0, "Not yet"),
        (1, "1 day"),
        (6, "6 days"),
        (7, "1 week"),
        (8, "1 week 1 day"),
        (14, "2 weeks"),
        (160, "22 weeks 6 days"),
    ],
)
def test_describe_overdue(days, text):
    assert describe_overdue(days) == text


def test_weeks_and_days_text_of_nothing():
    assert weeks_and_days_text(0) == "0 days"
    assert weeks_and_days_text(21) == "3 weeks"
