"""Reading contracts: their value, what is spent and committed, what is left, and their
prices, variations and turnaround targets as the pages show them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Subquery, case, func, select
from sqlalchemy.orm import selectinload

from provider_portal.contracts.money import ZERO
from provider_portal.contracts.pricing import (
    PRICE,
    actual_on,
    committed_on,
    count_if,
    price_in_force,
    sum_if,
)
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Contract,
    ContractPrice,
    ContractStatus,
    ContractTurnaround,
    ContractVariation,
    WorkType,
)


def contract_value(contract: Contract) -> Decimal:
    """The original value plus every approved variation."""
    return contract.original_value + sum((v.amount for v in contract.variations), ZERO)


@dataclass(frozen=True)
class Headroom:
    """What is left of a contract's value once actual and committed spend are taken off."""

    value: Decimal
    actual: Decimal
    committed: Decimal
    uncosted: int  # pieces of work under the contract with no price for their date

    @property
    def headroom(self) -> Decimal:
        return self.value - self.actual - self.committed


def spend_by_contract(as_of: date, contracts: ColumnElement[bool] | None = None) -> Subquery:
    """Actual and committed spend on a day and the uncosted pieces, per contract: a subquery
    (contract_id, actual, committed, uncosted) over the contracts matching the condition."""
    query = (
        select(
            Allocation.contract_id.label("contract_id"),
            sum_if(actual_on(as_of), PRICE).label("actual"),
            sum_if(committed_on(as_of), PRICE).label("committed"),
            count_if(PRICE.is_(None) & (committed_on(as_of) | actual_on(as_of))).label("uncosted"),
        )
        .where(Allocation.contract_id.is_not(None))
        .group_by(Allocation.contract_id)
    )
    if contracts is not None:
        query = query.where(Allocation.contract_id.in_(select(Contract.id).where(contracts)))
    return query.subquery("spend")


def variations_by_contract(as_of: date, contracts: ColumnElement[bool] | None = None) -> Subquery:
    """The variations approved by a day, summed per contract: (contract_id, total)."""
    query = (
        select(
            ContractVariation.contract_id.label("contract_id"),
            func.sum(ContractVariation.amount).label("total"),
        )
        .where(ContractVariation.approved_on <= as_of)
        .group_by(ContractVariation.contract_id)
    )
    if contracts is not None:
        query = query.where(ContractVariation.contract_id.in_(select(Contract.id).where(contracts)))
    return query.subquery("variation_total")


def headrooms(as_of: date, contract_ids: Collection[int] | None = None) -> dict[int, Headroom]:
    """Every contract's value, actual and committed spend on a date, in one query.

    The value on a date is the original value plus the variations approved by then. Spend is
    one GROUP BY over allocations summed on their price, variations one GROUP BY over
    variations; both are joined to the contracts, so the number of queries does not depend on
    the number of contracts or allocations.
    """
    chosen: ColumnElement[bool] | None = None
    if contract_ids is not None:
        ids = list(contract_ids)
        if not ids:
            return {}
        chosen = Contract.id.in_(ids)
    spend = spend_by_contract(as_of, chosen)
    varied = variations_by_contract(as_of, chosen)
    query = select(Contract.id, Contract.original_value)
    if chosen is not None:
        query = query.where(chosen)
    rows = db.session.execute(
        query.add_columns(varied.c.total, spend.c.actual, spend.c.committed, spend.c.uncosted)
        .outerjoin(spend, spend.c.contract_id == Contract.id)
        .outerjoin(varied, varied.c.contract_id == Contract.id)
    )
    return {
        contract_id: Headroom(
            value=original + Decimal(variations or ZERO),
            actual=Decimal(actual or ZERO),
            committed=Decimal(committed or ZERO),
            uncosted=int(uncosted or 0),
        )
        for contract_id, original, variations, actual, committed, uncosted in rows
    }


def headroom(contract: Contract, as_of: date) -> Headroom:
    """The contract's value, actual and committed spend on a date, in one query."""
    found = headrooms(as_of, [contract.id]).get(contract.id)
    return found or Headroom(contract_value(contract), ZERO, ZERO, 0)


def price_on(contract: Contract, work_type: WorkType, on: date) -> Decimal | None:
    """The unit price that applies to work of this type allocated on a day."""
    price: Decimal | None = db.session.scalar(price_in_force(contract.id, work_type.id, on))
    return price


