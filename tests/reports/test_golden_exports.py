"""The published figures do not move: every CSV export of the demo data, byte for byte.

The files under tests/reports/golden/ were written from `flask demo seed` data (seeded on
28 November 2024, just before the board paper's 2 December report) by the code as it stood
before a change of layout. Any change to a figure, a header, an ordering or a format shows up
here as a difference to the stored copy. When a figure is meant to change, write the files
again on purpose with PORTAL_WRITE_GOLDEN=1 and review the difference in the commit.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from openpyxl import load_workbook

from provider_portal.extensions import db
from provider_portal.models import Contract, Provider, Role, WorkType
from provider_portal.reports.pack.sheets import CSV_TABLES
from tests.factories import Factory
from tests.helpers import PortalClient

GOLDEN = Path(__file__).parent / "golden"
SEEDED_AT = "2024-11-28 10:00:00"
AS_OF = ["2", "12", "2024"]  # the board paper's date


def _write_mode() -> bool:
    return os.environ.get("PORTAL_WRITE_GOLDEN") == "1"


def _check(name: str, body: bytes, checked: set[str]) -> None:
    checked.add(name)
    path = GOLDEN / name
    if _write_mode():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return
    assert path.exists(), f"no stored copy of {name}: write them with PORTAL_WRITE_GOLDEN=1"
    expected = path.read_bytes()
    assert body.decode("utf-8") == expected.decode("utf-8"), f"{name} differs from its copy"


def _exports(contract_ref: str, provider_id: int, work_type_code: str) -> Iterator[tuple[str, str]]:
    """(stored name, URL) of every CSV the report pages offer, across their scopes."""
    months = "start=2024-08&end=2024-11"
    as_of = "&".join(f"as_of={part}" for part in AS_OF)
    yield "monthly.csv", f"/reports/monthly.csv?{months}&{as_of}"
    yield "monthly-today.csv", f"/reports/monthly.csv?{months}"
    yield (
        "monthly-provider.csv",
        f"/reports/monthly.csv?{months}&{as_of}&provider={provider_id}",
    )
    yield (
        "monthly-work-type.csv",
        f"/reports/monthly.csv?{months}&{as_of}&work_type={work_type_code}",
    )
    yield "compliance.csv", "/reports/compliance.csv?start=2023-12&end=2024-11"
    yield "spend.csv", f"/reports/spend.csv?{as_of}"
    yield "spend-contract.csv", f"/reports/spend.csv?{as_of}&contract=CONTRACT_ID"
    yield "spend-provider.csv", f"/reports/spend.csv?{as_of}&provider={provider_id}"
    yield "foi.csv", f"/reports/foi.csv?{as_of}"
    for table in CSV_TABLES:
        yield f"pack-all-{table}.csv", f"/reports/pack.csv?table={table}&{months}&{as_of}"
        yield (
            f"pack-contract-{table}.csv",
            f"/reports/pack.csv?table={table}&{months}&{as_of}&contract={contract_ref}",
        )
        yield (
            f"pack-provider-{table}.csv",
            f"/reports/pack.csv?table={table}&{months}&{as_of}&provider={provider_id}",
        )


def _workbook_text(body: bytes) -> bytes:
    """Every cell of every sheet, as text: the workbook's own bytes carry timestamps."""
    book = load_workbook(io.BytesIO(body), read_only=True)
    out = io.StringIO()
    for sheet in book.worksheets:
        out.write(f"== {sheet.title}\n")
        for row in sheet.iter_rows(values_only=True):
            out.write("\t".join("" if v is None else f"{type(v).__name__}:{v}" for v in row))
            out.write("\n")
    return out.getvalue().encode("utf-8")


@freeze_time(SEEDED_AT)
def test_every_export_of_the_demo_data_matches_its_stored_copy(
    app: Flask, client: PortalClient, make: Factory, tmp_path: Path
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    contract = db.session.query(Contract).order_by(Contract.reference).first()
    provider = db.session.query(Provider).order_by(Provider.name).first()
    work_type = db.session.query(WorkType).filter_by(code="plan_writing").one()
    assert contract is not None and provider is not None

    checked: set[str] = set()
    client.sign_in(make.user(Role.MONITOR))
    for name, url in _exports(contract.reference, provider.id, work_type.code):
        url = url.replace("CONTRACT_ID", str(contract.id))
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert response.headers["Content-Type"].startswith("text/csv"), url
        _check(name, response.get_data(), checked)

    for scope, query in (("all", ""), ("contract", f"&contract={contract.reference}")):
        url = f"/reports/pack.xlsx?start=2024-08&end=2024-11&as_of=2&as_of=12&as_of=2024{query}"
        response = client.get(url)
        assert response.status_code == 200, url
        _check(f"pack-{scope}.xlsx.txt", _workbook_text(response.get_data()), checked)

    months = ["--from", "2024-08", "--to", "2024-11"]
    as_of = ["--as-of", "2024-12-02"]
    commands = {
        "cli-monthly.csv": ["report", "monthly", *months],
        "cli-monthly-as-of.csv": ["report", "monthly", *months, *as_of],
        "cli-compliance.csv": ["report", "compliance", "--from", "2023-12", "--to", "2024-11"],
        "cli-spend.csv": ["report", "spend", *as_of],
        "cli-pack.xlsx.txt": ["report", "pack", "--contract", contract.reference, *months, *as_of],
    }
    runner = app.test_cli_runner()
    for name, args in commands.items():
        output = tmp_path / name.removesuffix(".txt")
        result = runner.invoke(args=[*args, "--output", str(output)])
        assert result.exit_code == 0, result.output
        body = output.read_bytes()
        _check(name, _workbook_text(body) if name.endswith(".xlsx.txt") else body, checked)
    contracts_list = runner.invoke(args=["contracts", "list", *as_of])
    assert contracts_list.exit_code == 0, contracts_list.output
    _check("cli-contracts-list.txt", contracts_list.output.encode("utf-8"), checked)
    # Every stored copy was compared: none is left behind by a table or command gone missing.
    assert checked == {path.name for path in GOLDEN.iterdir()}


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*")) or ["(none)"])
def test_stored_copies_hold_figures(name: str) -> None:
    """A stored copy is never an empty or error page saved by mistake."""
    path = GOLDEN / name
    assert path.exists(), "no stored copies: write them with PORTAL_WRITE_GOLDEN=1"
    text = path.read_text("utf-8")
    # Targets belong to a contract: the pack of all work or of a provider has none.
    header_only = name in {"pack-all-targets.csv", "pack-provider-targets.csv"}
    assert text.count("\n") >= (1 if header_only else 2), f"{name} holds no rows"
    assert "<html" not in text.lower()
