"""Spend: what was committed and what was actually spent, by financial year and by month.

Committed and actual come from provider_portal.contracts.pricing, so every report agrees:
- committed on a date: work allocated by then and not yet accepted, withdrawn or declined, at
  the price that applied when it was allocated; grouped by the financial year of allocation;
- actual on a date: work accepted on or before it, at the same price, by the financial year
  (or month) of acceptance.
Work with no contract, or no price for its date, is counted but not costed.

Each function runs a fixed number of SQL aggregates; the page, the CSV, the CLI, the
monitoring pack and the FOI page all render the rows they return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from provider_portal.contracts.money import ZERO
from provider_portal.contracts.pricing import (
    PRICE,
    actual_on,
    committed_on,
    count_if,
)
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Contract,
    ContractVariation,
    Provider,
    WorkType,
)
from provider_portal.models.types import PENNY
from provider_portal.reports.day_counts import (
    accepted_by_month,
    accepted_by_year,
    committed_on_days,
    spend_by_year_and_contract,
)
from provider_portal.reports.exports import Export, csv_export
from provider_portal.reports.scope import EVERYTHING, Scope
from provider_portal.reports.xlsx import csv_value
from provider_portal.timescales import add_months, financial_year_label, months_between

CSV_HEADER = ("financial_year", "contract", "provider", "work_type", "committed", "actual")


def money_sum(value: Decimal | int | None) -> Decimal:
    """A SUM of a Money column as read back (Decimal pounds, or None over no rows)."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(PENNY)


def round_pence(value: Decimal) -> Decimal:
    """Round to the penny, halves away from zero, as finance does."""
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SpendRow:
    """One line of `flask report spend`: a contract's spend on one work type in one year."""

    financial_year: int  # start year; label with financial_year_label
    contract_reference: str
    provider_name: str
    work_type_name: str
    committed: Decimal  # committed on as_of (pricing.committed_on), by FY of allocated_on
    actual: Decimal  # accepted on or before as_of, by FY of accepted_on

    @property
    def financial_year_label(self) -> str:
        return financial_year_label(self.financial_year)

    def as_csv(self) -> tuple[str, str, str, str, object, object]:
        """The row as the CSV carries it: the money to the penny, as numbers."""
        return (
            self.financial_year_label,
            self.contract_reference,
            self.provider_name,
            self.work_type_name,
            csv_value("money", self.committed),
            csv_value("money", self.actual),
        )


def spend_by_financial_year(as_of: date, scope: Scope = EVERYTHING) -> list[SpendRow]:
    """Committed and actual spend on as_of per financial year, contract, provider and work type.

    Only costed work appears (work under a contract with a price for its date); see
    uncosted_count for the rest. Committed by year of allocation, actual by year of
    acceptance, from the work counted by day (reports.day_counts), then named.
    """
    committed, actual = spend_by_year_and_contract(as_of, scope)
    ids = set(committed) | set(actual)
    contracts = names_by_id(Contract.id, Contract.reference, {key[1] for key in ids})
    providers = names_by_id(Provider.id, Provider.name, {key[2] for key in ids})
    work_types = names_by_id(WorkType.id, WorkType.name, {key[3] for key in ids})
    totals: dict[tuple[int, str, str, str], list[Decimal]] = {}
    for index, sums in enumerate((committed, actual)):
        for (fy, contract_id, provider_id, work_type_id), amount in sums.items():
            if contract_id not in contracts:
                continue  # work under no contract is uncosted
            key = (fy, contracts[contract_id], providers[provider_id], work_types[work_type_id])
            totals.setdefault(key, [ZERO, ZERO])[index] += money_sum(amount)
    return [
        SpendRow(fy, reference, provider, work_type, committed, actual)
        for (fy, reference, provider, work_type), (committed, actual) in sorted(totals.items())
    ]


