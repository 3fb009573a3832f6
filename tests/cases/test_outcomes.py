"""Recording outcomes: each once, in statutory order, closing the case where the law says so,
with the 15-day comment period enforced; a refused outcome changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.cases.outcomes import services
from provider_portal.cases.outcomes.services import (
    close_case,
    latest_outcome,
    record_assessment_decision,
    record_draft_plan,
    record_final_plan,
    record_issue_decision,
    remove_latest_outcome,
)
from provider_portal.errors import Resubmitted, StaleCase
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import AuditEvent, Case, Role

TODAY = "2024-12-01 10:00:00"
REQUEST = date(2024, 6, 1)
OUTCOME_COLUMNS = (
    "assessment_decision",
    "decision_to_assess_on",
    "decision_recorded_by_id",
    "issue_decision",
    "issue_decision_on",
    "issue_decision_recorded_by_id",
    "draft_plan_issued_on",
    "draft_plan_recorded_by_id",
    "final_plan_issued_on",
    "final_plan_recorded_by_id",
    "family_agreed_early_final",
    "closed_on",
    "closed_reason",
    "ceased_reason",
    "closed_by_id",
)


@pytest.fixture
def manager(make):
    return make.user(Role.MANAGER)


def _state(case: Case) -> tuple[object, ...]:
    return tuple(getattr(case, name) for name in OUTCOME_COLUMNS)


def _audit_actions(case: Case) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
    )


def _call(service, case: Case, actor, **values):
    """The service as a route calls it: the case's version, a fresh nonce; committed if saved."""
    errors = service(case, expected_version=case.version, actor=actor, nonce=new_nonce(), **values)
    if errors:
        db.session.rollback()
    else:
        db.session.commit()
    return errors


def _messages(errors) -> dict[str, str]:
    return {error.field: error.message for error in errors}


def _refused(service, case: Case, actor, **values) -> dict[str, str]:
    """The service refuses: messages by field, and the case exactly as it was."""
    before = _state(case)
    errors = _call(service, case, actor, **values)
    assert errors
    db.session.expire_all()
    assert _state(db.session.get(Case, case.id)) == before
    return _messages(errors)


def _decided(make, actor, **case_values) -> Case:
    case = make.case(request_received_on=REQUEST, **case_values)
    assert not _call(
        record_assessment_decision, case, actor, decision="agreed", decided_on=date(2024, 7, 10)
    )
    return case


@freeze_time(TODAY)
def test_agreeing_to_assess_records_who_and_when_and_leaves_the_case_open(make, manager):
    case = _decided(make, manager)
    assert (case.assessment_decision, case.decision_to_assess_on) == ("agreed", date(2024, 7, 10))
    assert case.decision_recorded_by_id == manager.id
    assert case.closed_on is None and services.closing(case) is None
    assert _audit_actions(case) == ["assessment_decision_recorded"]


@freeze_time(TODAY)
def test_a_refusal_to_assess_closes_the_case_on_its_date(make, manager):
    case = make.case(request_received_on=REQUEST)
    assert not _call(
        record_assessment_decision, case, manager, decision="refused", decided_on=date(2024, 7, 1)
    )
    assert (case.closed_on, case.closed_reason, case.closed_by_id) == (
        date(2024, 7, 1),
        "refused_to_assess",
        manager.id,
    )
    closed = services.closing(case)
    assert closed is not None and closed.reason == "Refused to assess"
    # Nothing more can be recorded on it.
    messages = _refused(record_draft_plan, case, manager, sent_on=date(2024, 8, 1))
    assert messages["draft_plan_issued_on"].startswith(
        "This case closed on 1 July 2024 (refused to assess): nothing more can be recorded."
    )


