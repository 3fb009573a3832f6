"""`flask report sen2 --year YYYY [--output FILE] [--validation FILE]`: the SEN2 extract.

The extract goes to --output (standard output without it). The rows a SEN2 validator would
reject go to --validation when given (case_ref, item, problem, fix); either way the command
says on standard error how many rows have problems. Both files are audited like a download.
A year that is not four digits from 2014 to next year is a usage error (exit status 2).
"""

from __future__ import annotations

import click

from provider_portal.reports.cli import opened, usage_errors
from provider_portal.reports.exports import record_export
from provider_portal.reports.sen2.queries import (
    CSV_HEADER,
    VALIDATION_HEADER,
    csv_rows,
    parse_year,
    sen2_report,
    validation_rows,
)
from provider_portal.tabular import write_csv

FILE = click.Path(dir_okay=False, writable=True)


@click.command("sen2")
@click.option("--year", "year_text", required=True, help="Calendar year, YYYY (2014 to next year)")
@click.option("--output", type=FILE, help="CSV file for the extract (default standard output)")
@click.option("--validation", type=FILE, help="CSV file for the rows a SEN2 validator rejects")
def report_sen2(year_text: str, output: str | None, validation: str | None) -> None:
    """The person-level SEN2 items the portal holds for a calendar year, as CSV."""
    with usage_errors():
        report = sen2_report(parse_year(year_text))
    with opened(output) as handle:
        write_csv(handle, CSV_HEADER, csv_rows(report))
    record_export(f"sen2 year={report.year} via=cli")
    if validation is not None:
        with opened(validation) as handle:
            write_csv(handle, VALIDATION_HEADER, validation_rows(report))
        record_export(f"sen2 validation year={report.year} via=cli")
    problems = report.rows_with_problems
    where = f": see {validation}" if validation else " (write them with --validation FILE)"
    click.echo(
        f"{len(report.rows)} rows for {report.year}; "
        f"{problems} a SEN2 validator would reject{where}",
        err=True,
    )
