"""`flask report monthly | compliance | spend | pack | backlog | providers`: the report pages'
figures as files. `flask report check-summaries`: the summary tables against their rows.

Each command renders the rows of the same function the page uses. A mistake in the options is
a usage error: the message, and exit status 2.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TextIO

import click
from flask.cli import AppGroup

from provider_portal.cases.board import export as board_export
from provider_portal.contracts.queries import contract_by_reference
from provider_portal.errors import ReportError
from provider_portal.reports.compliance import queries as compliance
from provider_portal.reports.exports import record_export
from provider_portal.reports.monthly import queries as monthly
from provider_portal.reports.pack.figures import build_pack, check_range
from provider_portal.reports.pack.sheets import pack_detail, pack_workbook
from provider_portal.reports.providers import figures as league
from provider_portal.reports.scope import Scope, provider_by_name
from provider_portal.reports.spend import queries as spend
from provider_portal.summaries import differences, rewrite_summary, summaries
from provider_portal.tabular import safe_cell, write_csv
from provider_portal.timescales import today

report_cli = AppGroup("report", help="Reports as CSV.")

OUTPUT = click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), help="CSV file to write"
)


def as_of_option(value: str | None) -> date:
    """The --as-of date, today when it is not given; from 1900 to 2100, as on the pages."""
    if not value:
        return today()
    text = value.strip()
    try:
        # YYYY-MM-DD only: fromisoformat also takes "20241202" and week dates.
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            "Enter the date as YYYY-MM-DD, like 2024-12-02", param_hint="--as-of"
        ) from error
    if not monthly.FIRST_YEAR <= day.year <= monthly.LAST_YEAR:
        raise click.BadParameter(
            f"Enter a date between {monthly.FIRST_YEAR}-01-01 and {monthly.LAST_YEAR}-12-31",
            param_hint="--as-of",
        )
    return day


def _months(start: str, end: str) -> tuple[date, date]:
    """The --from and --to months; a ReportError names the one at fault."""
    return monthly.parse_month(start, "first month"), monthly.parse_month(end, "last month")


@contextmanager
def usage_errors() -> Iterator[None]:
    """A report's own objection (a range too long, say) as a usage error."""
    try:
        yield
    except ReportError as error:
        raise click.UsageError(str(error)) from error


@contextmanager
def opened(output: str | None) -> Iterator[TextIO]:
    """The --output file, or standard output without one."""
    if output is None:
        yield sys.stdout
        return
    with open(output, "w", newline="", encoding="utf-8") as handle:
        yield handle


@report_cli.command("monthly")
@click.option("--from", "start", required=True, help="First month, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month, YYYY-MM")
@click.option("--as-of", "as_of", help="Count returns up to this date, YYYY-MM-DD (default today)")
@click.option("--provider", "provider_name", help="Only this provider (name)")
@click.option("--work-type", "work_type_code", help="Only this work type (code)")
@OUTPUT
def report_monthly(
    start: str,
    end: str,
    as_of: str | None,
    provider_name: str | None,
    work_type_code: str | None,
    output: str | None,
) -> None:
    """Allocated, returned and outstanding by month of allocation."""
    as_of_date = as_of_option(as_of)
    provider = provider_by_name(provider_name) if provider_name else None
    if provider_name and provider is None:
        raise click.BadParameter(f"No provider called {provider_name!r}", param_hint="--provider")
    work_type = monthly.work_type_by_code(work_type_code) if work_type_code else None
    if work_type_code and work_type is None:
        raise click.BadParameter(f"No work type {work_type_code!r}", param_hint="--work-type")
    with usage_errors():
        report = monthly.monthly_report(
            *_months(start, end), as_of_date, provider=provider, work_type=work_type
        )
    with opened(output) as handle:
        # Unlike the page's download, this file has plain newlines between rows.
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(monthly.CSV_HEADER)
        for row in monthly.csv_rows(report):
            writer.writerow([safe_cell(value) for value in row])


@report_cli.command("compliance")
@click.option("--from", "start", required=True, help="First month of issue, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month of issue, YYYY-MM")
@OUTPUT
def report_compliance(start: str, end: str, output: str | None) -> None:
    """Final plans issued within 20 weeks by month of issue, excluding exceptions."""
    with usage_errors():
        report = compliance.compliance_report(*_months(start, end))
    with opened(output) as handle:
        write_csv(handle, compliance.CSV_HEADER, compliance.csv_rows(report))