def names_by_id(id_column: Any, name_column: Any, ids: Iterable[int]) -> dict[int, str]:
    """{id: name} for the ids (a contract's reference, a provider's or work type's name), in
    one query (none for no ids): reports sum on ids and name the sums afterwards."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = db.session.execute(select(id_column, name_column).where(id_column.in_(wanted)))
    return {row[0]: row[1] for row in found}


def uncosted_count(as_of: date, scope: Scope = EVERYTHING) -> int:
    """Pieces of work committed or accepted on as_of that have no contract or no price."""
    counted = committed_on(as_of) | actual_on(as_of)
    value = db.session.scalar(
        select(count_if(PRICE.is_(None) & counted))
        .select_from(Allocation)
        .where(*scope.allocation_filters())
    )
    return int(value or 0)


def csv_rows(rows: Iterable[SpendRow]) -> list[tuple[str, str, str, str, object, object]]:
    """The rows as the CSV carries them: amounts as plain numbers with two decimals."""
    return [row.as_csv() for row in rows]


@dataclass(frozen=True)
class SpendTotal:
    """Committed and actual added up, for one financial year or for everything."""

    financial_year: int | None  # None for the grand total
    committed: Decimal
    actual: Decimal

    @property
    def total(self) -> Decimal:
        return self.committed + self.actual


def totals_by_year(rows: Iterable[SpendRow]) -> tuple[list[SpendTotal], SpendTotal]:
    """Per financial year totals in year order, and the grand total."""
    years: dict[int, list[Decimal]] = {}
    for row in rows:
        pair = years.setdefault(row.financial_year, [ZERO, ZERO])
        pair[0] += row.committed
        pair[1] += row.actual
    per_year = [SpendTotal(fy, c, a) for fy, (c, a) in sorted(years.items())]
    grand = SpendTotal(
        None,
        sum((t.committed for t in per_year), ZERO),
        sum((t.actual for t in per_year), ZERO),
    )
    return per_year, grand


@dataclass(frozen=True)
class SpendMonth:
    month: date  # first day
    actual: Decimal  # accepted in that month (and on or before as_of)
    committed: Decimal  # committed at the month's end (or as_of if earlier)
    cumulative_actual: Decimal  # actual from the first contract start up to the month's end


def spend_by_month(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> list[SpendMonth]:
    """Actual spend per month, committed spend at each month's end, and actual to date.

    Two queries of the work counted by day (reports.day_counts): actual by month of acceptance
    (every month up to the range's end, so the running total starts from the first
    acceptance), and committed at each month end (allocated by then and not yet accepted,
    withdrawn or declined: pricing.committed_on).
    """
    months = months_between(first_month, last_month)
    if not months:
        return []
    range_end = add_months(months[-1], 1) - timedelta(days=1)
    accepted_by = min(range_end, as_of)
    actual_by_month = {
        month: money_sum(amount)
        for month, amount in accepted_by_month(scope, months, accepted_by).items()
    }
    ends = [min(add_months(m, 1) - timedelta(days=1), as_of) for m in months]
    committed = [money_sum(v) for v in committed_on_days(scope, ends)]
    running = actual_by_month.get(None, ZERO)
    result = []
    for m, committed_then in zip(months, committed, strict=True):
        in_month = actual_by_month.get(m, ZERO)
        running += in_month
        result.append(SpendMonth(m, in_month, committed_then, running))
    return result


def scope_value(scope: Scope) -> Decimal:
    """The current value (original + variations) of the contracts in scope, whatever status."""
    in_scope = select(Contract.id).where(*scope.contract_filters())
    original, varied = db.session.execute(
        select(
            select(func.sum(Contract.original_value))
            .where(*scope.contract_filters())
            .scalar_subquery(),
            select(func.sum(ContractVariation.amount))
            .where(ContractVariation.contract_id.in_(in_scope))
            .scalar_subquery(),
        )
    ).one()
    return money_sum(original) + money_sum(varied)


@dataclass(frozen=True)
class SpendReport:
    """The spend page: rows by year, contract and type of work, and what they add up to."""

    as_of: date
    scope: Scope
    rows: list[SpendRow]
    year_totals: list[SpendTotal]
    total: SpendTotal
    value: Decimal
    uncosted: int

    @property
    def remaining(self) -> Decimal:
        """The value of the contracts less what is spent and committed."""
        return self.value - self.total.actual - self.total.committed

    def rows_in(self, year: int) -> list[SpendRow]:
        return [row for row in self.rows if row.financial_year == year]


def spend_report(as_of: date, scope: Scope = EVERYTHING) -> SpendReport:
    """Committed and actual by financial year for the scope, with totals and what is left."""
    rows = spend_by_financial_year(as_of, scope)
    year_totals, total = totals_by_year(rows)
    return SpendReport(
        as_of, scope, rows, year_totals, total, scope_value(scope), uncosted_count(as_of, scope)
    )


def spend_export(report: SpendReport) -> Export:
    """The rows as a CSV download; the audit row names the scope by id, as other exports do."""
    scope = report.scope
    if scope.contract is not None:
        chosen = f"contract:{scope.contract.id}"
    elif scope.provider is not None:
        chosen = f"provider:{scope.provider.id}"
    else:
        chosen = "all"
    return csv_export(
        CSV_HEADER,
        csv_rows(report.rows),
        f"spend-{report.as_of.isoformat()}.csv",
        f"spend as_of={report.as_of.isoformat()} scope={chosen}",
    )


@dataclass(frozen=True)
class CostPerOutput:
    """What one accepted piece of a work type cost from a provider in a financial year."""

    financial_year: int
    provider_name: str
    work_type_name: str
    accepted: int  # costed pieces accepted in the year
    actual: Decimal
    uncosted: int  # pieces accepted in the year with no contract or price

    @property
    def cost_per_output(self) -> Decimal | None:
        """Actual spend divided by the costed pieces accepted, to the penny; None if none."""
        if self.accepted == 0:
            return None
        return round_pence(self.actual / self.accepted)


def cost_per_output(as_of: date, scope: Scope = EVERYTHING) -> list[CostPerOutput]:
    """Actual spend and accepted pieces per financial year, provider and work type."""
    counted = accepted_by_year(as_of, scope)
    providers = names_by_id(Provider.id, Provider.name, {key[1] for key in counted})
    work_types = names_by_id(WorkType.id, WorkType.name, {key[2] for key in counted})
    rows = [
        CostPerOutput(fy, providers[provider_id], work_types[work_type_id], n, money_sum(a), none)
        for (fy, provider_id, work_type_id), (n, a, none) in counted.items()
    ]
    return sorted(rows, key=lambda r: (r.financial_year, r.provider_name, r.work_type_name))