@freeze_time(TODAY)
@pytest.mark.parametrize(("decision", "closes"), [("issue", False), ("not_issue", True)])
def test_the_decision_whether_to_issue(make, manager, decision, closes):
    case = _decided(make, manager)
    assert not _call(
        record_issue_decision, case, manager, decision=decision, decided_on=date(2024, 9, 1)
    )
    assert (case.issue_decision, case.issue_decision_on) == (decision, date(2024, 9, 1))
    assert case.issue_decision_recorded_by_id == manager.id
    assert (case.closed_on, case.closed_reason) == (
        (date(2024, 9, 1), "not_issuing") if closes else (None, None)
    )


@freeze_time(TODAY)
def test_the_issue_decision_needs_the_assessment_decision_and_cannot_follow_a_draft(make, manager):
    case = make.case(request_received_on=REQUEST)
    messages = _refused(
        record_issue_decision, case, manager, decision="issue", decided_on=date(2024, 9, 1)
    )
    assert messages == {"decision": "Record the decision whether to assess first"}
    case = _decided(make, manager, draft_plan_issued_on=date(2024, 9, 20))
    messages = _refused(
        record_issue_decision, case, manager, decision="not_issue", decided_on=date(2024, 9, 1)
    )
    assert messages["decision"].startswith("A draft plan was sent on 20 September 2024")
    messages = _refused(
        record_issue_decision, case, manager, decision="issue", decided_on=date(2024, 9, 25)
    )
    assert messages == {
        "issue_decision_on": "The decision must be on or before the draft plan (20 September 2024)"
    }


@freeze_time(TODAY)
def test_dates_out_of_order_or_in_the_future_are_refused_on_their_field(make, manager):
    case = make.case(request_received_on=REQUEST)
    assessment = record_assessment_decision
    assert _refused(assessment, case, manager, decision="agreed", decided_on=date(2024, 5, 31)) == {
        "decision_to_assess_on": "The decision must be on or after the request was received "
        "(1 June 2024)"
    }
    assert _refused(assessment, case, manager, decision="agreed", decided_on=date(2024, 12, 2)) == {
        "decision_to_assess_on": "The decision must be today or in the past"
    }
    assert _refused(assessment, case, manager, decision=None, decided_on=None) == {
        "decision": "Select whether the council agreed to assess",
        "decision_to_assess_on": "Enter the date of the decision",
    }
    case = _decided(make, manager)
    assert _refused(
        record_issue_decision, case, manager, decision="issue", decided_on=date(2024, 7, 9)
    ) == {
        "issue_decision_on": "The decision must be on or after the decision whether to assess "
        "(10 July 2024)"
    }
    assert _refused(record_draft_plan, case, manager, sent_on=date(2024, 7, 1)) == {
        "draft_plan_issued_on": "The draft plan must be on or after the decision whether to "
        "assess (10 July 2024)"
    }


@freeze_time(TODAY)
def test_a_decision_dated_after_the_draft_is_refused(make, manager):
    """A draft already on the case (an import, older records) with no decision yet."""
    case = make.case(request_received_on=REQUEST, draft_plan_issued_on=date(2024, 9, 20))
    messages = _refused(
        record_assessment_decision, case, manager, decision="agreed", decided_on=date(2024, 10, 1)
    )
    assert messages == {
        "decision_to_assess_on": "The decision must be on or before the draft plan "
        "(20 September 2024)"
    }
    messages = _refused(
        record_assessment_decision, case, manager, decision="refused", decided_on=date(2024, 7, 1)
    )
    assert messages["decision"].startswith("A refusal to assess cannot follow")


@freeze_time(TODAY)
def test_a_second_decision_is_refused_and_says_how_to_correct_it(make, manager):
    case = _decided(make, manager)
    messages = _refused(
        record_assessment_decision, case, manager, decision="refused", decided_on=date(2024, 7, 20)
    )
    assert messages["decision"] == (
        "The decision whether to assess is already recorded (agreed to assess on 10 July 2024). "
        "To correct it, remove the latest outcome under “Correct an outcome” and record it again"
    )
    assert not _call(
        record_issue_decision, case, manager, decision="issue", decided_on=date(2024, 9, 1)
    )
    messages = _refused(
        record_issue_decision, case, manager, decision="issue", decided_on=date(2024, 9, 2)
    )
    assert messages["decision"].startswith("The decision whether to issue a plan is already")
    assert not _call(record_draft_plan, case, manager, sent_on=date(2024, 9, 10))
    messages = _refused(record_draft_plan, case, manager, sent_on=date(2024, 9, 11))
    assert messages["draft_plan_issued_on"].startswith(
        "The draft plan is already recorded as sent on 10 September 2024."
    )