@report_cli.command("spend")
@click.option("--as-of", "as_of", help="Spend as it stood on this date, YYYY-MM-DD (default today)")
@OUTPUT
def report_spend(as_of: str | None, output: str | None) -> None:
    """Committed and actual spend by financial year, contract, provider and work type."""
    rows = spend.csv_rows(spend.spend_by_financial_year(as_of_option(as_of)))
    with opened(output) as handle:
        write_csv(handle, spend.CSV_HEADER, rows)


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
    as_of_date = as_of_option(as_of)
    contract = contract_by_reference(reference)
    if contract is None:
        raise click.BadParameter(f"No contract {reference!r}", param_hint="--contract")
    with usage_errors():
        pack = build_pack(Scope(contract=contract), *_months(start, end), as_of_date)
    with open(output, "wb") as handle:
        handle.write(pack_workbook(pack))
    record_export(pack_detail(pack, "xlsx") + " via=cli", pack.scope)
    click.echo(f"Wrote the monitoring pack for {contract.reference} to {output}")


@report_cli.command("backlog")
@click.option(
    "--as-of", "as_of", help="The board as it stood on this date, YYYY-MM-DD (default today)"
)
@OUTPUT
def report_backlog(as_of: str | None, output: str | None) -> None:
    """The backlog board's cases as CSV, one row per open case in the board's order.

    Columns: case_ref, request_received_on, weeks_since_request, priority (1: looked after;
    2: phase-transfer deadline within 12 weeks; 3: the rest, longest waiting first), reasons
    and open_work (each piece of work open on the date). No child's name is written.
    """
    as_of_date = as_of_option(as_of)
    rows = [row.as_csv() for row in board_export.backlog_rows(as_of_date)]
    # Recorded before the file is written, as every report that leaves the portal is.
    record_export(f"backlog as_of={as_of_date.isoformat()} rows={len(rows)} via=cli")
    with opened(output) as handle:
        write_csv(handle, board_export.CSV_HEADER, rows)


@report_cli.command("providers")
@click.option("--from", "start", required=True, help="First month, YYYY-MM")
@click.option("--to", "end", required=True, help="Last month, YYYY-MM (36 months at most)")
@click.option("--as-of", "as_of", help="Figures as they stood on this date, YYYY-MM-DD")
@click.option("--work-type", "work_type_code", help="Only this work type (code)")
@OUTPUT
def report_providers(
    start: str, end: str, as_of: str | None, work_type_code: str | None, output: str | None
) -> None:
    """The league table: one row per provider, then All providers."""
    as_of_date = as_of_option(as_of)
    work_type = monthly.work_type_by_code(work_type_code) if work_type_code else None
    if work_type_code and work_type is None:
        raise click.BadParameter(f"No work type {work_type_code!r}", param_hint="--work-type")
    with usage_errors():
        first, last = _months(start, end)
        check_range(first, last)
        table = league.league_table(first, last, as_of_date, work_type)
    kind = f" work_type={work_type.code}" if work_type else ""
    record_export(
        f"providers {first:%Y-%m}..{last:%Y-%m} as_of={as_of_date.isoformat()}{kind} via=cli"
    )
    with opened(output) as handle:
        write_csv(handle, league.CSV_HEADER, league.csv_rows(table))


# Differences listed per summary before the rest are only counted.
SHOWN_DIFFERENCES = 20


@report_cli.command("check-summaries")
@click.option("--rebuild", is_flag=True, help="Write a summary that differs again from its rows")
def report_check_summaries(rebuild: bool) -> None:
    """Count each summary table's figures again from the rows they come from and compare.

    Exit status 1 when any differs (after writing it again, with --rebuild); 0 when all agree.
    """
    differed = False
    for summary in summaries():
        found = differences(summary)
        if not found:
            click.echo(f"{summary.name}: agrees with its rows")
            continue
        differed = True
        click.echo(f"{summary.name}: {len(found)} counts differ from its rows:")
        for key, stored, counted in found[:SHOWN_DIFFERENCES]:
            click.echo(
                f"  {', '.join(str(part) for part in key)}: "
                f"table {' and '.join(map(str, stored))}, rows {' and '.join(map(str, counted))}"
            )
        if len(found) > SHOWN_DIFFERENCES:
            click.echo(f"  and {len(found) - SHOWN_DIFFERENCES} more")
        if rebuild:
            rewrite_summary(summary, len(found))
            click.echo(f"{summary.name}: written again from its rows")
    if differed:
        sys.exit(1)
