"""Matching a file's headers to the portal's columns: synonyms, ignored, ambiguous, chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

from provider_portal.imports import columns
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.cases import import_cases
from provider_portal.imports.columns import (
    ALLOCATIONS,
    CASES,
    COLUMNS,
    headers_key,
    match_columns,
    normalise,
)
from provider_portal.imports.rows import RowError
from tests.imports.files import table

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Case Reference", "casereference"),
        ("case_ref", "caseref"),
        (" D.O.B. ", "dob"),
        ("Date-Request-Received", "daterequestreceived"),
        ("ReceivedDate", "receiveddate"),
        ("Année", "année"),
    ],
)
def test_headers_are_compared_without_case_spaces_underscores_or_punctuation(
    header: str, normalised: str
) -> None:
    assert normalise(header) == normalised


@pytest.mark.parametrize("kind", [CASES, ALLOCATIONS])
def test_no_header_could_mean_two_columns_of_one_import(kind: str) -> None:
    seen: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for spelling in (column.name, column.label, *column.synonyms):
            owner = seen.setdefault(normalise(spelling), column.name)
            assert owner == column.name, f"{spelling!r} matches {owner} and {column.name}"


@pytest.mark.parametrize("kind", [CASES, ALLOCATIONS])
def test_every_required_column_has_a_question(kind: str) -> None:
    for column in COLUMNS[kind]:
        assert bool(column.question) == column.required, column.name
        if column.required:
            assert column.question.startswith("Which of your columns is ")


def test_the_readme_lists_every_column_and_synonym() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- import-columns:start -->\n") + len("<!-- import-columns:start -->\n")
    end = text.index("<!-- import-columns:end -->")
    assert text[start:end] == columns.readme_table(), (
        "Run `python -m provider_portal.imports.columns` and paste its table into README.md"
    )
    for kind_columns in COLUMNS.values():
        for column in kind_columns:
            for synonym in column.synonyms:
                assert any(
                    normalise(synonym) == normalise(listed) for listed in text[start:end].split("`")
                ), synonym


def test_a_case_system_export_is_matched_and_its_extra_columns_ignored(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            "Case Reference,Forename,Surname,DOB,Date Request Received,UPN,Ethnicity,Sex",
            "EHC1,Alex,Smith,14/03/2015,15/08/2024,A123,WBRI,M",
        ),
        actor=None,
    )
    assert result.errors == []
    assert result.summary == "Imported 1 case: 1 new, 0 updated"
    assert result.ignored == ["upn", "ethnicity", "sex"]
    assert result.chosen == {}


def test_sen2_names_are_matched(tmp_path: Path) -> None:
    match = match_columns(
        CASES,
        [
            "ref",
            "forename",
            "surname",
            "personbirthdate",
            "receiveddate",
            "requestoutcome",
            "requestoutcomedate",
            "assessmentoutcome",
            "assessmentoutcomedate",
            "startdate",
        ],
    )
    assert match.complete
    assert list(match.columns) == [
        "case_ref",
        "first_name",
        "last_name",
        "date_of_birth",
        "request_received_on",
        "decision_to_assess",
        "decision_on",
        "issue_decision",
        "issue_decision_on",
        "final_plan_issued_on",
    ]


def test_an_allocation_log_with_its_own_names(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    make.provider(name="Acme Psychology")
    result = import_allocations(
        table(
            tmp_path,
            "Case Ref,Agency,Type of Work,Date Allocated,Deadline,Notes",
            "EHC1,Acme Psychology,ep_advice,02/09/2024,30/09/2024,chase",
        ),
        actor=None,
    )
    assert result.errors == []
    assert result.ignored == ["notes"]


def test_two_columns_for_one_are_an_error_naming_both(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            "case_ref,first_name,last_name,dob,date request received,receiveddate",
            "EHC1,Alex,Smith,2015-01-01,2024-08-15,2024-08-16",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(
            1,
            "request_received_on",
            'The columns "date request received" and "receiveddate" could each be the request '
            "date (request_received_on). Remove or rename all but one of them, or say which one "
            "to use",
        )
    ]


def test_saying_which_column_to_use_settles_an_ambiguity(tmp_path: Path) -> None:
    result = import_cases(
        table(
            tmp_path,
            "case_ref,first_name,last_name,dob,date request received,receiveddate",
            "EHC1,Alex,Smith,2015-01-01,2024-08-15,2024-08-16",
        ),
        actor=None,
        mapping={"ReceivedDate": "request_received_on"},
    )
    assert result.errors == []
    assert result.ignored == ["date request received"]
    assert result.chosen == {"receiveddate": "request_received_on"}


def test_a_chosen_column_wins_over_the_synonyms(tmp_path: Path) -> None:
    # "Reference" would be the case reference; the person says it is the setting's instead.
    match = match_columns(
        CASES,
        ["child no", "reference", "first_name", "last_name", "dob", "request date"],
        {"Child No": "case_ref", "reference": "setting"},
    )
    assert match.complete
    assert match.columns["case_ref"] == "child no"
    assert match.columns["setting"] == "reference"
    assert match.ignored == []


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "case_ref"}, 'The file has no column "Nope" to use as case_ref'),
        ({"ref": "nhs_number"}, "There is no column called nhs_number"),
    ],
)
def test_a_mapping_that_does_not_fit_the_file(mapping: dict[str, str], message: str) -> None:
    match = match_columns(CASES, ["ref", "first_name"], mapping)
    assert [problem.message for problem in match.problems] == [message]
    assert not match.complete


def test_missing_required_columns_are_named_for_the_mapping_step() -> None:
    match = match_columns(CASES, ["ref", "name", "born", "date request received"])
    assert match.missing == ["first_name", "last_name", "date_of_birth"]
    assert match.ignored == ["name", "born"]


def test_the_headers_key_ignores_spelling_but_not_order() -> None:
    assert headers_key(["Case Ref", "DOB"]) == headers_key(["case_ref", "d.o.b."])
    assert headers_key(["Case Ref", "DOB"]) != headers_key(["DOB", "Case Ref"])
    assert len(headers_key(["a"])) == 64
