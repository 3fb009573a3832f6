"""`flask` commands: thin wrappers over the same services the pages use."""

from __future__ import annotations

import csv
import sys
from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Provider, WorkType

report_cli = AppGroup("report", help="Reports as CSV.")


@report_cli.command("monthly")
@click.option("--from", "start", required=True, help="First month, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month, YYYY-MM")
@click.option("--as-of", "as_of", help="Count returns up to this date, YYYY-MM-DD (default today)")
@click.option("--provider", "provider_name", help="Only this provider (name)")
@click.option("--work-type", "work_type_code", help="Only this work type (code)")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="CSV file to write")
def report_monthly(
    start: str,
    end: str,
    as_of: str | None,
    provider_name: str | None,
    work_type_code: str | None,
    output: str | None,
) -> None:
    """Allocated, returned and outstanding by month of allocation."""
    from provider_portal.errors import ReportError
    from provider_portal.reports.monthly.queries import (
        CSV_HEADER,
        csv_rows,
        monthly_report,
        parse_month,
    )
    from provider_portal.tabular import safe_cell
    from provider_portal.timescales import today

    try:
        as_of_date = date.fromisoformat(as_of) if as_of else today()
    except ValueError as error:
        raise click.BadParameter("Enter the date as YYYY-MM-DD", param_hint="--as-of") from error
    provider = None
    if provider_name:
        provider = db.session.scalar(
            select(Provider).where(func.lower(Provider.name) == provider_name.strip().lower())
        )
        if provider is None:
            raise click.BadParameter(
                f"No provider called {provider_name!r}", param_hint="--provider"
            )
    work_type = None
    if work_type_code:
        work_type = db.session.scalar(select(WorkType).where(WorkType.code == work_type_code))
        if work_type is None:
            raise click.BadParameter(f"No work type {work_type_code!r}", param_hint="--work-type")
    try:
        report = monthly_report(
            parse_month(start, "first month"),
            parse_month(end, "last month"),
            as_of_date,
            provider=provider,
            work_type=work_type,
        )
    except ReportError as error:
        raise click.UsageError(str(error)) from error
    handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for row in csv_rows(report):
            writer.writerow([safe_cell(value) for value in row])
    finally:
        if output:
            handle.close()


@report_cli.command("compliance")
@click.option("--from", "start", required=True, help="First month of issue, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month of issue, YYYY-MM")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="CSV file to write")
def report_compliance(start: str, end: str, output: str | None) -> None:
    """Final plans issued within 20 weeks by month of issue, excluding exceptions."""
    from provider_portal.errors import ReportError
    from provider_portal.reports.compliance.queries import CSV_HEADER, compliance_report, csv_rows
    from provider_portal.reports.monthly.queries import parse_month
    from provider_portal.tabular import write_csv

    try:
        report = compliance_report(
            parse_month(start, "first month"), parse_month(end, "last month")
        )
    except ReportError as error:
        raise click.UsageError(str(error)) from error
    if output:
        with open(output, "w", newline="", encoding="utf-8") as handle:
            write_csv(handle, CSV_HEADER, csv_rows(report))
    else:
        write_csv(sys.stdout, CSV_HEADER, csv_rows(report))


@report_cli.command("spend")
@click.option("--as-of", "as_of", help="Spend as it stood on this date, YYYY-MM-DD (default today)")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="CSV file to write")
def report_spend(as_of: str | None, output: str | None) -> None:
    """Committed and actual spend by financial year, contract, provider and work type."""
    from provider_portal.reports.spend.queries import CSV_HEADER, csv_rows, spend_by_financial_year
    from provider_portal.tabular import write_csv
    from provider_portal.timescales import today

    try:
        as_of_date = date.fromisoformat(as_of) if as_of else today()
    except ValueError as error:
        raise click.BadParameter("Enter the date as YYYY-MM-DD", param_hint="--as-of") from error
    rows = csv_rows(spend_by_financial_year(as_of_date))
    if output:
        with open(output, "w", newline="", encoding="utf-8") as handle:
            write_csv(handle, CSV_HEADER, rows)
    else:
        write_csv(sys.stdout, CSV_HEADER, rows)


@report_cli.command("pack")
@click.option("--contract", "reference", required=True, help="The contract's reference")
@click.option("--from", "start", required=True, help="First month, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month, YYYY-MM (36 months at most)")
@click.option("--as-of", "as_of", help="Figures as they stood on this date, YYYY-MM-DD")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Excel workbook (.xlsx) to write",
)
def report_pack(reference: str, start: str, end: str, as_of: str | None, output: str) -> None:
    """The contract monitoring pack as an Excel workbook, one sheet per table."""
    from provider_portal import audit
    from provider_portal.contracts.queries import contract_by_reference
    from provider_portal.errors import ReportError
    from provider_portal.reports.monthly.queries import parse_month
    from provider_portal.reports.pack.figures import build_pack
    from provider_portal.reports.pack.sheets import pack_workbook
    from provider_portal.reports.scope import Scope
    from provider_portal.timescales import today

    try:
        as_of_date = date.fromisoformat(as_of) if as_of else today()
    except ValueError as error:
        raise click.BadParameter("Enter the date as YYYY-MM-DD", param_hint="--as-of") from error
    contract = contract_by_reference(reference)
    if contract is None:
        raise click.BadParameter(f"No contract {reference!r}", param_hint="--contract")
    try:
        pack = build_pack(
            Scope(contract=contract),
            parse_month(start, "first month"),
            parse_month(end, "last month"),
            as_of_date,
        )
    except ReportError as error:
        raise click.UsageError(str(error)) from error
    with open(output, "wb") as handle:
        handle.write(pack_workbook(pack))
    audit.record(
        "report_exported",
        "contract",
        contract.id,
        detail=f"pack xlsx {pack.first_month:%Y-%m}..{pack.last_month:%Y-%m} "
        f"as_of={as_of_date.isoformat()} via=cli",
        provider_id=contract.provider_id,
    )
    db.session.commit()
    click.echo(f"Wrote the monitoring pack for {contract.reference} to {output}")


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from provider_portal.accounts.cli import users_cli
    from provider_portal.admin.cli import providers_cli
    from provider_portal.contracts.cli import contracts_cli
    from provider_portal.demo import demo_cli
    from provider_portal.imports.cli import allocations_cli, cases_cli
    from provider_portal.retention import retention_cli

    for group in (
        report_cli,
        users_cli,
        providers_cli,
        cases_cli,
        allocations_cli,
        contracts_cli,
        demo_cli,
        retention_cli,
    ):
        app.cli.add_command(group)
