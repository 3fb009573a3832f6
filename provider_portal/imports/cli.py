"""`flask cases import` and `flask allocations import`: the same imports the upload page runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask.cli import AppGroup

from provider_portal.errors import TabularError
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.cases import import_cases
from provider_portal.imports.columns import ALLOCATIONS, CASES, column_named, column_names
from provider_portal.imports.rows import ImportResult, ignored_sentence
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


def _mapping(
    kind: str,
) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], dict[str, str]]:
    """Reads each --map "HEADER=column" into {header: column}, refusing what cannot be meant."""

    def parse(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for value in values:
            # Portal column names have no "=", so a header may.
            header, equals, name = value.rpartition("=")
            header = header.strip()
            if not equals or not header or not name.strip():
                raise click.BadParameter(
                    f'{value!r} should be "YOUR COLUMN=portal_column", '
                    'for example "Date Request Received=request_received_on"'
                )
            column = column_named(kind, name.strip())
            if column is None:
                raise click.BadParameter(
                    f"{name.strip()!r} is not a column of the {kind} import. "
                    f"The columns are {', '.join(column_names(kind))}"
                )
            if column.name in mapping.values():
                raise click.BadParameter(f"{column.name} is given more than once")
            if header in mapping:
                raise click.BadParameter(f"{header!r} is given more than once")
            mapping[header] = column.name
        return mapping

    return parse


def _map_option(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--map",
        "mapping",
        multiple=True,
        metavar='"HEADER=column"',
        callback=_mapping(kind),
        help="Use the file's column HEADER as the portal's column (repeatable).",
    )


def _report(result: ImportResult) -> None:
    """The summary on success; otherwise every problem on stderr and exit status 1. Either
    way, the file's columns that were not used are named."""
    ignored = ignored_sentence(result.ignored)
    if result.ok:
        click.echo(result.summary)
        if ignored:
            click.echo(ignored)
        return
    count = len(result.errors)
    problems = "this problem" if count == 1 else f"these {count} problems"
    click.echo(f"The file was not imported. Fix {problems} and try again:", err=True)
    for error in result.errors:
        where = f"Line {error.line}" if error.line is not None else "Whole file"
        column = f", {error.column}" if error.column else ""
        click.echo(f"{where}{column}: {error.message}", err=True)
    if ignored:
        click.echo(ignored, err=True)
    if result.missing:
        click.echo(
            'Say which of the file\'s columns is which with --map "YOUR COLUMN=column"', err=True
        )
    raise click.exceptions.Exit(1)


@cases_cli.command("import")
@click.argument("file", type=FILE)
@_map_option(CASES)
def import_cases_command(file: Path, mapping: dict[str, str]) -> None:
    """Create or update cases from a CSV or XLSX file, all or nothing."""
    _report(import_cases(_read(file), actor=None, mapping=mapping))


@allocations_cli.command("import")
@click.argument("file", type=FILE)
@click.option(
    "--create-missing-providers",
    is_flag=True,
    help="Create providers named in the file that do not exist yet.",
)
@_map_option(ALLOCATIONS)
def import_allocations_command(
    file: Path, create_missing_providers: bool, mapping: dict[str, str]
) -> None:
    """Record an allocation log from a CSV or XLSX file, all or nothing."""
    _report(
        import_allocations(
            _read(file),
            actor=None,
            create_missing_providers=create_missing_providers,
            mapping=mapping,
        )
    )
