"""Importing cases: every row checked, all saved or none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.imports import cases as case_import
from provider_portal.imports import rows
from provider_portal.imports.cases import import_cases
from provider_portal.imports.rows import RowError
from provider_portal.models import AuditEvent, Case
from tests.imports.files import CASE_HEADER, table, write_xlsx

FULL_HEADER = (
    CASE_HEADER + ",year_group,setting,looked_after,final_plan_issued_on,timescale_exception"
)


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


def _case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


def _case(case_ref: str) -> Case:
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_ref == case_ref))
    assert case is not None
    return case


def test_new_cases_are_created_with_every_column(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            FULL_HEADER,
            "EHC1,Alex,Smith,14/03/2015,2024-08-15,Year 4,Park School,Yes,2024-12-20,",
            "EHC2,Sam,Jones,2012-01-01,1/2/2025,,,,,School_Holiday",
        ),
        actor=None,
    )
    assert result.errors == []
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    assert result.summary == "Imported 2 cases: 2 new, 0 updated"
    first = _case("EHC1")
    assert (first.first_name, first.last_name) == ("Alex", "Smith")
    assert first.date_of_birth == date(2015, 3, 14)
    assert first.request_received_on == date(2024, 8, 15)
    assert (first.year_group, first.setting, first.looked_after) == ("Year 4", "Park School", True)
    assert first.final_plan_issued_on == date(2024, 12, 20)
    assert first.exceptions == []
    assert first.reception_year == 2020  # Year 4 in 2024/25
    second = _case("EHC2")
    assert second.request_received_on == date(2025, 2, 1)
    assert (second.year_group, second.setting, second.looked_after) == (None, None, False)
    assert [(e.applies_to, e.reason) for e in second.exceptions] == [
        ("final_plan", "school_holiday")
    ]
    assert second.reception_year == 2016  # no year group: from the date of birth (Jan 2012)


def test_an_existing_case_ref_updates_that_case(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC9", first_name="Old", setting="Old School", year_group="Year 1")
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER + ",setting",
            "EHC9,New,Name,2016-05-05,2024-09-01,",
            "EHC10,Jo,Brown,2016-05-05,2024-09-01,Hill School",
        ),
        actor=None,
    )
    assert result.summary == "Imported 2 cases: 1 new, 1 updated"
    updated = _case("EHC9")
    assert (updated.first_name, updated.last_name) == ("New", "Name")
    assert updated.date_of_birth == date(2016, 5, 5)
    # The file has a (blank) setting column, so the setting is cleared; it has no year_group
    # column, so the year group is left alone.
    assert updated.setting is None
    assert updated.year_group == "Year 1"
    assert _case_count() == 2


def test_one_audit_row_per_import_with_counts_and_no_names(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC5")
    import_cases(
        table(
            tmp_path,
            CASE_HEADER,
            "EHC5,Alexandra,Zed,2015-01-01,2024-08-01",
            "EHC6,Bo,Yu,2015-01-01,2024-08-01",
        ),
        actor=None,
    )
    events = list(db.session.scalars(select(AuditEvent)))
    assert [(e.action, e.actor_id, e.detail) for e in events] == [
        ("cases_imported", None, "rows=2 created=1 updated=1")
    ]


def test_one_bad_row_means_nothing_is_imported(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1", first_name="Kept")
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER,
            "EHC1,Changed,Smith,2015-03-14,2024-08-15",
            "EHC2,Sam,Jones,31/04/2015,2024-08-15",
            "EHC3,Ali,Khan,2015-03-14,2024-08-15",
        ),
        actor=None,
    )
    assert not result.ok
    assert result.errors == [RowError(3, "date_of_birth", "Date of birth must be a real date")]
    assert _case_count() == 1
    assert _case("EHC1").first_name == "Kept"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_every_problem_is_listed_with_line_and_column(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            FULL_HEADER,
            ",Alex,,29/02/2025,2024-08-15,,,maybe,,",
            "",
            "EHC2,Sam,Jones,2015-01-01,2025-03-02,,,no,,holiday",
            "EHC3,Ali,Khan,2015-01-01,2024-08-15,,,no,2024-08-14,",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(2, "case_ref", "Enter the case reference"),
        RowError(2, "last_name", "Enter the last name"),
        RowError(2, "date_of_birth", "Date of birth must be a real date"),
        RowError(2, "looked_after", "Looked after must be yes or no"),
        RowError(4, "request_received_on", "Request date must be today or in the past"),
        RowError(
            4,
            "timescale_exception",
            "Timescale exception must be blank or one of school_holiday, early_years_closure, "
            "exceptional_personal_circumstances, absent_from_area, coronavirus_2020",
        ),
        RowError(5, "final_plan_issued_on", "Final plan date must be on or after the request date"),
    ]
    assert _case_count() == 0


@pytest.mark.parametrize(
    ("dob", "received", "column", "message"),
    [
        ("2025-03-02", "2025-01-01", "date_of_birth", "Date of birth must be in the past"),
        (
            "1999-08-14",
            "2024-08-15",
            "date_of_birth",
            "The young person must be under 25 on the date the request was received",
        ),
        # 25 on the day the request arrived is no longer a young person.
        (
            "1999-08-15",
            "2024-08-15",
            "date_of_birth",
            "The young person must be under 25 on the date the request was received",
        ),
        # Born on 29 February: 25 on 1 March in a year without one.
        (
            "2000-02-29",
            "2025-03-01",
            "date_of_birth",
            "The young person must be under 25 on the date the request was received",
        ),
        (
            "2024-08-16",
            "2024-08-15",
            "date_of_birth",
            "Date of birth must be on or before the request date",
        ),
        (
            "2015-01-01",
            "2025-03-02",
            "request_received_on",
            "Request date must be today or in the past",
        ),
        ("2015-01-01", "29/02/2025", "request_received_on", "Request date must be a real date"),
        ("2015-01-01", "", "request_received_on", "Enter the request date"),
        ("", "2024-08-15", "date_of_birth", "Enter the date of birth"),
        (
            "next week",
            "2024-08-15",
            "date_of_birth",
            "Enter the date of birth as a date, like 15/08/2024 or 2024-08-15",
        ),
    ],
)
def test_date_rules(tmp_path: Path, dob: str, received: str, column: str, message: str) -> None:
    result = import_cases(
        table(tmp_path, CASE_HEADER, f"EHC1,Alex,Smith,{dob},{received}"), actor=None
    )
    assert result.errors == [RowError(2, column, message)]


@pytest.mark.parametrize(
    ("dob", "received"),
    [
        ("1999-08-16", "2024-08-15"),
        ("2024-08-15", "2024-08-15"),
        ("2000-02-29", "2025-02-28"),
        ("2015-01-01", "2025-03-01"),
    ],
)
def test_edge_dates_that_are_allowed(tmp_path: Path, dob: str, received: str) -> None:
    result = import_cases(
        table(tmp_path, CASE_HEADER, f"EHC1,Alex,Smith,{dob},{received}"), actor=None
    )
    assert result.errors == []
    assert _case("EHC1").date_of_birth == date.fromisoformat(dob)


def test_final_plan_in_the_future(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER + ",final_plan_issued_on",
            "EHC1,A,B,2015-01-01,2024-08-15,2025-03-02",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(2, "final_plan_issued_on", "Final plan date must be today or in the past")
    ]


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("case_ref", 50),
        ("first_name", 100),
        ("last_name", 100),
        ("setting", 200),
    ],
)
def test_over_long_values(tmp_path: Path, column: str, limit: int) -> None:
    values = {
        "case_ref": "EHC1",
        "first_name": "Alex",
        "last_name": "Smith",
        "date_of_birth": "2015-01-01",
        "request_received_on": "2024-08-15",
        "year_group": "",
        "setting": "",
    }
    header = ",".join(values)
    values[column] = "x" * (limit + 1)
    too_long = import_cases(table(tmp_path, header, ",".join(values.values())), actor=None)
    label = rows.LABELS[column]
    assert too_long.errors == [RowError(2, column, f"{label} must be {limit} characters or fewer")]
    values[column] = "x" * limit
    at_limit = import_cases(table(tmp_path, header, ",".join(values.values())), actor=None)
    assert at_limit.errors == []
    assert _case_count() == 1


def test_nul_characters_are_refused_before_the_database_sees_them(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(
        (CASE_HEADER + ",setting\nEHC1,Al\x00ex,Smith,2015-01-01,2024-08-15,Park\x00\n").encode()
    )
    from provider_portal.tabular import read_table

    result = import_cases(read_table(path), actor=None)
    assert result.errors == [
        RowError(2, "first_name", "First name contains a NUL character. Remove it"),
        RowError(2, "setting", "Setting contains a NUL character. Remove it"),
    ]
    assert _case_count() == 0


def test_the_same_case_ref_twice_in_one_file(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER,
            "EHC1,Alex,Smith,2015-01-01,2024-08-15",
            "EHC2,Sam,Jones,2015-01-01,2024-08-15",
            "EHC1,Alex,Smith,2015-01-01,2024-08-15",
        ),
        actor=None,
    )
    assert result.errors == [RowError(4, "case_ref", "Case reference EHC1 is also on line 2")]
    assert _case_count() == 0


def test_unknown_columns_are_ignored_and_listed(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER + ",nhs_number,notes",
            "EHC1,Alex,Smith,2015-01-01,2024-08-15,1,x",
            "EHC2,Sam,Jones,2015-01-01,2024-08-15,2,y",
        ),
        actor=None,
    )
    assert result.errors == []
    assert result.ignored == ["nhs_number", "notes"]
    assert _case_count() == 2


def test_missing_required_columns_stop_the_import(tmp_path: Path) -> None:
    result = import_cases(table(tmp_path, "case_ref,first_name", "EHC1,Alex"), actor=None)
    assert result.errors == [
        RowError(1, "last_name", "The file has no last_name column"),
        RowError(1, "date_of_birth", "The file has no date_of_birth column"),
        RowError(1, "request_received_on", "The file has no request_received_on column"),
    ]


def test_a_single_column_hints_at_the_delimiter(tmp_path: Path) -> None:
    result = import_cases(table(tmp_path, "case_ref|first_name", "EHC1|Alex"), actor=None)
    assert result.errors[0] == RowError(
        1,
        "case_ref",
        "The file has no case_ref column. Check the columns are separated by commas, "
        "semicolons or tabs",
    )
    assert result.ignored == ["case_ref|first_name"]


def test_xlsx_with_date_cells(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        [
            [
                "case_ref",
                "first_name",
                "last_name",
                "date_of_birth",
                "request_received_on",
                "looked_after",
            ],
            [1001, "Alex", "Smith", date(2015, 3, 14), date(2024, 8, 15), True],
        ],
    )
    from provider_portal.tabular import read_table

    result = import_cases(read_table(path), actor=None)
    assert result.summary == "Imported 1 case: 1 new, 0 updated"
    case = _case("1001")
    assert (case.date_of_birth, case.request_received_on, case.looked_after) == (
        date(2015, 3, 14),
        date(2024, 8, 15),
        True,
    )


def test_existing_cases_are_loaded_in_batches(
    tmp_path: Path, make, count_queries, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rows, "BATCH_SIZE", 2)
    for n in range(5):
        make.case(case_ref=f"EHC{n}")
    lines = [f"EHC{n},Alex,Smith,2015-01-01,2024-08-15" for n in range(7)]
    count_queries.clear()
    result = import_cases(table(tmp_path, CASE_HEADER, *lines), actor=None)
    assert result.summary == "Imported 7 cases: 2 new, 5 updated"
    case_selects = [
        s for s in count_queries if s.lstrip().upper().startswith("SELECT") and 'FROM "case"' in s
    ]
    assert len(case_selects) == 4  # seven references in batches of two


def test_a_case_created_by_someone_else_meanwhile_fails_the_whole_import(
    tmp_path: Path, make, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1", first_name="Theirs")
    # As if EHC1 was saved by someone else after the import looked for existing cases.
    monkeypatch.setattr(case_import, "cases_by_ref", lambda refs: {})
    result = import_cases(
        table(
            tmp_path,
            CASE_HEADER,
            "EHC0,Sam,Jones,2015-01-01,2024-08-15",
            "EHC1,Alex,Smith,2015-01-01,2024-08-15",
        ),
        actor=None,
    )
    assert result.errors == [RowError(None, "", rows.CONCURRENT_CHANGE)]
    assert _case_count() == 1
    assert _case("EHC1").first_name == "Theirs"


@pytest.mark.parametrize(
    ("written", "stored", "reception_year"),
    [
        ("R", "Reception", 2024),
        ("year 6", "Year 6", 2018),
        ("N2", "Nursery", 2025),
        ("14", "Year 14", 2010),
    ],
)
def test_year_groups_are_read_as_schools_write_them(
    tmp_path: Path, written: str, stored: str, reception_year: int
) -> None:
    header = CASE_HEADER + ",year_group"
    result = import_cases(
        table(tmp_path, header, f"EHC1,Alex,Smith,2015-01-01,2024-08-15,{written}"), actor=None
    )
    assert result.errors == []
    case = _case("EHC1")
    assert (case.year_group, case.reception_year) == (stored, reception_year)


def test_an_unknown_year_group_is_a_row_error(tmp_path: Path) -> None:
    header = CASE_HEADER + ",year_group"
    result = import_cases(
        table(tmp_path, header, "EHC1,Alex,Smith,2015-01-01,2024-08-15,Year 15"), actor=None
    )
    assert [(e.line, e.column) for e in result.errors] == [(2, "year_group")]
    assert "Year group must be Nursery, Reception or Year 1 to Year 14" in result.errors[0].message
    assert _case_count() == 0


def test_the_coronavirus_exception_of_2020_can_be_imported_for_history(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            FULL_HEADER,
            "EHC1,Alex,Smith,2012-01-01,2020-03-02,,,,2020-09-30,Coronavirus_2020",
        ),
        actor=None,
    )
    assert result.errors == []
    [exception] = _case("EHC1").exceptions
    assert (exception.applies_to, exception.reason) == ("final_plan", "coronavirus_2020")
