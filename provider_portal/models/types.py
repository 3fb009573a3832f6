"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (freezegun can freeze it)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


PENNY = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """An amount in pounds, stored as whole pence in an integer column.

    Integers add up exactly on every database (SQLite's NUMERIC would hold a float), so SQL
    sums of money stay exact; Python sees Decimal pounds with two places.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money is never a float; pass a Decimal")
        pence = Decimal(value) * 100
        if pence != pence.to_integral_value():
            raise ValueError(f"{value} is not a whole number of pence")
        return int(pence)

    def process_result_value(self, value: int | Decimal | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(PENNY)
