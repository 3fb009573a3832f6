"""The SEN2 extract's rules, one by one: how each item is derived, and what the validation
finds. Pure functions of a case's columns; the database tests are in test_sen2.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from freezegun import freeze_time

from provider_portal.errors import ReportError
from provider_portal.reports.sen2.queries import (
    Sen2Source,
    derive,
    parse_year,
    validate,
)

YEAR = 2024
ON = date(2025, 1, 20)  # the day the return is made


def source(**changes: object) -> Sen2Source:
    """A request received on 1 March 2024 with nothing decided; `changes` set the rest."""
    base = Sen2Source(
        case_ref="EHC-1",
        date_of_birth=date(2015, 3, 14),
        anonymised=False,
        request_received_on=date(2024, 3, 1),
        assessment_decision=None,
        decision_to_assess_on=None,
        issue_decision=None,
        issue_decision_on=None,
        final_plan_issued_on=None,
        closed_on=None,
        closed_reason=None,
        excepted=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


AGREED = {"assessment_decision": "agreed", "decision_to_assess_on": date(2024, 4, 5)}


def items(case: Sen2Source, year: int = YEAR) -> tuple[str, ...]:
    """The CSV row, less the case reference and ReceivedDate."""
    return derive(case, year).as_csv()[2:]


def problems(case: Sen2Source, year: int = YEAR, on: date = ON) -> list[tuple[str, str]]:
    """(item, fix) of each problem the validation finds."""
    return [(p.item, p.fix) for p in validate(case, derive(case, year), year, on)]


# (RequestOutcomeDate, RequestOutcome, Exported, AssessmentOutcomeDate, AssessmentOutcome,
#  Week20, StartDate)
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # The request stage.
        ({}, ("", "A", "0", "", "", "", "")),
        (AGREED, ("2024-04-05", "Y", "0", "", "A", "", "")),
        (
            {"assessment_decision": "refused", "decision_to_assess_on": date(2024, 4, 5)},
            ("2024-04-05", "N", "0", "", "", "", ""),
        ),
        # A refusal recorded only as the reason the case closed is still N.
        (
            {"closed_reason": "refused_to_assess", "closed_on": date(2024, 4, 5)},
            ("", "N", "0", "", "", "", ""),
        ),
        # A decision date from before outcomes had a decision of their own: agreed.
        ({"decision_to_assess_on": date(2024, 4, 5)}, ("2024-04-05", "Y", "0", "", "A", "", "")),
        (
            {"closed_reason": "withdrawn_by_family", "closed_on": date(2024, 4, 1)},
            ("", "W", "0", "", "", "", ""),
        ),
        (
            {"closed_reason": "moved_away", "closed_on": date(2024, 4, 1)},
            ("", "W", "1", "", "", "", ""),
        ),
        (
            {"closed_reason": "ceased", "closed_on": date(2024, 4, 1)},
            ("", "W", "0", "", "", "", ""),
        ),
        # The assessment stage.
        (
            {**AGREED, "final_plan_issued_on": date(2024, 7, 19)},
            ("2024-04-05", "Y", "0", "2024-07-19", "Y", "0", "2024-07-19"),
        ),
        (
            {**AGREED, "final_plan_issued_on": date(2024, 7, 19), "excepted": True},
            ("2024-04-05", "Y", "0", "2024-07-19", "Y", "1", "2024-07-19"),
        ),
        # Decided to issue, plan still to come: Y with no date and no Week20 yet.
        (
            {**AGREED, "issue_decision": "issue", "issue_decision_on": date(2024, 6, 20)},
            ("2024-04-05", "Y", "0", "", "Y", "", ""),
        ),
        (
            {**AGREED, "issue_decision": "not_issue", "issue_decision_on": date(2024, 6, 20)},
            ("2024-04-05", "Y", "0", "2024-06-20", "N", "0", ""),
        ),
        (
            {**AGREED, "closed_reason": "not_issuing", "closed_on": date(2024, 6, 20)},
            ("2024-04-05", "Y", "0", "", "N", "0", ""),
        ),
        (
            {
                **AGREED,
                "issue_decision": "not_issue",
                "issue_decision_on": date(2024, 6, 20),
                "excepted": True,
            },
            ("2024-04-05", "Y", "0", "2024-06-20", "N", "1", ""),
        ),
        (
            {**AGREED, "closed_reason": "withdrawn_by_family", "closed_on": date(2024, 5, 1)},
            ("2024-04-05", "Y", "0", "", "W", "", ""),
        ),
        # Moved away during the assessment: W, and Exported.
        (
            {**AGREED, "closed_reason": "moved_away", "closed_on": date(2024, 5, 1)},
            ("2024-04-05", "Y", "1", "", "W", "", ""),
        ),
        # Moved away after the plan: not exported (the plan was issued here).
        (
            {
                **AGREED,
                "final_plan_issued_on": date(2024, 7, 19),
                "closed_reason": "moved_away",
                "closed_on": date(2024, 9, 1),
            },
            ("2024-04-05", "Y", "0", "2024-07-19", "Y", "0", "2024-07-19"),
        ),
        # A plan with no decision to assess recorded: the request must have been agreed.
        (
            {"final_plan_issued_on": date(2024, 7, 19)},
            ("", "Y", "0", "2024-07-19", "Y", "0", "2024-07-19"),
        ),
    ],
)
def test_each_item_is_derived_from_the_portals_columns(changes, expected):
    assert items(source(**changes)) == expected


def test_a_request_decided_before_the_year_is_historical():
    case = source(
        request_received_on=date(2023, 10, 2),
        assessment_decision="agreed",
        decision_to_assess_on=date(2023, 11, 10),
        final_plan_issued_on=date(2024, 2, 19),
        excepted=True,
    )
    assert items(case) == ("", "H", "0", "2024-02-19", "Y", "1", "2024-02-19")
    # In its own year the same decision is Y with its date, the assessment still going on.
    assert items(case, 2023) == ("2023-11-10", "Y", "0", "", "A", "", "")


def test_an_assessment_outcome_before_the_year_is_historical():
    case = source(
        request_received_on=date(2023, 3, 1),
        decision_to_assess_on=date(2023, 4, 1),
        issue_decision="not_issue",
        issue_decision_on=date(2023, 6, 1),
        closed_reason="not_issuing",
        closed_on=date(2023, 6, 1),
    )
    assert items(case) == ("", "H", "0", "", "H", "", "")


def test_items_stand_as_at_the_end_of_the_year():
    """Anything dated after 31 December has not happened yet in that year's extract."""
    case = source(
        request_received_on=date(2024, 10, 1),
        assessment_decision="agreed",
        decision_to_assess_on=date(2024, 11, 12),
        issue_decision="issue",
        issue_decision_on=date(2025, 1, 10),
        final_plan_issued_on=date(2025, 2, 18),
        closed_reason="moved_away",
        closed_on=date(2025, 3, 1),
    )
    assert items(case) == ("2024-11-12", "Y", "0", "", "A", "", "")
    later = replace(case, final_plan_issued_on=None)
    assert items(later) == ("2024-11-12", "Y", "0", "", "A", "", "")  # not yet moved away
    undecided = source(
        request_received_on=date(2024, 12, 1),
        assessment_decision="refused",
        decision_to_assess_on=date(2025, 1, 1),
        closed_reason="refused_to_assess",
        closed_on=date(2025, 1, 1),
    )
    assert items(undecided) == ("", "A", "0", "", "", "", "")
    # On 31 December itself it has happened.
    assert items(replace(undecided, decision_to_assess_on=date(2024, 12, 31))) == (
        "2024-12-31",
        "N",
        "0",
        "",
        "",
        "",
        "",
    )


