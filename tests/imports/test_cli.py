"""`flask cases import` and `flask allocations import`: exit codes and what they print."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Case, Provider
from tests.imports.files import ALLOCATION_HEADER, CASE_HEADER, write_csv, write_xlsx


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_cases_import_prints_a_summary(app: Flask, tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC2")
    path = write_csv(
        tmp_path,
        CASE_HEADER,
        "EHC1,Alex,Smith,15/08/2015,2024-08-15",
        "EHC2,Sam,Jones,2015-01-01,2024-08-15",
        "EHC3,Ali,Khan,2015-01-01,2024-08-15",
    )
    result = app.test_cli_runner().invoke(args=["cases", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported 3 cases: 2 new, 1 updated\n"
    assert result.stderr == ""
    assert _count(Case) == 3


def test_cases_import_lists_every_problem_on_stderr_and_imports_nothing(
    app: Flask, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        CASE_HEADER,
        "EHC1,Alex,Smith,2015-01-01,2024-08-15",
        "EHC2,Sam,Jones,31/04/2015,2024-08-15",
        "EHC1,,Khan,2015-01-01,2025-03-02",
    )
    result = app.test_cli_runner().invoke(args=["cases", "import", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "The file was not imported. Fix these 4 problems and try again:",
        "Line 3, date_of_birth: Date of birth must be a real date",
        "Line 4, case_ref: Case reference EHC1 is also on line 2",
        "Line 4, first_name: Enter the first name",
        "Line 4, request_received_on: Request date must be today or in the past",
    ]
    assert _count(Case) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The file was not imported: The file is empty"),
        ("cases.xls", b"\xd0\xcf\x11\xe0", "The file was not imported: Old Excel files (.xls)"),
        (
            "cases.xlsx",
            b"not a zip",
            "The file was not imported: The file is not a valid Excel workbook",
        ),
    ],
)
def test_file_problems_exit_with_status_1(
    app: Flask, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["cases", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_missing_file_is_a_usage_error(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["cases", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_cases_import_from_xlsx(app: Flask, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        [
            ["case_ref", "first_name", "last_name", "date_of_birth", "request_received_on"],
            ["EHC1", "Alex", "Smith", date(2015, 3, 14), date(2024, 8, 15)],
        ],
    )
    result = app.test_cli_runner().invoke(args=["cases", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported 1 case: 1 new, 0 updated\n"


def test_allocations_import_needs_the_flag_to_create_providers(
    app: Flask, tmp_path: Path, make
) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    path = write_csv(
        tmp_path,
        ALLOCATION_HEADER,
        "EHC1,Brand New Therapy,ot_advice,2024-09-02,,2024-09-20,2024-09-25",
    )
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["allocations", "import", str(path)])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "The file was not imported. Fix this problem and try again:",
        "Line 2, provider: There is no provider called Brand New Therapy. Check the name, "
        "or choose to create providers that do not exist yet",
    ]
    assert _count(Provider) == 0
    assert _count(Allocation) == 0

    done = runner.invoke(args=["allocations", "import", str(path), "--create-missing-providers"])
    assert done.exit_code == 0, done.output
    assert done.stdout == "Imported 1 allocation and created 1 provider\n"
    allocation = db.session.scalar(select(Allocation))
    assert allocation is not None
    assert (allocation.status, allocation.accepted_on) == (
        AllocationStatus.ACCEPTED,
        date(2024, 9, 25),
    )
    imported = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "allocations_imported")
    )
    assert imported is not None
    assert (imported.actor_id, imported.detail) == (None, "rows=1 created=1 providers_created=1")


def test_allocations_import_reports_an_open_allocation_conflict(
    app: Flask, tmp_path: Path, make
) -> None:  # type: ignore[no-untyped-def]
    case = make.case(case_ref="EHC1")
    provider = make.provider(name="Acme Psychology")
    make.allocation(case=case, provider=provider, work_type="ep_advice")
    path = write_csv(tmp_path, ALLOCATION_HEADER, "EHC1,Acme Psychology,ep_advice,2024-09-02,,,")
    result = app.test_cli_runner().invoke(args=["allocations", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "Line 2: Case EHC1 already has educational psychology advice allocated to Acme Psychology"
    )
    assert _count(Allocation) == 1


def test_map_says_which_column_is_which_and_extra_columns_are_named(
    app: Flask, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Child No,Forename,Surname,DOB,When it came in,Notes",
        "EHC1,Alex,Smith,15/08/2015,2024-08-15,call back",
    )
    runner = app.test_cli_runner()
    without = runner.invoke(args=["cases", "import", str(path)])
    assert without.exit_code == 1
    assert without.stderr.splitlines() == [
        "The file was not imported. Fix these 2 problems and try again:",
        "Line 1, case_ref: The file has no case_ref column",
        "Line 1, request_received_on: The file has no request_received_on column",
        'These columns were ignored: "child no", "when it came in", "notes"',
        'Say which of the file\'s columns is which with --map "YOUR COLUMN=column"',
    ]
    args = ["cases", "import", str(path), "--map", "child no=case_ref"]
    done = runner.invoke(args=[*args, "--map", "When It Came In = Request_Received_On"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "Imported 1 case: 1 new, 0 updated",
        'This column was ignored: "notes"',
    ]
    case = db.session.scalar(select(Case))
    assert case is not None and case.request_received_on == date(2024, 8, 15)


def test_map_on_the_allocation_import(app: Flask, tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    make.provider(name="Acme Psychology")
    path = write_csv(
        tmp_path, "case_ref,provider,work_type,sent=on", "EHC1,Acme Psychology,ep_advice,2024-09-02"
    )
    args = ["allocations", "import", str(path), "--map", "sent=on=allocated_on"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert _count(Allocation) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("request_received_on", 'should be "YOUR COLUMN=portal_column"'),
        ("=request_received_on", 'should be "YOUR COLUMN=portal_column"'),
        ("Received=", 'should be "YOUR COLUMN=portal_column"'),
        ("Received=received", "'received' is not a column of the cases import. The columns are"),
        ("Received=provider", "'provider' is not a column of the cases import"),
    ],
)
def test_bad_map_values_are_usage_errors(
    app: Flask, tmp_path: Path, value: str, message: str
) -> None:
    path = write_csv(tmp_path, CASE_HEADER, "EHC1,Alex,Smith,15/08/2015,2024-08-15")
    result = app.test_cli_runner().invoke(args=["cases", "import", str(path), "--map", value])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Invalid value for '--map'" in result.stderr
    assert _count(Case) == 0


@pytest.mark.parametrize(
    "maps",
    [
        ["A=case_ref", "B=case_ref"],
        ["A=case_ref", "A=first_name"],
    ],
)
def test_map_given_twice_is_a_usage_error(app: Flask, tmp_path: Path, maps: list[str]) -> None:
    path = write_csv(tmp_path, CASE_HEADER, "EHC1,Alex,Smith,15/08/2015,2024-08-15")
    args = ["cases", "import", str(path)]
    for value in maps:
        args += ["--map", value]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert "is given more than once" in result.stderr


def test_map_naming_a_column_the_file_lacks(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path, CASE_HEADER, "EHC1,Alex,Smith,15/08/2015,2024-08-15")
    args = ["cases", "import", str(path), "--map", "Date Received=request_received_on"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        'Line 1, request_received_on: The file has no column "Date Received" to use as '
        "request_received_on"
    )
