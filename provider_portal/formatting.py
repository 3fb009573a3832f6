"""How the portal writes dates, times, money and counts: pure functions, no Flask.

Dates follow the GOV.UK style (4 December 2026, or 4 Dec 2026 where space is short), built from
their parts: strftime has no portable code for a day without its leading zero. Pages use these
as Jinja filters (provider_portal.jinja registers them); messages, exports and the CLI call them
directly, so a date or an amount reads the same wherever it is shown.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

# The portal's days and times are Europe/London's (the statutory clock counts London days).
LONDON = ZoneInfo("Europe/London")


def long_date(day: date | None) -> str:
    """4 December 2026; nothing for no date."""
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(day: date | None) -> str:
    """4 Dec 2026, for tables and other tight spaces; nothing for no date."""
    return f"{day.day} {day:%b %Y}" if day else ""


def day_and_month(day: date | None) -> str:
    """4 Dec: a date in the next few months, where the year goes without saying."""
    return f"{day.day} {day:%b}" if day else ""


def month_year(day: date | None) -> str:
    """December 2026: the month a date falls in; nothing for no date."""
    return f"{day:%B %Y}" if day else ""


def timestamp(moment: datetime | None, seconds: bool = False, zone: str = "Europe/London") -> str:
    """4 Dec 2026 14:05 GMT: an instant as wall-clock time in a zone, named (GMT or BST)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{short_date(local)} {clock} {local:%Z}"


def date_and_time(moment: datetime | None) -> str:
    """14 March 2025 at 3:05pm: an instant as people in England read it, in London time."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    half = "am" if local.hour < 12 else "pm"
    return f"{long_date(local)} at {local.hour % 12 or 12}:{local:%M}{half}"


def format_money(value: Decimal | None) -> str:
    """£1,496,000.00; negative amounts as −£1,000.00 (a minus sign, not a hyphen)."""
    if value is None:
        return "Not costed"
    sign = "−" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def plural(count: int, one: str, many: str | None = None, thousands: bool = False) -> str:
    """1 case, 3 cases; many for words that do not just take an s; thousands writes 1,234."""
    number = f"{count:,}" if thousands else str(count)
    return f"{number} {one if count == 1 else (many or one + 's')}"


def weeks_and_days_text(days: int) -> str:
    """22 weeks 6 days, 1 week, 3 days: a span of days in whole weeks and the days left over."""
    weeks, rest = divmod(days, 7)
    parts = [plural(weeks, "week")] if weeks else []
    if rest or not weeks:
        parts.append(plural(rest, "day"))
    return " ".join(parts)


def describe_overdue(days: int) -> str:
    """The board's overdue column: "14 weeks 2 days", or "Not yet" within timescale."""
    return weeks_and_days_text(days) if days > 0 else "Not yet"