@pytest.mark.parametrize(("days", "within"), [(0, True), (140, True), (141, False)])
def test_within_20_weeks_is_on_or_before_the_request_plus_140_days(days, within):
    received = date(2023, 10, 15)  # day 140 is 3 March 2024, through 29 February
    case = source(
        request_received_on=received,
        decision_to_assess_on=date(2023, 11, 1),
        final_plan_issued_on=date.fromordinal(received.toordinal() + days),
    )
    assert derive(case, 2024 if days else 2023).within_20_weeks is within
    assert derive(source(), YEAR).within_20_weeks is None


def test_a_complete_row_has_no_problems():
    assert problems(source()) == []
    assert problems(source(**AGREED, final_plan_issued_on=date(2024, 7, 19))) == []
    assert problems(source(closed_reason="moved_away", closed_on=date(2024, 4, 1))) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # An outcome without its date.
        (
            {"assessment_decision": "agreed"},
            [
                (
                    "RequestOutcomeDate",
                    "Record the date the family was told of the decision whether to assess",
                )
            ],
        ),
        (
            {"assessment_decision": "refused", "closed_reason": "refused_to_assess"},
            [
                (
                    "RequestOutcomeDate",
                    "Record the date the family was told of the decision whether to assess",
                )
            ],
        ),
        (
            {**AGREED, "issue_decision": "not_issue"},
            [
                (
                    "AssessmentOutcomeDate",
                    "Record the date the family was told a plan would not be issued",
                )
            ],
        ),
        # An assessment outcome with no decision to assess recorded.
        (
            {"final_plan_issued_on": date(2024, 7, 19)},
            [
                (
                    "RequestOutcome",
                    "Record the decision to assess and the date the family was told",
                )
            ],
        ),
        # Outcomes before the request.
        (
            {"decision_to_assess_on": date(2024, 2, 1)},
            [
                (
                    "RequestOutcomeDate",
                    "Correct the date the request was received or the date of the outcome",
                )
            ],
        ),
        (
            {
                "decision_to_assess_on": date(2024, 2, 1),
                "issue_decision": "not_issue",
                "issue_decision_on": date(2024, 2, 20),
            },
            [
                (
                    "RequestOutcomeDate",
                    "Correct the date the request was received or the date of the outcome",
                ),
                (
                    "AssessmentOutcomeDate",
                    "Correct the date the request was received or the date of the outcome",
                ),
            ],
        ),
        # The assessment outcome before the decision to assess.
        (
            {**AGREED, "final_plan_issued_on": date(2024, 4, 1)},
            [
                (
                    "AssessmentOutcomeDate",
                    "Correct the date of the decision to assess or of the assessment outcome",
                )
            ],
        ),
        # A plan issued without an assessment outcome: the request refused...
        (
            {
                "assessment_decision": "refused",
                "decision_to_assess_on": date(2024, 4, 5),
                "final_plan_issued_on": date(2024, 7, 19),
            },
            [
                (
                    "AssessmentOutcome",
                    "If the refusal was overturned, record the decision to assess; otherwise "
                    "correct the decision whether to issue or the final plan date",
                )
            ],
        ),
        # ... or a decision not to issue.
        (
            {
                **AGREED,
                "issue_decision": "not_issue",
                "issue_decision_on": date(2024, 6, 20),
                "final_plan_issued_on": date(2024, 7, 19),
            },
            [("StartDate", "Correct the decision whether to issue, or the final plan date")],
        ),
        # The child's age, from the case record.
        (
            {"date_of_birth": date(2024, 5, 1)},
            [
                (
                    "ReceivedDate",
                    "Correct the date of birth or the date the request was received",
                )
            ],
        ),
        (
            {"date_of_birth": date(1999, 3, 1)},
            [("ReceivedDate", "Check the date of birth and the date the request was received")],
        ),
    ],
)
def test_each_validation_rule_names_the_item_and_the_fix(changes, expected):
    assert problems(source(**changes)) == expected