STATUS_ORDER = case(
    (Contract.status == ContractStatus.ACTIVE, 0),
    (Contract.status == ContractStatus.SUSPENDED, 1),
    else_=2,
)


def list_contracts(provider_id: int | None = None, status: str = "") -> list[Contract]:
    """Contracts with their providers: active first, then by reference (councils have tens)."""
    query = select(Contract).options(selectinload(Contract.provider))
    if provider_id is not None:
        query = query.where(Contract.provider_id == provider_id)
    if status in {s.value for s in ContractStatus}:
        query = query.where(Contract.status == ContractStatus(status))
    return list(db.session.scalars(query.order_by(STATUS_ORDER, Contract.reference)))


def get_contract(contract_id: int) -> Contract | None:
    """One contract with its provider, prices, variations and turnaround targets."""
    return db.session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            selectinload(Contract.provider),
            selectinload(Contract.prices).selectinload(ContractPrice.work_type),
            selectinload(Contract.variations),
            selectinload(Contract.turnarounds).selectinload(ContractTurnaround.work_type),
        )
    )


def contract_by_reference(reference: str) -> Contract | None:
    """The contract with this reference, whatever its case or surrounding spaces."""
    return db.session.scalar(
        select(Contract).where(func.lower(Contract.reference) == reference.strip().lower())
    )


@dataclass(frozen=True)
class PricePeriod:
    """One price row as people read it: from when, until when, and whether it is in force."""

    work_type: WorkType
    effective_from: date
    until: date | None  # the last day of work it prices; None while no later price exists
    unit_price: Decimal
    state: str  # "in_force", "earlier" or "scheduled"

    @property
    def label(self) -> str:
        return {"in_force": "In force", "earlier": "Replaced", "scheduled": "Not started"}[
            self.state
        ]

    @property
    def tag_class(self) -> str:
        return {
            "in_force": "govuk-tag--green",
            "earlier": "govuk-tag--grey",
            "scheduled": "govuk-tag--blue",
        }[self.state]


def price_schedule(contract: Contract, on: date) -> list[PricePeriod]:
    """Each work type's prices in date order, marking the one that applies to work allocated
    on the day given."""
    by_type: dict[int, list[ContractPrice]] = {}
    for price in sorted(contract.prices, key=lambda p: p.effective_from):
        by_type.setdefault(price.work_type_id, []).append(price)
    periods: list[PricePeriod] = []
    for prices in sorted(by_type.values(), key=lambda rows: rows[0].work_type.name):
        for index, price in enumerate(prices):
            following = prices[index + 1] if index + 1 < len(prices) else None
            if price.effective_from > on:
                state = "scheduled"
            elif following is not None and following.effective_from <= on:
                state = "earlier"
            else:
                state = "in_force"
            periods.append(
                PricePeriod(
                    work_type=price.work_type,
                    effective_from=price.effective_from,
                    until=following.effective_from - timedelta(days=1) if following else None,
                    unit_price=price.unit_price,
                    state=state,
                )
            )
    return periods


@dataclass(frozen=True)
class ValueStep:
    """A variation and the contract's value once it was approved."""

    variation: ContractVariation
    value_after: Decimal


def value_history(contract: Contract) -> list[ValueStep]:
    """The variations in the order they were approved, each with the running value."""
    value = contract.original_value
    steps = []
    for variation in sorted(contract.variations, key=lambda v: (v.approved_on, v.id)):
        value += variation.amount
        steps.append(ValueStep(variation, value))
    return steps


@dataclass(frozen=True)
class TurnaroundTarget:
    """The turnaround that applies to a work type under a contract, and where it comes from."""

    work_type: WorkType
    days: int
    from_contract: bool


def turnaround_targets(
    contract: Contract, work_types: Sequence[WorkType]
) -> list[TurnaroundTarget]:
    """Every work type's turnaround under the contract: its own target, or the work type's."""
    set_days = {target.work_type_id: target.days for target in contract.turnarounds}
    return [
        TurnaroundTarget(
            work_type,
            set_days.get(work_type.id, work_type.turnaround_days),
            work_type.id in set_days,
        )
        for work_type in work_types
    ]
