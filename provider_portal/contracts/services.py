"""Contracts: creating them, their prices, variations and targets, and what is left in them.

Each function records its audit row in the caller's transaction; the caller commits, so the
page, the CLI and the import share the same rules.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Subquery, case, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit
from provider_portal.contracts.pricing import (
    PRICE,
    actual_on,
    committed_on,
    count_if,
    price_in_force,
    reprice,
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
    Provider,
    User,
    WorkType,
)
from provider_portal.models.types import PENNY
from provider_portal.timescales import long_date, today

ZERO = Decimal("0.00")
MAX_MONEY = Decimal("100000000.00")  # £100m: anything above is a typing mistake


class ContractError(ValueError):
    """A contract rule stopped the change; the message is written for the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleContract(ContractError):
    """Someone else saved the contract after the person loaded it; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this contract while you were editing it. "
            "Nothing was saved: check their changes and enter yours again."
        )


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


def format_money(value: Decimal | None) -> str:
    """£1,496,000.00; negative amounts as −£1,000.00."""
    if value is None:
        return "Not costed"
    sign = "−" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


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


def _audit(action: str, contract: Contract, actor: User | None, detail: str | None = None) -> None:
    audit.record(
        action,
        "contract",
        contract.id,
        detail=detail,
        actor=actor,
        provider_id=contract.provider_id,
    )


def _check_targets(**targets: int | None) -> None:
    for name, value in targets.items():
        if value is None:
            continue
        if value < 0:
            raise ContractError("Enter a number that is 0 or more", field=name)
        if name.endswith("percent") and value > 100:
            raise ContractError("Enter a percentage from 0 to 100", field=name)


def create_contract(
    *,
    reference: str,
    title: str,
    provider: Provider,
    start_on: date,
    end_on: date,
    original_value: Decimal,
    actor: User | None,
    monthly_volume: int | None = None,
    on_time_target_percent: int | None = None,
    max_rework_percent: int | None = None,
    stated_monthly_capacity: int | None = None,
) -> Contract:
    """A new active contract; the reference is unique whatever its case or spacing."""
    reference = reference.strip()
    if not reference:
        raise ContractError("Enter the contract reference", field="reference")
    if not title.strip():
        raise ContractError("Enter the contract title", field="title")
    if end_on < start_on:
        raise ContractError("The end date must be on or after the start date", field="end_on")
    if original_value <= 0:
        raise ContractError("Enter a contract value more than £0", field="original_value")
    if not provider.active:
        raise ContractError(f"{provider.name} has been deactivated", field="provider")
    _check_targets(
        monthly_volume=monthly_volume,
        on_time_target_percent=on_time_target_percent,
        max_rework_percent=max_rework_percent,
        stated_monthly_capacity=stated_monthly_capacity,
    )
    if contract_by_reference(reference) is not None:
        raise ContractError(f"A contract with reference {reference} already exists", "reference")
    contract = Contract(
        reference=reference,
        title=title.strip(),
        provider=provider,
        start_on=start_on,
        end_on=end_on,
        original_value=original_value,
        status=ContractStatus.ACTIVE,
        monthly_volume=monthly_volume,
        on_time_target_percent=on_time_target_percent,
        max_rework_percent=max_rework_percent,
        stated_monthly_capacity=stated_monthly_capacity,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(contract)
    db.session.flush()
    _audit("contract_created", contract, actor, detail=f"value={original_value}")
    return contract


def set_price(
    contract: Contract,
    work_type: WorkType,
    unit_price: Decimal,
    effective_from: date,
    *,
    actor: User | None,
) -> ContractPrice:
    """A unit price for work of this type allocated from a date; earlier work keeps its price."""
    if unit_price < 0:
        raise ContractError("Enter a price of £0 or more", field="unit_price")
    if not contract.start_on <= effective_from <= contract.end_on:
        raise ContractError(
            f"The price must apply from a date the contract runs, {long_date(contract.start_on)} "
            f"to {long_date(contract.end_on)}",
            field="effective_from",
        )
    existing = db.session.scalar(
        select(ContractPrice).where(
            ContractPrice.contract_id == contract.id,
            ContractPrice.work_type_id == work_type.id,
            ContractPrice.effective_from == effective_from,
        )
    )
    if existing is not None:
        raise ContractError(
            f"There is already a price for {work_type.name.lower()} "
            f"from {long_date(effective_from)}",
            field="effective_from",
        )
    price = ContractPrice(
        contract=contract,
        work_type=work_type,
        unit_price=unit_price,
        effective_from=effective_from,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(price)
    db.session.flush()
    # Work already allocated on or after the date now costs this price.
    reprice(contract.id, work_type.id)
    _audit(
        "contract_price_set",
        contract,
        actor,
        detail=f"work_type={work_type.code} from={effective_from} price={unit_price}",
    )
    return price


def add_variation(
    contract: Contract,
    *,
    amount: Decimal,
    approved_on: date,
    reason: str,
    approval_reference: str,
    actor: User | None,
) -> ContractVariation:
    """An approved change to the contract's value; it may not take the value below zero."""
    if amount == 0:
        raise ContractError("Enter an amount that is not £0", field="amount")
    if approved_on > today():
        raise ContractError("The approval date must be today or in the past", field="approved_on")
    if not reason.strip():
        raise ContractError("Enter the reason for the variation", field="reason")
    if not approval_reference.strip():
        raise ContractError(
            "Enter the approval reference, like the board decision number",
            field="approval_reference",
        )
    if contract_value(contract) + amount <= 0:
        raise ContractError("The variation would take the contract value to £0 or less", "amount")
    variation = ContractVariation(
        contract=contract,
        amount=amount,
        approved_on=approved_on,
        reason=reason.strip(),
        approval_reference=approval_reference.strip(),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(variation)
    db.session.flush()
    _audit("contract_varied", contract, actor, detail=f"amount={amount} ref={approval_reference}")
    return variation


def set_turnaround(
    contract: Contract, work_type: WorkType, days: int, *, actor: User | None
) -> ContractTurnaround:
    """The contract's turnaround target for a work type, replacing any earlier one."""
    if days < 1 or days > 365:
        raise ContractError("Enter a turnaround from 1 to 365 days", field="days")
    target = db.session.scalar(
        select(ContractTurnaround).where(
            ContractTurnaround.contract_id == contract.id,
            ContractTurnaround.work_type_id == work_type.id,
        )
    )
    if target is None:
        target = ContractTurnaround(contract=contract, work_type=work_type, days=days)
        db.session.add(target)
    else:
        target.days = days
    db.session.flush()
    _audit("contract_turnaround_set", contract, actor, detail=f"{work_type.code}={days}")
    return target


def turnaround_days(contract: Contract | None, work_type: WorkType) -> int:
    """The contract's target for the work type, or the work type's own turnaround."""
    if contract is not None:
        for target in contract.turnarounds:
            if target.work_type_id == work_type.id:
                return target.days
    return work_type.turnaround_days


def update_contract(
    contract: Contract,
    *,
    title: str,
    start_on: date,
    end_on: date,
    status: ContractStatus,
    monthly_volume: int | None,
    on_time_target_percent: int | None,
    max_rework_percent: int | None,
    stated_monthly_capacity: int | None,
    expected_version: int,
    actor: User | None,
) -> list[str]:
    """Change the contract's title, dates, status and targets; the names of what changed.

    The reference, provider and value stay as let (the value changes by variations). A person
    saving an older copy of the contract changes nothing (StaleContract). The dates must still
    cover the work already allocated under the contract.
    """
    if contract.version != expected_version:
        raise StaleContract()
    title = title.strip()
    if not title:
        raise ContractError("Enter the contract title", field="title")
    if end_on < start_on:
        raise ContractError("The end date must be on or after the start date", field="end_on")
    _check_targets(
        monthly_volume=monthly_volume,
        on_time_target_percent=on_time_target_percent,
        max_rework_percent=max_rework_percent,
        stated_monthly_capacity=stated_monthly_capacity,
    )
    first, last = db.session.execute(
        select(func.min(Allocation.allocated_on), func.max(Allocation.allocated_on)).where(
            Allocation.contract_id == contract.id
        )
    ).one()
    if first is not None and start_on > first:
        raise ContractError(
            f"Work was allocated under this contract on {long_date(first)}: "
            "the start date must be on or before then",
            field="start_on",
        )
    if last is not None and end_on < last:
        raise ContractError(
            f"Work was allocated under this contract on {long_date(last)}: "
            "the end date must be on or after then",
            field="end_on",
        )
    values: dict[str, object] = {
        "title": title,
        "start_on": start_on,
        "end_on": end_on,
        "status": status,
        "monthly_volume": monthly_volume,
        "on_time_target_percent": on_time_target_percent,
        "max_rework_percent": max_rework_percent,
        "stated_monthly_capacity": stated_monthly_capacity,
    }
    changed = [name for name, value in values.items() if getattr(contract, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(contract, name, values[name])
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleContract() from error
    _audit(
        "contract_updated",
        contract,
        actor,
        detail="fields=" + ",".join(changed) + f" status={contract.status.value}",
    )
    return changed


# --- reading contracts for the pages and the CLI -----------------------------------------------

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
