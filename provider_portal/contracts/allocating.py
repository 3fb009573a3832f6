"""Allocating under a contract: which contract the work goes under, what it costs, and what
is left in the contract before and after.

The figures are contracts.services.headrooms' (the same building blocks, the same rules), but
joined in one statement to what the page also needs (the providers, the contracts, the price
of the work), so a page that lists every current contract runs one query for all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, ScalarSelect, and_, select
from sqlalchemy.orm import joinedload

from provider_portal.contracts.money import ZERO
from provider_portal.contracts.pricing import price_in_force
from provider_portal.contracts.queries import (
    Headroom,
    headroom,
    spend_by_contract,
    variations_by_contract,
)
from provider_portal.errors import ContractError
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date
from provider_portal.models import (
    Allocation,
    Contract,
    ContractStatus,
    Provider,
    WorkType,
)

CONTRACT_FIELD = "contract"


@dataclass(frozen=True)
class ContractCost:
    """Allocating `count` pieces of work under a contract: the price, the total and what is
    left in the contract now and afterwards (money as Decimal pounds)."""

    contract: Contract
    headroom: Headroom
    unit_price: Decimal | None = None  # None: no price for the work type on the day
    count: int = 0

    @property
    def total(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.count

    @property
    def left_after(self) -> Decimal:
        return self.headroom.headroom - (self.total or ZERO)

    @property
    def exceeds(self) -> bool:
        """Whether this allocation costs more than is left in the contract."""
        total = self.total or ZERO
        return total > 0 and total > self.headroom.headroom

    @property
    def over_by(self) -> Decimal:
        return max(ZERO, -self.left_after) if self.exceeds else ZERO

    def warning(self, name_contract: bool = False) -> str:
        """The sentence the pages show when the allocation would exceed what is left."""
        subject = f"Contract {self.contract.reference}" if name_contract else "The contract"
        return (
            f"This allocation costs {format_money(self.total)}. {subject} has "
            f"{format_money(self.headroom.headroom)} left. "
            f"It would be {format_money(self.over_by)} over."
        )


@dataclass
class ProviderChoice:
    """An active provider and its current contracts, with what is left in each."""

    provider: Provider
    contracts: list[ContractCost] = field(default_factory=list)


def is_current(on: date) -> ColumnElement[bool]:
    """Active and running on the day: the contracts new work can go under."""
    return and_(
        Contract.status == ContractStatus.ACTIVE,
        Contract.start_on <= on,
        Contract.end_on >= on,
    )


def _price_now(work_type: WorkType, on: date) -> ScalarSelect[Decimal]:
    """The contract's unit price for the work type on a day (correlated to Contract)."""
    return price_in_force(Contract.id, work_type.id, on).scalar_subquery()


def _headroom(
    contract: Contract,
    actual: Decimal | None,
    committed: Decimal | None,
    uncosted: int | None,
    variations: Decimal | None,
) -> Headroom:
    return Headroom(
        contract.original_value + Decimal(variations or 0),
        Decimal(actual or 0),
        Decimal(committed or 0),
        int(uncosted or 0),
    )


def contract_costs(
    contracts: ColumnElement[bool],
    as_of: date,
    work_type: WorkType | None = None,
    count: int = 0,
) -> list[ContractCost]:
    """The matching contracts, by reference, with their headroom on as_of and (given a work
    type) the unit price that day and the cost of `count` pieces: one query."""
    spend = spend_by_contract(as_of, contracts)
    variations = variations_by_contract(as_of, contracts)
    price = _price_now(work_type, as_of) if work_type is not None else None
    columns = [spend.c.actual, spend.c.committed, spend.c.uncosted, variations.c.total]
    query = (
        select(Contract, *columns, *([price] if price is not None else []))
        .outerjoin(spend, spend.c.contract_id == Contract.id)
        .outerjoin(variations, variations.c.contract_id == Contract.id)
        .where(contracts)
        .options(joinedload(Contract.provider))
        .order_by(Contract.reference)
    )
    costs = []
    for row in db.session.execute(query):
        contract, actual, committed, uncosted, varied = row[:5]
        unit_price = row[5] if price is not None else None
        costs.append(
            ContractCost(
                contract,
                _headroom(contract, actual, committed, uncosted, varied),
                unit_price,
                count,
            )
        )
    return costs


def provider_contract_costs(
    provider: Provider, work_type: WorkType, count: int, on: date
) -> list[ContractCost]:
    """The provider's current contracts and what `count` pieces of the work would cost."""
    return contract_costs(
        and_(Contract.provider_id == provider.id, is_current(on)), on, work_type, count
    )