@freeze_time(TODAY)
def test_the_final_plan_needs_the_draft(make, manager):
    case = _decided(make, manager)
    messages = _refused(
        record_final_plan, case, manager, issued_on=date(2024, 10, 1), family_agreed=False
    )
    assert messages == {"final_plan_issued_on": "Record the date the draft plan was sent first"}


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("issued_on", "family_agreed", "saved", "early"),
    [
        # The draft went out on 1 October, day 1 of 15: the final may follow on 16 October.
        (date(2024, 10, 15), False, False, False),
        (date(2024, 10, 15), True, True, True),
        (date(2024, 10, 1), True, True, True),
        (date(2024, 10, 16), False, True, False),
        (date(2024, 10, 16), True, True, False),  # not early: nothing for the family to agree
    ],
)
def test_the_15_day_comment_period(make, manager, issued_on, family_agreed, saved, early):
    case = _decided(make, manager, draft_plan_issued_on=date(2024, 10, 1))
    values = {"issued_on": issued_on, "family_agreed": family_agreed}
    if not saved:
        messages = _refused(record_final_plan, case, manager, **values)
        assert messages == {
            "final_plan_issued_on": "The final plan cannot be issued before 16 October 2024: "
            "the family have 15 days to comment on the draft sent on 1 October 2024. If they "
            "agreed to a shorter period, say so below"
        }
        return
    assert not _call(record_final_plan, case, manager, **values)
    assert case.final_plan_issued_on == issued_on
    assert case.final_plan_recorded_by_id == manager.id
    assert case.family_agreed_early_final is early
    detail = db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "final_plan_recorded")
    )
    assert detail == f"on={issued_on}" + (" family_agreed_early_final=yes" if early else "")
    closed = services.closing(case)
    assert closed is not None and closed.closed_on == issued_on


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("reason", "ceased_reason", "shown"),
    [
        ("withdrawn_by_family", None, "Withdrawn by the family"),
        ("moved_away", "died", "Moved out of the area"),  # a ceased reason only for ceased
        ("ceased", "age_25", "Ceased: young person reached 25"),
        ("ceased", "died", "Ceased: died"),
        ("ceased", "other", "Ceased: other reason"),
    ],
)
def test_closing_without_a_plan(make, manager, reason, ceased_reason, shown):
    case = _decided(make, manager, draft_plan_issued_on=date(2024, 10, 1))
    assert not _call(
        close_case,
        case,
        manager,
        reason=reason,
        closed_on=date(2024, 10, 20),
        ceased_reason=ceased_reason,
    )
    assert (case.closed_on, case.closed_reason, case.closed_by_id) == (
        date(2024, 10, 20),
        reason,
        manager.id,
    )
    assert case.ceased_reason == (ceased_reason if reason == "ceased" else None)
    closed = services.closing(case)
    assert closed is not None and closed.reason == shown
    assert _audit_actions(case)[-1] == "case_closed"
    messages = _refused(
        close_case,
        case,
        manager,
        reason="moved_away",
        closed_on=date(2024, 11, 1),
        ceased_reason=None,
    )
    assert messages["reason"].startswith("This case closed on 20 October 2024")


