"""`flask cases import` and `flask allocations import`: the same imports the upload page runs."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from provider_portal.errors import TabularError
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.cases import import_cases
from provider_portal.imports.rows import ImportResult
from provider_portal.tabular import Table, read_table

cases_cli = AppGroup("cases", help="Cases.")
allocations_cli = AppGroup("allocations", help="Allocations.")

FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


def _read(path: Path) -> Table:
    try:
        return read_table(path)
    except (TabularError, OSError) as error:
        message = str(error) if isinstance(error, TabularError) else "The file could not be opened"
        click.echo(f"The file was not imported: {message}", err=True)
        raise click.exceptions.Exit(1) from error


def _report(result: ImportResult) -> None:
    """The summary on success; otherwise every problem on stderr and exit status 1."""
    if result.ok:
        click.echo(result.summary)
        return
    count = len(result.errors)
    problems = "this problem" if count == 1 else f"these {count} problems"
    click.echo(f"The file was not imported. Fix {problems} and try again:", err=True)
    for error in result.errors:
        where = f"Line {error.line}" if error.line is not None else "Whole file"
        column = f", {error.column}" if error.column else ""
        click.echo(f"{where}{column}: {error.message}", err=True)
    raise click.exceptions.Exit(1)


@cases_cli.command("import")
@click.argument("file", type=FILE)
def import_cases_command(file: Path) -> None:
    """Create or update cases from a CSV or XLSX file, all or nothing."""
    _report(import_cases(_read(file), actor=None))


@allocations_cli.command("import")
@click.argument("file", type=FILE)
@click.option(
    "--create-missing-providers",
    is_flag=True,
    help="Create providers named in the file that do not exist yet.",
)
def import_allocations_command(file: Path, create_missing_providers: bool) -> None:
    """Record an allocation log from a CSV or XLSX file, all or nothing."""
    _report(
        import_allocations(
            _read(file), actor=None, create_missing_providers=create_missing_providers
        )
    )