def allocation_choices(on: date) -> list[ProviderChoice]:
    """Every active provider, by name, with its current contracts and their headroom: one
    query, for the allocation form's choices and the figures beside it."""
    current = is_current(on)
    spend = spend_by_contract(on, current)
    variations = variations_by_contract(on, current)
    query = (
        select(
            Provider,
            Contract,
            spend.c.actual,
            spend.c.committed,
            spend.c.uncosted,
            variations.c.total,
        )
        .outerjoin(Contract, and_(Contract.provider_id == Provider.id, current))
        .outerjoin(spend, spend.c.contract_id == Contract.id)
        .outerjoin(variations, variations.c.contract_id == Contract.id)
        .where(Provider.active.is_(True))
        .order_by(Provider.name, Provider.id, Contract.reference)
    )
    choices: list[ProviderChoice] = []
    for provider, contract, actual, committed, uncosted, varied in db.session.execute(query):
        if not choices or choices[-1].provider is not provider:
            choices.append(ProviderChoice(provider))
        if contract is not None:
            choices[-1].contracts.append(
                ContractCost(contract, _headroom(contract, actual, committed, uncosted, varied))
            )
    return choices


def choose_contract(
    provider: Provider, on: date, chosen: Contract | None, current: Sequence[Contract]
) -> Contract | None:
    """The contract new work for the provider goes under, given its current contracts.

    The one chosen must be the provider's, active and running on the day; without a choice,
    the provider's only current contract, or none (the work is not costed). A provider with
    several current contracts needs one chosen. Errors name the contract field.
    """
    if chosen is not None:
        try:
            check_allocatable(chosen, provider, on)
        except ContractError as error:
            raise ContractError(str(error), field=CONTRACT_FIELD) from error
        return chosen
    if len(current) > 1:
        references = ", ".join(c.reference for c in current)
        raise ContractError(
            f"Select the contract: {provider.name} has more than one current contract "
            f"({references})",
            field=CONTRACT_FIELD,
        )
    return current[0] if current else None


def allocation_note(allocation: Allocation) -> str:
    """What a new allocation costs under its contract, and whether it took the contract over
    its value, with the figures: the end of the sentence after "… allocated to …"."""
    contract = allocation.contract
    if contract is None:
        return "It is not under a contract, so it is not costed."
    reference = contract.reference
    price = allocation.unit_price
    if price is None:
        note = (
            f"It is under contract {reference}, which has no price for this work, "
            "so it is not costed."
        )
    else:
        note = f"It is under contract {reference} at {format_money(price)}."
    left = headroom(contract, allocation.allocated_on)
    if left.headroom < 0:
        note += (
            f" Contract {reference} is now {format_money(-left.headroom)} over its value of "
            f"{format_money(left.value)}: {format_money(left.actual)} spent and "
            f"{format_money(left.committed)} committed."
        )
    return note


def current_contracts(provider: Provider, on: date) -> list[Contract]:
    """The provider's active contracts that cover a day, by reference."""
    return list(
        db.session.scalars(
            select(Contract)
            .where(
                Contract.provider_id == provider.id,
                Contract.status == ContractStatus.ACTIVE,
                Contract.start_on <= on,
                Contract.end_on >= on,
            )
            .order_by(Contract.reference)
        )
    )


def check_allocatable(contract: Contract, provider: Provider, on: date) -> None:
    """Refuse work under a contract that is not the provider's, not active, or not running."""
    if contract.provider_id != provider.id:
        raise ContractError(f"Contract {contract.reference} is not with {provider.name}")
    if contract.status is not ContractStatus.ACTIVE:
        raise ContractError(f"Contract {contract.reference} is {contract.status.label.lower()}")
    if not contract.start_on <= on <= contract.end_on:
        raise ContractError(
            f"Contract {contract.reference} runs from {long_date(contract.start_on)} "
            f"to {long_date(contract.end_on)}"
        )


def contract_for(provider: Provider, on: date, chosen: Contract | None = None) -> Contract | None:
    """The contract new work goes under: the one chosen, or the provider's only current one.

    A provider with several current contracts must have one chosen; with none, the work is
    recorded without a contract and is not costed.
    """
    if chosen is not None:
        check_allocatable(chosen, provider, on)
        return chosen
    contracts = current_contracts(provider, on)
    if len(contracts) > 1:
        references = ", ".join(c.reference for c in contracts)
        raise ContractError(
            f"{provider.name} has more than one current contract ({references}): choose one"
        )
    return contracts[0] if contracts else None


def turnaround_days(contract: Contract | None, work_type: WorkType) -> int:
    """The contract's target for the work type, or the work type's own turnaround."""
    if contract is not None:
        for target in contract.turnarounds:
            if target.work_type_id == work_type.id:
                return target.days
    return work_type.turnaround_days