@freeze_time(TODAY)
def test_closing_mistakes(make, manager):
    case = _decided(make, manager, draft_plan_issued_on=date(2024, 10, 1))

    def close(**values):
        values = {"reason": "withdrawn_by_family", "closed_on": date(2024, 11, 1), **values}
        return _refused(
            close_case, case, manager, ceased_reason=values.pop("ceased", None), **values
        )

    assert close(reason=None) == {"reason": "Select why the case closed"}
    assert close(reason="refused_to_assess") == {"reason": "Select why the case closed"}
    assert close(closed_on=None) == {"closed_on": "Enter the date of the closing"}
    assert close(reason="ceased", closed_on=None) == {
        "ceased_reason": "Select why the case ceased",
        "closed_on": "Enter the date of the closing",
    }
    assert close(reason="ceased", ceased="bored") == {"ceased_reason": "Select why the case ceased"}
    assert close(closed_on=date(2024, 12, 2)) == {
        "closed_on": "The closing must be today or in the past"
    }
    assert close(closed_on=date(2024, 9, 30)) == {
        "closed_on": "The closing must be on or after the draft plan (1 October 2024)"
    }


@freeze_time(TODAY)
def test_an_older_copy_of_the_case_or_the_same_form_again_changes_nothing(make, manager):
    case = make.case(request_received_on=REQUEST)
    values = {"decision": "agreed", "decided_on": date(2024, 7, 1), "actor": manager}
    with pytest.raises(StaleCase):
        record_assessment_decision(
            case, expected_version=case.version + 1, nonce=new_nonce(), **values
        )
    db.session.rollback()
    nonce = new_nonce()
    assert not record_assessment_decision(
        case, expected_version=case.version, nonce=nonce, **values
    )
    db.session.commit()
    with pytest.raises(Resubmitted):
        record_assessment_decision(case, expected_version=case.version, nonce=nonce, **values)


@freeze_time(TODAY)
def test_removing_the_latest_outcome_corrects_it(make, manager):
    case = make.case(request_received_on=REQUEST)
    assert latest_outcome(case) is None
    assert _refused(remove_latest_outcome, case, manager, outcome="closed") == {
        "outcome": "No outcome is recorded on this case"
    }
    assert not _call(
        record_assessment_decision, case, manager, decision="refused", decided_on=date(2024, 7, 1)
    )
    # The refusal was a mistake: removing it reopens the case, then the decision is recorded.
    assert latest_outcome(case) == "assessment_decision"
    assert not _call(remove_latest_outcome, case, manager, outcome="assessment_decision")
    assert _state(case) == (None,) * 10 + (False, None, None, None, None)
    assert not _call(
        record_assessment_decision, case, manager, decision="agreed", decided_on=date(2024, 7, 2)
    )
    assert not _call(record_draft_plan, case, manager, sent_on=date(2024, 9, 1))
    assert _refused(remove_latest_outcome, case, manager, outcome="assessment_decision") == {
        "outcome": "Only the latest outcome (the draft plan sent) can be removed"
    }
    assert not _call(
        record_final_plan, case, manager, issued_on=date(2024, 9, 5), family_agreed=True
    )
    assert not _call(remove_latest_outcome, case, manager, outcome="final_plan")
    assert (case.final_plan_issued_on, case.family_agreed_early_final) == (None, False)
    assert not _call(
        close_case,
        case,
        manager,
        reason="ceased",
        closed_on=date(2024, 10, 1),
        ceased_reason="other",
    )
    assert not _call(remove_latest_outcome, case, manager, outcome="closed")
    assert (case.closed_on, case.closed_reason, case.ceased_reason) == (None, None, None)
    assert case.draft_plan_issued_on == date(2024, 9, 1)
    removed = db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "case_outcome_removed")
        .order_by(AuditEvent.id)
    ).all()
    assert removed == [
        "outcome=assessment_decision assessment_decision=refused "
        "decision_to_assess_on=2024-07-01 closed_on=2024-07-01 closed_reason=refused_to_assess",
        "outcome=final_plan final_plan_issued_on=2024-09-05",
        "outcome=closed closed_on=2024-10-01 closed_reason=ceased ceased_reason=other",
    ]