def test_age_checks_edge_and_skip_anonymised_cases():
    assert problems(source(date_of_birth=date(1999, 3, 2))) == []  # 24 the day before 25
    assert problems(source(date_of_birth=date(2024, 3, 1))) == []  # born that day
    # Retention keeps only the year of birth, so the record can no longer be checked.
    assert problems(source(date_of_birth=date(2025, 1, 1), anonymised=True)) == []


def test_a_date_after_today_is_a_problem():
    case = source(**AGREED, final_plan_issued_on=date(2024, 7, 19))
    problem = [p.problem for p in validate(case, derive(case, YEAR), YEAR, date(2024, 7, 18))]
    assert problem == [
        "AssessmentOutcomeDate 2024-07-19 is in the future",
        "StartDate 2024-07-19 is in the future",
    ]


def test_a_problem_carries_the_case_reference_and_says_what_is_wrong():
    case = source(case_ref="EHC-77", decision_to_assess_on=date(2024, 2, 1))
    (found,) = validate(case, derive(case, YEAR), YEAR, ON)
    assert found.as_csv() == (
        "EHC-77",
        "RequestOutcomeDate",
        "RequestOutcomeDate 2024-02-01 is before ReceivedDate 2024-03-01",
        "Correct the date the request was received or the date of the outcome",
    )


@freeze_time("2026-12-31 23:30:00")  # GMT: still 31 December in London
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "Enter a year"),
        ("", "Enter a year"),
        ("24", "Enter the year as 4 digits, like 2024"),
        ("20245", "Enter the year as 4 digits, like 2024"),
        (" 2024", "Enter the year as 4 digits, like 2024"),
        ("2024 ", "Enter the year as 4 digits, like 2024"),
        ("-2024", "Enter the year as 4 digits, like 2024"),
        ("２０２４", "Enter the year as 4 digits, like 2024"),
        ("٢٠٢٤", "Enter the year as 4 digits, like 2024"),
        ("2013", "Enter a year from 2014 to 2027"),
        ("2028", "Enter a year from 2014 to 2027"),
        ("0000", "Enter a year from 2014 to 2027"),
    ],
)
def test_a_year_is_four_digits_from_2014_to_next_year(text, message):
    with pytest.raises(ReportError, match=message) as raised:
        parse_year(text)
    assert raised.value.field == "year"


@freeze_time("2026-12-31 23:30:00")
def test_the_first_and_last_years_are_accepted():
    assert parse_year("2014") == 2014
    assert parse_year("2027") == 2027
