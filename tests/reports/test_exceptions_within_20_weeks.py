""" "Excluding exceptions" counts an exception only when its period overlaps that case's 20 weeks,
in the compliance report and the FOI page's delayed cases alike, and agrees with the pure rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Case, CaseException
from provider_portal.reports.compliance.queries import compliance_report, counted_exception
from provider_portal.reports.foi.queries import delayed_cases
from provider_portal.timescales import exception_counts_for

RECEIVED = date(2024, 1, 10)  # the 20 weeks end on 29 May 2024
ISSUED = date(2024, 6, 20)  # late

# (reason, starts_on, ends_on, counts)
PERIODS = [
    ("school_holiday", date(2023, 12, 1), date(2024, 1, 9), False),  # ended the day before
    ("school_holiday", date(2023, 12, 1), date(2024, 1, 10), True),  # ended on day 0
    ("school_holiday", date(2024, 5, 29), date(2024, 6, 10), True),  # began on day 140
    ("school_holiday", date(2024, 5, 30), date(2024, 6, 10), False),  # began on day 141
    ("absent_from_area", date(2024, 6, 1), None, False),  # open-ended, began too late
    ("absent_from_area", date(2024, 2, 1), None, True),  # open-ended, began within
    ("exceptional_personal_circumstances", None, None, True),  # undated: taken at its word
    ("coronavirus_2020", None, None, False),  # lapsed in 2020
]


@pytest.fixture
def cases(make) -> list[tuple[Case, bool]]:
    made = []
    for reason, starts_on, ends_on, counts in PERIODS:
        case = make.case(request_received_on=RECEIVED, final_plan_issued_on=ISSUED)
        db.session.add(
            CaseException(
                case=case,
                applies_to="final_plan",
                reason=reason,
                starts_on=starts_on,
                ends_on=ends_on,
            )
        )
        made.append((case, counts))
    # An advice exception never counts against the 20 weeks.
    advice_only = make.case(request_received_on=RECEIVED, final_plan_issued_on=ISSUED)
    db.session.add(
        CaseException(case=advice_only, applies_to="advice", reason="missed_appointment")
    )
    made.append((advice_only, False))
    db.session.commit()
    return made


def test_the_sql_and_the_pure_rule_agree(cases) -> None:
    counted = set(db.session.scalars(select(Case.id).where(counted_exception())))
    assert {case.id for case, counts in cases if counts} == counted
    for reason, starts_on, ends_on, counts in PERIODS:
        assert exception_counts_for(RECEIVED, reason, starts_on, ends_on) is counts


def test_compliance_leaves_out_only_the_exceptions_within_the_20_weeks(cases) -> None:
    report = compliance_report(date(2024, 6, 1), date(2024, 6, 1))
    [june] = report.rows
    # Nine late plans; four have an exception within their 20 weeks.
    assert (june.issued, june.issued_within, june.excluding, june.excluding_within) == (9, 0, 5, 0)


def test_an_old_case_keeps_its_coronavirus_exception(make) -> None:
    received = date(2020, 2, 3)  # the 20 weeks end on 22 June 2020, inside the regulation
    case = make.case(
        request_received_on=received, final_plan_issued_on=received + timedelta(days=160)
    )
    db.session.add(CaseException(case=case, applies_to="final_plan", reason="coronavirus_2020"))
    db.session.commit()
    [july] = compliance_report(date(2020, 7, 1), date(2020, 7, 1)).rows
    assert (july.issued, july.excluding) == (1, 0)


def test_the_foi_page_counts_delayed_cases_with_exceptions_the_same_way(make) -> None:
    for reason, starts_on, ends_on, _counts in PERIODS:
        case = make.case(request_received_on=RECEIVED)
        db.session.add(
            CaseException(
                case=case,
                applies_to="final_plan",
                reason=reason,
                starts_on=starts_on,
                ends_on=ends_on,
            )
        )
    db.session.commit()
    delayed = delayed_cases(date(2024, 7, 1))
    assert (delayed.total, delayed.with_exception) == (8, 4)
