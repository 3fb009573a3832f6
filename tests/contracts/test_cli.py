"""`flask contracts create | vary | list`: all or nothing, saying what was done or went wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    Contract,
    ContractPrice,
    ContractTurnaround,
    ContractVariation,
)

CREATE = [
    "contracts",
    "create",
    "--reference",
    "SEND-EP-01",
    "--title",
    "Locum EP advice",
    "--provider",
    "lakeside ep",
    "--start",
    "2024-08-01",
    "--end",
    "2026-03-31",
    "--value",
    "850000",
    "--price",
    "ep_advice=1200",
    "--price",
    "plan_writing=£750.50",
    "--prices-from",
    "2024-09-01",
    "--turnaround",
    "ep_advice=42",
    "--monthly-volume",
    "100",
    "--on-time-target",
    "90",
    "--max-rework",
    "10",
    "--capacity",
    "120",
]


def _run(app, args):
    result = app.test_cli_runner().invoke(args=args)
    db.session.rollback()  # see what the command committed
    return result


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_create_saves_the_contract_its_prices_and_turnarounds(app, make):
    provider = make.provider("Lakeside EP")
    result = _run(app, CREATE)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created contract SEND-EP-01 (Locum EP advice) with Lakeside EP: "
        "1 August 2024 to 31 March 2026, value £850,000.00",
        "Price: Educational psychology advice £1,200.00 for work allocated from 1 September 2024",
        "Price: Draft EHC plan £750.50 for work allocated from 1 September 2024",
        "Turnaround: Educational psychology advice 42 days",
        "Targets: 100 a month, 90% on time, at most 10% rework, provider capacity 120 a month",
    ]
    contract = db.session.scalar(select(Contract))
    assert contract.provider == provider
    assert contract.original_value == Decimal("850000.00")
    assert (contract.start_on, contract.end_on) == (date(2024, 8, 1), date(2026, 3, 31))
    assert (
        contract.monthly_volume,
        contract.on_time_target_percent,
        contract.max_rework_percent,
        contract.stated_monthly_capacity,
    ) == (100, 90, 10, 120)
    prices = {
        (p.work_type.code, p.effective_from, p.unit_price)
        for p in db.session.scalars(select(ContractPrice))
    }
    assert prices == {
        ("ep_advice", date(2024, 9, 1), Decimal("1200.00")),
        ("plan_writing", date(2024, 9, 1), Decimal("750.50")),
    }
    (turnaround,) = db.session.scalars(select(ContractTurnaround)).all()
    assert (turnaround.work_type.code, turnaround.days) == ("ep_advice", 42)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == contract.id)
    ).all()
    assert sorted(actions) == [
        "contract_created",
        "contract_price_set",
        "contract_price_set",
        "contract_turnaround_set",
    ]


def test_prices_apply_from_the_start_by_default_and_are_optional(app, make):
    make.provider("Lakeside EP")
    args = CREATE[: CREATE.index("--price")]
    result = _run(app, [*args, "--price", "ep_advice=1200"])
    assert result.exit_code == 0, result.output
    price = db.session.scalar(select(ContractPrice))
    assert price.effective_from == date(2024, 8, 1)
    result = _run(app, [*args[:3], "BARE", *args[4:]])
    assert result.exit_code == 0, result.output
    assert "Prices: none yet, so work under it is counted but not costed" in result.output
    assert "Targets: none set" in result.output


def _replace(option: str, value: str) -> list[str]:
    """CREATE with the value of an option changed."""
    args = list(CREATE)
    args[args.index(option) + 1] = value
    return args


def _swap(old: str, new: str) -> list[str]:
    """CREATE with one WORK_TYPE=VALUE changed."""
    args = list(CREATE)
    args[args.index(old)] = new
    return args


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (_replace("--provider", "Nobody Ltd"), "--provider: There is no provider called"),
        (_replace("--start", "1/8/2024"), "--start: Enter a real date as YYYY-MM-DD"),
        (_replace("--end", "2024-07-31"), "--end: The end date must be on or after the start"),
        (
            _replace("--value", "850000.001"),
            "--value: Enter the contract value in pounds and pence",
        ),
        (_replace("--value", "0"), "--value: Enter a contract value more than £0"),
        (_replace("--reference", "send-ep-00"), "--reference: A contract with reference"),
        (_replace("--title", " "), "--title: Enter the contract title"),
        (_swap("ep_advice=1200", "astrology=5"), "--price: There is no work type 'astrology'"),
        (_swap("ep_advice=1200", "ep_advice"), "--price: Write each as WORK_TYPE=VALUE"),
        (_swap("ep_advice=1200", "ep_advice=12.345"), "--price: Enter the price in pounds"),
        (_swap("plan_writing=£750.50", "ep_advice=1"), "--price: ep_advice is given more than"),
        # These fail after the contract itself was made: it is not kept either.
        (_swap("ep_advice=1200", "ep_advice=-1"), "--price: Enter a price of £0 or more"),
        (
            _replace("--prices-from", "2026-04-01"),
            "--prices-from: The price must apply from a date the contract runs",
        ),
        (_swap("ep_advice=42", "ep_advice=0"), "--turnaround: Enter a turnaround from 1 to 365"),
        (_swap("ep_advice=42", "ep_advice=six"), "--turnaround: Enter the turnaround as a whole"),
    ],
)
def test_create_saves_nothing_when_anything_is_wrong(app, make, args, message):
    make.provider("Lakeside EP")
    make.contract(reference="SEND-EP-00")
    before = _count(AuditEvent)
    result = _run(app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Nothing was saved. ")
    assert message in result.stderr
    assert result.stdout == ""
    assert _count(Contract) == 1
    assert _count(ContractPrice) == 0 and _count(ContractTurnaround) == 0
    assert _count(AuditEvent) == before


def test_out_of_range_targets_are_refused_by_the_options(app, make):
    make.provider("Lakeside EP")
    result = _run(app, _replace("--on-time-target", "101"))
    assert result.exit_code != 0
    assert "--on-time-target" in result.output
    assert _count(Contract) == 0


@freeze_time("2024-12-12")
def test_vary_and_list(app, make):
    contract = make.contract(reference="SEND-EP-01", value="850000", prices={"ep_advice": "1200"})
    make.allocation(
        provider=contract.provider,
        contract=contract,
        status=AllocationStatus.ACCEPTED,
        returned_on=date(2024, 9, 1),
        accepted_on=date(2024, 9, 2),
    )
    make.allocation(provider=contract.provider, contract=contract)
    result = _run(
        app,
        [
            "contracts",
            "vary",
            "--reference",
            "send-ep-01",
            "--amount",
            "646000",
            "--approved-on",
            "2024-12-12",
            "--reason",
            "The backlog is larger than planned",
            "--approval-reference",
            "Executive Board 12 December 2024",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Varied contract SEND-EP-01 by £646,000.00, approved 12 December 2024 "
        "(Executive Board 12 December 2024): value now £1,496,000.00"
    )
    variation = db.session.scalar(select(ContractVariation))
    assert variation.amount == Decimal("646000.00")
    assert variation.approval_reference == "Executive Board 12 December 2024"
    listed = _run(app, ["contracts", "list"])
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()
    assert header.split("\t") == [
        "reference",
        "provider",
        "status",
        "start",
        "end",
        "value",
        "actual",
        "committed",
        "headroom",
        "not_costed",
    ]
    assert row.split("\t") == [
        "SEND-EP-01",
        contract.provider.name,
        "active",
        "2024-04-01",
        "2026-03-31",
        "1496000.00",
        "1200.00",
        "1200.00",
        "1493600.00",
        "0",
    ]
    # As of before the variation and before anything was accepted.
    earlier = _run(app, ["contracts", "list", "--as-of", "2024-08-31"])
    assert earlier.output.splitlines()[1].split("\t")[5:] == [
        "850000.00",
        "0.00",
        "2400.00",
        "847600.00",
        "0",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--reference": "NOPE"}, "--reference: There is no contract with reference 'NOPE'"),
        ({"--amount": "0"}, "--amount: Enter an amount that is not £0"),
        ({"--amount": "-900000"}, "--amount: The variation would take the contract value"),
        ({"--approved-on": "2024-12-13"}, "--approved-on: The approval date must be today"),
        ({"--reason": " "}, "--reason: Enter the reason for the variation"),
    ],
)
@freeze_time("2024-12-12")
def test_vary_saves_nothing_when_anything_is_wrong(app, make, changes, message):
    make.contract(reference="SEND-EP-01", value="850000")
    options = {
        "--reference": "SEND-EP-01",
        "--amount": "1000",
        "--approved-on": "2024-12-12",
        "--reason": "More",
        "--approval-reference": "Board",
        **changes,
    }
    args = ["contracts", "vary"] + [part for pair in options.items() for part in pair]
    result = _run(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert _count(ContractVariation) == 0


def test_a_negative_variation_from_the_command_line(app, make):
    make.contract(reference="SEND-EP-01", value="850000")
    with freeze_time("2025-01-10"):
        result = _run(
            app,
            [
                "contracts",
                "vary",
                "--reference",
                "SEND-EP-01",
                "--amount",
                "-50000",
                "--approved-on",
                "2025-01-10",
                "--reason",
                "Less work",
                "--approval-reference",
                "Director",
            ],
        )
    assert result.exit_code == 0, result.output
    assert "by −£50,000.00" in result.output and "value now £800,000.00" in result.output


def test_list_with_no_contracts(app):
    result = _run(app, ["contracts", "list"])
    assert result.exit_code == 0
    assert result.stdout.startswith("reference\tprovider")
    assert "No contracts yet" in result.stderr
