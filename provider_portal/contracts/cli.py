"""`flask contracts create | vary | list`: scripted set-up through the services the pages use.

Each command is all or nothing: on any problem it says what was wrong, saves nothing and
exits with status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import NoReturn, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provider_portal.contracts.money import parse_money
from provider_portal.contracts.queries import (
    contract_by_reference,
    contract_value,
    headrooms,
    list_contracts,
)
from provider_portal.contracts.services import (
    add_variation,
    create_contract,
    set_price,
    set_turnaround,
)
from provider_portal.errors import ContractError
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date
from provider_portal.models import Contract, Provider, WorkType
from provider_portal.timescales import today

contracts_cli = AppGroup("contracts", help="Contracts with providers.")

T = TypeVar("T")

# The option each service field comes from, so a message says which option to fix.
OPTIONS = {
    "reference": "--reference",
    "title": "--title",
    "provider": "--provider",
    "start_on": "--start",
    "end_on": "--end",
    "original_value": "--value",
    "monthly_volume": "--monthly-volume",
    "on_time_target_percent": "--on-time-target",
    "max_rework_percent": "--max-rework",
    "stated_monthly_capacity": "--capacity",
    "unit_price": "--price",
    "effective_from": "--prices-from",
    "days": "--turnaround",
    "amount": "--amount",
    "approved_on": "--approved-on",
    "reason": "--reason",
    "approval_reference": "--approval-reference",
}


def _fail(message: str, option: str | None = None) -> NoReturn:
    where = f"{option}: " if option else ""
    click.echo(f"Nothing was saved. {where}{message}", err=True)
    raise click.exceptions.Exit(1)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        _fail(f"Enter a real date as YYYY-MM-DD, not {value!r}", option)


def _money(value: str, option: str, what: str) -> Decimal:
    try:
        return parse_money(value, what)
    except ContractError as error:
        _fail(str(error), option)


def _work_types() -> dict[str, WorkType]:
    return {wt.code: wt for wt in db.session.scalars(select(WorkType))}


def _pairs(
    values: tuple[str, ...], option: str, parse: Callable[[str], T]
) -> list[tuple[WorkType, T]]:
    """WORK_TYPE=VALUE options, each work type once, known codes only."""
    types = _work_types()
    seen: set[str] = set()
    pairs = []
    for value in values:
        code, sep, text = value.partition("=")
        code = code.strip()
        if not sep or not code or not text.strip():
            _fail(f"Write each as WORK_TYPE=VALUE, like ep_advice=1200, not {value!r}", option)
        if code not in types:
            known = ", ".join(sorted(types))
            _fail(f"There is no work type {code!r}. The work types are: {known}", option)
        if code in seen:
            _fail(f"{code} is given more than once", option)
        seen.add(code)
        pairs.append((types[code], parse(text.strip())))
    return pairs


def _days(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        _fail(f"Enter the turnaround as a whole number of days, not {text!r}", "--turnaround")
    return int(text)


def _provider(name: str) -> Provider:
    provider = db.session.scalar(
        select(Provider).where(func.lower(Provider.name) == name.strip().lower())
    )
    if provider is None:
        _fail(f"There is no provider called {name!r}", "--provider")
    return provider


def _contract(reference: str) -> Contract:
    contract = contract_by_reference(reference)
    if contract is None:
        _fail(f"There is no contract with reference {reference!r}", "--reference")
    return contract


def _targets(contract: Contract) -> str:
    parts = []
    if contract.monthly_volume is not None:
        parts.append(f"{contract.monthly_volume} a month")
    if contract.on_time_target_percent is not None:
        parts.append(f"{contract.on_time_target_percent}% on time")
    if contract.max_rework_percent is not None:
        parts.append(f"at most {contract.max_rework_percent}% rework")
    if contract.stated_monthly_capacity is not None:
        parts.append(f"provider capacity {contract.stated_monthly_capacity} a month")
    return ", ".join(parts) or "none set"


COUNT = click.IntRange(min=0)
PERCENT = click.IntRange(0, 100)


@contracts_cli.command("create")
@click.option("--reference", required=True, help="The contract reference, unique")
@click.option("--title", required=True, help="What the contract is for")
@click.option("--provider", "provider_name", required=True, help="The provider's name")
@click.option("--start", required=True, help="First day, YYYY-MM-DD")
@click.option("--end", required=True, help="Last day, YYYY-MM-DD")
@click.option("--value", required=True, help="The value in pounds, like 850000")
@click.option(
    "--price",
    "prices",
    multiple=True,
    help="A unit price, WORK_TYPE=POUNDS (like ep_advice=1200); repeat for each work type",
)
@click.option(
    "--prices-from", help="The day the prices apply from, YYYY-MM-DD (default: the start date)"
)
@click.option(
    "--turnaround",
    "turnarounds",
    multiple=True,
    help="A turnaround target, WORK_TYPE=DAYS (like ep_advice=42); repeat for each work type",
)
@click.option("--monthly-volume", type=COUNT, help="Pieces of work a month the contract expects")
@click.option("--on-time-target", type=PERCENT, help="Percentage returned within the turnaround")
@click.option("--max-rework", type=PERCENT, help="Most work sent back for amendment, percent")
@click.option("--capacity", type=COUNT, help="The provider's stated monthly capacity")
def create_command(
    reference: str,
    title: str,
    provider_name: str,
    start: str,
    end: str,
    value: str,
    prices: tuple[str, ...],
    prices_from: str | None,
    turnarounds: tuple[str, ...],
    monthly_volume: int | None,
    on_time_target: int | None,
    max_rework: int | None,
    capacity: int | None,
) -> None:
    """Let a contract with its prices and turnaround targets, all or nothing."""
    start_on = _date(start, "--start")
    end_on = _date(end, "--end")
    original_value = _money(value, "--value", "the contract value")
    price_from = _date(prices_from, "--prices-from") if prices_from else start_on
    price_list = _pairs(prices, "--price", lambda text: _money(text, "--price", "the price"))
    turnaround_list = _pairs(turnarounds, "--turnaround", _days)
    provider = _provider(provider_name)
    try:
        contract = create_contract(
            reference=reference,
            title=title,
            provider=provider,
            start_on=start_on,
            end_on=end_on,
            original_value=original_value,
            monthly_volume=monthly_volume,
            on_time_target_percent=on_time_target,
            max_rework_percent=max_rework,
            stated_monthly_capacity=capacity,
            actor=None,
        )
        for work_type, unit_price in price_list:
            set_price(contract, work_type, unit_price, price_from, actor=None)
        for work_type, days in turnaround_list:
            set_turnaround(contract, work_type, days, actor=None)
        db.session.commit()
    except ContractError as error:
        db.session.rollback()
        _fail(str(error), OPTIONS.get(error.field or ""))
    except IntegrityError:
        db.session.rollback()
        _fail(f"A contract with reference {reference.strip()} already exists", "--reference")
    click.echo(
        f"Created contract {contract.reference} ({contract.title}) with {provider.name}: "
        f"{long_date(start_on)} to {long_date(end_on)}, value {format_money(original_value)}"
    )
    for work_type, unit_price in price_list:
        click.echo(
            f"Price: {work_type.name} {format_money(unit_price)} "
            f"for work allocated from {long_date(price_from)}"
        )
    if not price_list:
        click.echo("Prices: none yet, so work under it is counted but not costed")
    for work_type, days in turnaround_list:
        click.echo(f"Turnaround: {work_type.name} {days} days")
    click.echo(f"Targets: {_targets(contract)}")


@contracts_cli.command("vary")
@click.option("--reference", required=True, help="The contract's reference")
@click.option("--amount", required=True, help="Pounds to add, or to take off with a minus sign")
@click.option("--approved-on", required=True, help="The day it was approved, YYYY-MM-DD")
@click.option("--reason", required=True, help="Why the value changed")
@click.option(
    "--approval-reference",
    required=True,
    help="Who approved it, like 'Executive Board 12 December 2024'",
)
def vary_command(
    reference: str, amount: str, approved_on: str, reason: str, approval_reference: str
) -> None:
    """Record an approved change to a contract's value."""
    contract = _contract(reference)
    change = _money(amount.replace("\u2212", "-"), "--amount", "the amount of the variation")
    approved = _date(approved_on, "--approved-on")
    try:
        add_variation(
            contract,
            amount=change,
            approved_on=approved,
            reason=reason,
            approval_reference=approval_reference,
            actor=None,
        )
        db.session.commit()
    except ContractError as error:
        db.session.rollback()
        _fail(str(error), OPTIONS.get(error.field or ""))
    db.session.refresh(contract)
    click.echo(
        f"Varied contract {contract.reference} by {format_money(change)}, approved "
        f"{long_date(approved)} ({approval_reference.strip()}): "
        f"value now {format_money(contract_value(contract))}"
    )


@contracts_cli.command("list")
@click.option("--as-of", "as_of", help="Spend up to this day, YYYY-MM-DD (default today)")
def list_command(as_of: str | None) -> None:
    """Every contract with its value, spend and headroom, tab-separated."""
    day = _date(as_of, "--as-of") if as_of else today()
    contracts = list_contracts()
    figures = headrooms(day, [c.id for c in contracts])
    header = ["reference", "provider", "status", "start", "end", "value", "actual"]
    click.echo("\t".join(header + ["committed", "headroom", "not_costed"]))
    for contract in contracts:
        row = figures[contract.id]
        click.echo(
            "\t".join(
                [
                    contract.reference,
                    contract.provider.name,
                    contract.status.value,
                    contract.start_on.isoformat(),
                    contract.end_on.isoformat(),
                    f"{row.value:.2f}",
                    f"{row.actual:.2f}",
                    f"{row.committed:.2f}",
                    f"{row.headroom:.2f}",
                    str(row.uncosted),
                ]
            )
        )
    if not contracts:
        click.echo(f"No contracts yet (as of {day.isoformat()})", err=True)
