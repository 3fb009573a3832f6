"""The statutory clock: pure functions of dates, no database and no Flask."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
FINAL_PLAN_DAYS = 140  # 20 weeks: on time when issued on or before request date + 140 days
ADVICE_DAYS = 42  # 6 weeks from the body receiving the request (reg 8)


def today() -> date:
    """Today's date in Europe/London, which is what the regulations mean by a day."""
    return datetime.now(LONDON).date()


def due_date(start: date, turnaround_days: int) -> date:
    """The date work is due: calendar days after it started, weekends and holidays included."""
    return start + timedelta(days=turnaround_days)


def final_plan_due(request_received_on: date) -> date:
    """The last day a final plan counts as issued within 20 weeks."""
    return request_received_on + timedelta(days=FINAL_PLAN_DAYS)


def days_late(due_on: date, done_on: date | None, as_of: date) -> int:
    """How many days past due the work is (or was when done); 0 when not late."""
    end = done_on if done_on is not None else as_of
    return max(0, (end - due_on).days)


def month_start(value: date) -> date:
    return value.replace(day=1)


def add_months(value: date, months: int) -> date:
    """The first day of the month `months` after value's month."""
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from first's month to last's month inclusive."""
    months = []
    current = month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months
