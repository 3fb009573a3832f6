"""A case import's outcome columns: decisions, draft plan, closing, setting type, year groups."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.imports.cases import import_cases
from provider_portal.imports.rows import RowError
from provider_portal.models import AuditEvent, Case, Role
from tests.imports.files import CASE_HEADER, table

OUTCOMES = (
    "decision_to_assess,decision_on,issue_decision,issue_decision_on,draft_plan_sent_on,"
    "final_plan_issued_on,closed_reason,closed_on,ceased_reason"
)
HEADER = f"{CASE_HEADER},{OUTCOMES}"
PERSON = "EHC1,Alex,Smith,2015-01-01,2024-08-15"


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


def _case(case_ref: str = "EHC1") -> Case:
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_ref == case_ref))
    assert case is not None
    return case


def _import(tmp_path: Path, outcomes: str, actor=None, header: str = HEADER):  # type: ignore[no-untyped-def]
    return import_cases(table(tmp_path, header, f"{PERSON},{outcomes}"), actor=actor)


def test_every_outcome_is_recorded_with_who_recorded_it(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    manager = make.user(Role.MANAGER)
    result = _import(tmp_path, "yes,2024-09-20,issue,2024-11-29,2024-12-02,2024-12-20,,,", manager)
    assert result.errors == []
    case = _case()
    assert (case.assessment_decision, case.decision_to_assess_on) == ("agreed", date(2024, 9, 20))
    assert (case.issue_decision, case.issue_decision_on) == ("issue", date(2024, 11, 29))
    assert case.draft_plan_issued_on == date(2024, 12, 2)
    assert case.final_plan_issued_on == date(2024, 12, 20)
    assert (case.closed_on, case.closed_reason) == (None, None)
    recorders = (
        case.decision_recorded_by_id,
        case.issue_decision_recorded_by_id,
        case.draft_plan_recorded_by_id,
        case.final_plan_recorded_by_id,
        case.closed_by_id,
    )
    assert recorders == (manager.id, manager.id, manager.id, manager.id, None)
    # The import's one audit row, with counts only, as before.
    events = [(e.action, e.detail) for e in db.session.scalars(select(AuditEvent))]
    assert events == [("cases_imported", "rows=1 created=1 updated=0")]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("no,2024-09-20,,,,,refused_to_assess,2024-09-20,", ("refused", None, "refused_to_assess")),
        (
            "Yes,2024-09-20,Not issue a plan,2024-12-01,,,Not_Issuing,2024-12-01,",
            ("agreed", "not_issue", "not_issuing"),
        ),
        (
            "y,2024-09-20,,,,,withdrawn by family,2024-10-01,",
            ("agreed", None, "withdrawn_by_family"),
        ),
        (",,,,,,moved_away,2024-10-01,", (None, None, "moved_away")),
    ],
)
def test_closing_without_a_plan(tmp_path: Path, outcomes: str, expected: tuple) -> None:  # type: ignore[type-arg]
    result = _import(tmp_path, outcomes)
    assert result.errors == []
    case = _case()
    assert (case.assessment_decision, case.issue_decision, case.closed_reason) == expected
    assert case.closed_on is not None and case.closed_by_id is None  # no actor: the CLI


def test_ceased_needs_its_reason(tmp_path: Path) -> None:
    assert _import(tmp_path, ",,,,,,ceased,2024-10-01,died").errors == []
    assert (_case().closed_reason, _case().ceased_reason) == ("ceased", "died")
    assert _import(tmp_path, ",,,,,,ceased,2024-10-01,").errors == [
        RowError(2, "ceased_reason", "Enter why the case ceased: age_25, died, other")
    ]
    assert _import(tmp_path, ",,,,,,moved_away,2024-10-01,other").errors == [
        RowError(2, "ceased_reason", "Leave ceased_reason blank unless closed_reason is ceased")
    ]


@pytest.mark.parametrize(
    ("outcomes", "errors"),
    [
        (
            ",,,,,,moved_away,,",
            [(2, "closed_on", "Enter the closed date, or leave closed_reason blank")],
        ),
        (
            ",,,,,,,2024-10-01,",
            [(2, "closed_reason", "Enter why the case closed, or leave closed_on blank")],
        ),
        (
            "yes,,,,,,,,",
            [(2, "decision_on", "Enter the decision date, or leave decision_to_assess blank")],
        ),
        (
            ",2024-09-20,,,,,,,",
            [
                (
                    2,
                    "decision_to_assess",
                    "Enter the decision to assess (yes or no), or leave decision_on blank",
                )
            ],
        ),
        (
            "yes,2024-09-20,issue,,,,,,",
            [
                (
                    2,
                    "issue_decision_on",
                    "Enter the issue decision date, or leave issue_decision blank",
                )
            ],
        ),
        (
            ",,,,,,withdrawn_by_family,2024-08-14,",
            [(2, "closed_on", "Closed date must be on or after the request date")],
        ),
        (
            "yes,2024-09-20,,,,,refused_to_assess,2024-09-20,",
            [
                (
                    2,
                    "decision_to_assess",
                    "A case closed as refused_to_assess needs decision_to_assess no",
                )
            ],
        ),
        (
            ",,,,,,refused_to_assess,2024-09-20,",
            [
                (
                    2,
                    "decision_to_assess",
                    "A case closed as refused_to_assess needs decision_to_assess no",
                )
            ],
        ),
        (
            "no,2024-09-20,,,,,,,",
            [
                (
                    2,
                    "closed_reason",
                    "decision_to_assess no closes the case: enter closed_reason "
                    "refused_to_assess and closed_on",
                )
            ],
        ),
        (
            "yes,2024-09-20,,,,,not_issuing,2024-12-01,",
            [(2, "issue_decision", "A case closed as not_issuing needs issue_decision not_issue")],
        ),
        (
            "yes,2024-09-20,not_issue,2024-12-01,,,withdrawn_by_family,2024-12-01,",
            [
                (
                    2,
                    "closed_reason",
                    "issue_decision not_issue closes the case: enter closed_reason not_issuing "
                    "and closed_on",
                )
            ],
        ),
        (
            "no,2024-09-20,issue,2024-10-01,,,refused_to_assess,2024-09-20,",
            [
                (2, "issue_decision", "Leave issue_decision blank: decision_to_assess is no"),
                (2, "closed_on", "Closed date must be on or after the issue decision date"),
            ],
        ),
        (
            "yes,2024-09-20,not_issue,2024-12-01,2024-12-02,,not_issuing,2024-12-05,",
            [
                (
                    2,
                    "draft_plan_sent_on",
                    "Leave draft_plan_sent_on blank: issue_decision is not_issue",
                )
            ],
        ),
        (
            ",,,,,2024-12-20,withdrawn_by_family,2024-12-21,",
            [
                (
                    2,
                    "closed_reason",
                    "A case with a final plan is not closed without one: leave closed_reason blank",
                )
            ],
        ),
        (
            "yes,2024-10-20,issue,2024-10-01,2024-09-30,2024-09-29,,,",
            [
                (
                    2,
                    "issue_decision_on",
                    "Issue decision date must be on or after the decision date",
                ),
                (2, "draft_plan_sent_on", "Draft plan date must be on or after the decision date"),
                (
                    2,
                    "final_plan_issued_on",
                    "Final plan date must be on or after the decision date",
                ),
            ],
        ),
        (
            "yes,2024-09-20,issue,2024-11-29,2024-12-02,,withdrawn_by_family,2024-12-01,",
            [(2, "closed_on", "Closed date must be on or after the draft plan date")],
        ),
        (
            "yes,2025-03-02,,,,,,,",
            [(2, "decision_on", "Decision date must be today or in the past")],
        ),
        (
            "yes,2024-08-14,,,,,,,",
            [(2, "decision_on", "Decision date must be on or after the request date")],
        ),
        (
            ",,,,,,moved_away,2025-03-02,",
            [(2, "closed_on", "Closed date must be today or in the past")],
        ),
        (
            "maybe,2024-09-20,perhaps,2024-10-01,,,lost,2024-10-01,old",
            [
                (2, "decision_to_assess", "Decision to assess must be blank, yes or no"),
                (2, "issue_decision", "Issue decision must be blank or one of issue, not_issue"),
                (
                    2,
                    "closed_reason",
                    "Closed reason must be blank or one of refused_to_assess, not_issuing, "
                    "withdrawn_by_family, moved_away, ceased",
                ),
                (2, "ceased_reason", "Ceased reason must be blank or one of age_25, died, other"),
            ],
        ),
    ],
)
def test_rows_that_contradict_themselves_are_refused(
    tmp_path: Path, outcomes: str, errors: list[tuple[int, str, str]]
) -> None:
    result = _import(tmp_path, outcomes)
    assert [(e.line, e.column, e.message) for e in result.errors] == errors
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_rules_use_what_is_recorded_when_the_file_lacks_a_column(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1", request_received_on=date(2024, 8, 15))
    make.case(
        case_ref="EHC2",
        request_received_on=date(2024, 8, 15),
        final_plan_issued_on=date(2024, 12, 20),
    )
    # A decision recorded on the case page without its outcome is not this file's business.
    make.case(case_ref="EHC3", request_received_on=date(2024, 8, 15))
    _case("EHC3").decision_to_assess_on = date(2024, 9, 1)
    db.session.commit()
    header = CASE_HEADER + ",closed_reason,closed_on"
    result = import_cases(
        table(
            tmp_path,
            header,
            "EHC1,A,B,2015-01-01,2024-08-15,withdrawn_by_family,2024-10-01",
            "EHC2,A,B,2015-01-01,2024-08-15,moved_away,2024-12-21",
            "EHC3,A,B,2015-01-01,2024-08-15,moved_away,2024-10-01",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(
            3,
            "closed_reason",
            "A case with a final plan is not closed without one: leave closed_reason blank",
        )
    ]


def test_updates_stamp_only_the_outcomes_that_changed(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    first, second = make.user(Role.MANAGER), make.user(Role.ADMIN)
    header = CASE_HEADER + ",decision_to_assess,decision_on,closed_reason,closed_on"
    row = f"{PERSON},yes,2024-09-20,,"
    assert import_cases(table(tmp_path, header, row), actor=first).errors == []
    assert import_cases(table(tmp_path, header, row), actor=second).errors == []
    assert _case().decision_recorded_by_id == first.id  # the same decision again: still theirs
    closed = f"{PERSON},yes,2024-09-20,withdrawn_by_family,2024-10-02"
    assert import_cases(table(tmp_path, header, closed), actor=second).errors == []
    case = _case()
    assert (case.decision_recorded_by_id, case.closed_by_id) == (first.id, second.id)
    # A file that blanks the closing reopens the case, and nobody is named as closing it.
    assert import_cases(table(tmp_path, header, row), actor=second).errors == []
    case = _case()
    assert (case.closed_on, case.closed_reason, case.closed_by_id) == (None, None, None)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("primary", "primary"),
        ("Primary school", "primary"),
        ("ALL-THROUGH", "all_through"),
        ("Post-16", "post_16"),
        ("early years", "early_years"),
        ("", None),
    ],
)
def test_setting_types_by_code_or_label(tmp_path: Path, written: str, stored: str | None) -> None:
    result = _import(tmp_path, written, header=CASE_HEADER + ",setting_type")
    assert result.errors == []
    assert _case().setting_type == stored


def test_an_unknown_setting_type(tmp_path: Path) -> None:
    result = _import(tmp_path, "academy", header=CASE_HEADER + ",setting_type")
    assert result.errors == [
        RowError(
            2,
            "setting_type",
            "Setting type must be blank or one of early_years, infant, junior, primary, middle, "
            "secondary, all_through, special, post_16",
        )
    ]


@pytest.mark.parametrize(
    ("as_of", "stored_as_of", "reception_year"),
    [
        # Year 2 in 2022/23 started Reception in September 2020, whatever the date today.
        ("2023-01-10", date(2023, 1, 10), 2020),
        ("10/07/2022", date(2022, 7, 10), 2019),
        # No date: the year group is as of the import (2024/25).
        ("", date(2025, 3, 1), 2022),
    ],
)
def test_the_year_group_is_anchored_to_the_date_it_was_recorded(
    tmp_path: Path, as_of: str, stored_as_of: date, reception_year: int
) -> None:
    header = CASE_HEADER + ",year_group,year_group_as_of"
    result = _import(tmp_path, f"Year 2,{as_of}", header=header)
    assert result.errors == []
    case = _case()
    assert (case.year_group, case.year_group_as_of, case.reception_year) == (
        "Year 2",
        stored_as_of,
        reception_year,
    )


def test_a_year_group_without_the_date_column_is_as_of_the_import(tmp_path: Path) -> None:
    result = _import(tmp_path, "Year 2", header=CASE_HEADER + ",year_group")
    assert result.errors == []
    assert (_case().year_group_as_of, _case().reception_year) == (date(2025, 3, 1), 2022)


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ("Year 2,2025-03-02", "Year group date must be today or in the past"),
        (",2023-01-10", "Enter the year group, or leave its date blank"),
    ],
)
def test_year_group_date_problems(tmp_path: Path, values: str, error: str) -> None:
    header = CASE_HEADER + ",year_group,year_group_as_of"
    result = _import(tmp_path, values, header=header)
    assert result.errors == [RowError(2, "year_group_as_of", error)]


def test_a_year_group_date_needs_the_year_group_column(tmp_path: Path) -> None:
    result = _import(tmp_path, "2023-01-10", header=CASE_HEADER + ",year_group_as_of")
    assert result.errors == [
        RowError(2, "year_group_as_of", "Enter the year group, or leave its date blank")
    ]


def test_an_unreadable_year_group_is_one_problem_even_with_its_date(tmp_path: Path) -> None:
    header = CASE_HEADER + ",year_group,year_group_as_of"
    result = _import(tmp_path, "Year 15,2023-01-10", header=header)
    assert [(e.column) for e in result.errors] == ["year_group"]
