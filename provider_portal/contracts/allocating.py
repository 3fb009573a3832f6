"""New work under a contract: which contract it goes under, at what price, and what is left in
the contract before and after.

The one place the rule for choosing the contract is written: allocate(), the case page's
allocate form, the bulk check and confirm pages and the allocation import all decide here,
from the database or from contracts they have already read.

The figures are contracts.queries.headrooms' (the same building blocks, the same rules), but
joined in one statement to what the page also needs (the providers, the contracts, the price
of the work), so a page that lists every current contract runs one query for all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, and_, select
from sqlalchemy.orm import joinedload, selectinload

from provider_portal.contracts.money import ZERO
from provider_portal.contracts.pricing import price_in_force
from provider_portal.contracts.queries import (
    Headroom,
    headroom,
    price_on,
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

T = TypeVar("T")

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


# --- which contract new work goes under -----------------------------------------------------
#
# One rule, whoever asks: a contract chosen must be the provider's, active and running on the
# day; with none chosen, the work goes under the provider's only current contract, or none (it
# is not costed); a provider with several needs one chosen. Each caller's person reads the
# reasons in a different place, so each has its own words for them (a Wording), never its own
# copy of the rule.


@dataclass(frozen=True)
class Wording:
    """How one caller words the reasons work cannot go under a contract."""

    several: str  # none chosen, several current: {provider}, {references}, {on}
    unknown: str  # something was entered that names no contract it could be: {entered}
    not_covering: str = ""  # said after "Contract X runs from … to …"
    field: str | None = CONTRACT_FIELD  # the input the reason belongs to
    choice_needed: bool = False  # the person must choose even when there is only one


# allocate() and contract_for(): a caller that passed the contract.
SERVICE = Wording(
    several="{provider} has more than one current contract ({references}): choose one",
    unknown="There is no contract {entered}",
    field=None,
)
# The case page's allocate form: a list of current contracts.
FORM = Wording(
    several="Select the contract: {provider} has more than one current contract ({references})",
    unknown="Select a current contract",
)
# The bulk confirm page: the contract the person saw on the check page, always posted.
BULK = Wording(
    several="Select the contract this work goes under",
    unknown="Select the contract this work goes under",
    choice_needed=True,
)
# The allocation import: a reference typed in a file, checked against the row's date.
IMPORT = Wording(
    several=(
        "{provider} has more than one contract on {on} ({references}). Enter the contract reference"
    ),
    unknown="There is no contract {entered}",
    not_covering=", which does not cover the allocation date",
)


@dataclass(frozen=True)
class NewProvider:
    """A provider the caller is about to create (an import's new name): it has no contracts."""

    name: str
    id: None = None


def runs_on(contract: Contract, on: date) -> bool:
    """Active and running on the day (is_current, for contracts already read)."""
    return contract.status is ContractStatus.ACTIVE and contract.start_on <= on <= contract.end_on


def current_contracts(provider: Provider, on: date) -> list[Contract]:
    """The provider's active contracts that cover a day, by reference."""
    return list(
        db.session.scalars(
            select(Contract)
            .where(Contract.provider_id == provider.id, is_current(on))
            .order_by(Contract.reference)
        )
    )


def current_among(
    contracts: Iterable[Contract], provider: Provider | NewProvider, on: date
) -> list[Contract]:
    """The provider's current contracts on a day among contracts already read, by reference."""
    return sorted(
        (c for c in contracts if c.provider_id == provider.id and runs_on(c, on)),
        key=lambda contract: contract.reference,
    )


def contracts_by_reference() -> dict[str, Contract]:
    """Every contract by its reference, case-insensitive, with its turnaround targets.

    Contracts are a short list: one query for a whole import, however many rows name them.
    """
    query = select(Contract).options(selectinload(Contract.turnarounds)).order_by(Contract.id)
    lookup: dict[str, Contract] = {}
    for contract in db.session.scalars(query):
        lookup.setdefault(contract.reference.strip().casefold(), contract)
    return lookup


def check_allocatable(
    contract: Contract, provider: Provider | NewProvider, on: date, wording: Wording = SERVICE
) -> None:
    """Refuse work under a contract that is not the provider's, not active, or not running."""
    reference = contract.reference
    problem = None
    if contract.provider_id != provider.id:
        problem = f"Contract {reference} is not with {provider.name}"
    elif contract.status is not ContractStatus.ACTIVE:
        problem = f"Contract {reference} is {contract.status.label.lower()}"
    elif not contract.start_on <= on <= contract.end_on:
        problem = (
            f"Contract {reference} runs from {long_date(contract.start_on)} "
            f"to {long_date(contract.end_on)}{wording.not_covering}"
        )
    if problem is not None:
        raise ContractError(problem, field=wording.field)


def only_contract(current: Sequence[T]) -> T | None:
    """What work goes under when none is chosen: the provider's only current contract."""
    return current[0] if len(current) == 1 else None


def choose_contract(
    provider: Provider | NewProvider,
    on: date,
    chosen: Contract | None,
    current: Sequence[Contract],
    *,
    entered: str | None = None,
    wording: Wording = FORM,
) -> Contract | None:
    """The contract new work for the provider goes under, given its current contracts.

    chosen is the contract the person chose, or None; entered is what they entered to choose
    it, when they entered something (it names no contract it could be if chosen is None).
    ContractError gives the reason in the caller's wording, naming its field.
    """
    if chosen is None and entered is not None:
        raise ContractError(wording.unknown.format(entered=entered), field=wording.field)
    if chosen is not None:
        check_allocatable(chosen, provider, on, wording)
        if chosen not in current:  # current now, but not among those read: not the one seen
            unknown = wording.unknown.format(entered=entered or chosen.reference)
            raise ContractError(unknown, field=wording.field)
        return chosen
    if len(current) > 1 or (current and wording.choice_needed):
        raise ContractError(
            wording.several.format(
                provider=provider.name,
                references=", ".join(contract.reference for contract in current),
                on=long_date(on),
            ),
            field=wording.field,
        )
    return only_contract(current)


def contract_for(
    provider: Provider,
    on: date,
    chosen: Contract | None = None,
    current: Sequence[Contract] | None = None,
) -> Contract | None:
    """The contract new work goes under: the one chosen, or the provider's only current one.

    current is the provider's current contracts on the day when the caller has read them
    already (a batch has them with its figures); otherwise they are read here, and only
    when none is chosen.
    """
    if current is None:
        if chosen is not None:
            check_allocatable(chosen, provider, on)
            return chosen
        current = current_contracts(provider, on)
    return choose_contract(provider, on, chosen, current, wording=SERVICE)


def form_contract(
    choices: Sequence[ProviderChoice], provider: Provider, on: date, value: str
) -> Contract | None:
    """The case page's choice: the contract selected (by id, among the current contracts the
    form lists), or with none selected the provider's only current contract."""
    listed = {
        str(cost.contract.id): cost.contract for choice in choices for cost in choice.contracts
    }
    chosen = listed.get(value)
    own = [
        cost.contract
        for choice in choices
        if choice.provider.id == provider.id
        for cost in choice.contracts
    ]
    return choose_contract(provider, on, chosen, own, entered=value or None, wording=FORM)


def preselected(options: Sequence[ContractCost], contract_id: int | None) -> ContractCost | None:
    """The contract the bulk check page shows the work going under: the one posted, or with
    none posted the provider's only current contract."""
    if contract_id is None:
        return only_contract(options)
    return next((o for o in options if o.contract.id == contract_id), None)


def batch_contract(
    options: Sequence[ContractCost], provider: Provider, on: date, contract_id: int | None
) -> ContractCost | None:
    """The contract a batch goes under, with its figures: the one confirmed on the check page,
    which must still be one of the provider's current contracts (options); none if it has none.

    A contract posted that is not among them is read, to say why it cannot take the work.
    """
    by_id = {option.contract.id: option for option in options}
    chosen = None
    if contract_id is not None:
        listed = by_id.get(contract_id)
        chosen = listed.contract if listed else db.session.get(Contract, contract_id)
    entered = str(contract_id) if contract_id is not None else None
    contract = choose_contract(
        provider, on, chosen, [option.contract for option in options], entered=entered, wording=BULK
    )
    return by_id[contract.id] if contract is not None else None


def contract_named(
    contracts: Mapping[str, Contract],
    provider: Provider | NewProvider,
    on: date,
    reference: str | None,
) -> Contract | None:
    """An import row's contract, from contracts_by_reference(): the one its reference names,
    or with none the provider's only current contract on the day of allocation."""
    chosen = contracts.get(reference.casefold()) if reference is not None else None
    current = current_among(contracts.values(), provider, on)
    return choose_contract(provider, on, chosen, current, entered=reference, wording=IMPORT)


def unit_price(contract: Contract | None, work_type: WorkType, on: date) -> Decimal | None:
    """The price of one piece of the work under the contract on the day; None: not costed."""
    return price_on(contract, work_type, on) if contract is not None else None


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


def turnaround_days(contract: Contract | None, work_type: WorkType) -> int:
    """The contract's target for the work type, or the work type's own turnaround."""
    if contract is not None:
        for target in contract.turnarounds:
            if target.work_type_id == work_type.id:
                return target.days
    return work_type.turnaround_days
