"""Letting and changing contracts: prices, variations, turnaround targets, dates and targets.

Each function records its audit row in the caller's transaction; the caller commits, so the
page and the CLI share the same rules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from provider_portal import audit
from provider_portal.contracts.pricing import (
    reprice,
)
from provider_portal.contracts.queries import contract_by_reference, contract_value
from provider_portal.errors import ContractError, StaleContract
from provider_portal.extensions import db
from provider_portal.formatting import long_date
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
from provider_portal.timescales import today


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
    quality_check: bool = True,
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
        quality_check=quality_check,
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
    quality_check: bool | None = None,
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
        "quality_check": contract.quality_check if quality_check is None else quality_check,
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
