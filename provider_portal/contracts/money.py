"""Money as people type it: whole pence, Decimal pounds, never floats (shown by formatting)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from provider_portal.errors import ContractError
from provider_portal.models.types import PENNY

ZERO = Decimal("0.00")
MAX_MONEY = Decimal("100000000.00")  # £100m: anything above is a typing mistake


def parse_money(text: str | Decimal | int | None, what: str = "the amount") -> Decimal:
    """'£1,496,000' or '850000.50' to Decimal pounds; refuses fractions of a penny."""
    if isinstance(text, Decimal | int):
        value = Decimal(text)
    else:
        cleaned = (text or "").strip().replace(",", "").replace("£", "").replace(" ", "")
        if not cleaned:
            raise ContractError(f"Enter {what}")
        try:
            value = Decimal(cleaned)
        except InvalidOperation as error:
            raise ContractError(f"Enter {what} in pounds, like 850000 or 1250.50") from error
    if not value.is_finite():
        raise ContractError(f"Enter {what} in pounds, like 850000 or 1250.50")
    if value != value.quantize(PENNY):
        raise ContractError(f"Enter {what} in pounds and pence, with no more than 2 decimal places")
    if abs(value) >= MAX_MONEY:
        raise ContractError(f"Enter {what} under £100,000,000")
    return value.quantize(PENNY)
