"""Recording how a case goes: the two decisions, the draft and final plans, closing without one.

Each outcome is recorded once, with its date and who recorded it, and audited. A form sent
twice (its nonce) raises Resubmitted before anything is checked; a copy of the case older than
the one saved raises StaleCase. Every check runs before anything changes, so a refused outcome
leaves the case exactly as it was (the caller commits only when no error came back).

The dates run in statutory order: request, decision whether to assess, decision whether to
issue, draft plan, final plan; closing without a plan comes after every date recorded. A
refusal to assess or a decision not to issue closes the case on its date. To correct an
outcome, remove the latest one (remove_latest_outcome) and record it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from provider_portal import audit, submissions
from provider_portal.cases.recording.services import FieldError
from provider_portal.errors import StaleCase
from provider_portal.formatting import long_date
from provider_portal.models import Allocation, Case, User
from provider_portal.outcomes import (
    AGREED,
    ASSESSMENT_DECISIONS,
    CEASED,
    CEASED_REASONS,
    CLOSED_REASONS,
    ISSUE,
    ISSUE_DECISIONS,
    NOT_ISSUE,
    NOT_ISSUING,
    OTHER_CLOSED_REASONS,
    REFUSED,
    REFUSED_TO_ASSESS,
    closing_date,
)
from provider_portal.timescales import earliest_final_plan, today

# The outcome dates in the order the law puts them, with how a message names each.
ORDER: tuple[tuple[str, str], ...] = (
    ("decision_to_assess_on", "the decision whether to assess"),
    ("issue_decision_on", "the decision whether to issue a plan"),
    ("draft_plan_issued_on", "the draft plan"),
    ("final_plan_issued_on", "the final plan"),
    ("closed_on", "the closing date"),
)
# The outcomes remove_latest_outcome can take back, latest first, with what each clears.
ASSESSMENT = "assessment_decision"
ISSUE_DECISION = "issue_decision"
DRAFT_PLAN = "draft_plan"
FINAL_PLAN = "final_plan"
CLOSED = "closed"
OUTCOME_NAMES = {
    ASSESSMENT: "the decision whether to assess",
    ISSUE_DECISION: "the decision whether to issue a plan",
    DRAFT_PLAN: "the draft plan sent",
    FINAL_PLAN: "the final plan issued",
    CLOSED: "the closing without a plan",
}
_CLEARS: dict[str, tuple[str, ...]] = {
    ASSESSMENT: ("assessment_decision", "decision_to_assess_on", "decision_recorded_by_id"),
    ISSUE_DECISION: ("issue_decision", "issue_decision_on", "issue_decision_recorded_by_id"),
    DRAFT_PLAN: ("draft_plan_issued_on", "draft_plan_recorded_by_id"),
    FINAL_PLAN: ("final_plan_issued_on", "final_plan_recorded_by_id"),
    CLOSED: ("closed_on", "closed_reason", "ceased_reason", "closed_by_id"),
}
CORRECTION = (
    "To correct it, remove the latest outcome under “Correct an outcome” and record it again"
)


@dataclass(frozen=True)
class Closing:
    """How and when a closed case closed, as people read it."""

    closed_on: date
    reason: str
    recorded_by_id: int | None


def closing(case: Case) -> Closing | None:
    """When and why the case closed (a final plan, or closed without one); None while open."""
    closed_on = closing_date(case.final_plan_issued_on, case.closed_on)
    if closed_on is None:
        return None
    if case.final_plan_issued_on is not None:
        return Closing(closed_on, "Final plan issued", case.final_plan_recorded_by_id)
    reason = CLOSED_REASONS.get(case.closed_reason or "", "Closed")
    if case.closed_reason == CEASED and case.ceased_reason in CEASED_REASONS:
        reason = f"{reason}: {CEASED_REASONS[case.ceased_reason].lower()}"
    return Closing(closed_on, reason, case.closed_by_id)


def closed_without_plan(case: Case) -> Closing | None:
    """How the case closed, if it closed without a final plan."""
    return closing(case) if case.final_plan_issued_on is None else None


def work_to_withdraw(case: Case) -> list[Allocation]:
    """Work still open with a provider on a case closed without a plan: the manager withdraws
    it (nothing withdraws it by itself: the provider may be owed for work done)."""
    if closed_without_plan(case) is None:
        return []
    return [allocation for allocation in case.allocations if allocation.is_open]


def has_assessment_decision(case: Case) -> bool:
    return case.assessment_decision is not None or case.decision_to_assess_on is not None


def latest_outcome(case: Case) -> str | None:
    """The outcome recorded last in statutory order: the only one that can be removed."""
    if case.closed_on is not None and case.closed_reason in OTHER_CLOSED_REASONS:
        return CLOSED
    if case.final_plan_issued_on is not None:
        return FINAL_PLAN
    if case.draft_plan_issued_on is not None:
        return DRAFT_PLAN
    if case.issue_decision is not None or case.issue_decision_on is not None:
        return ISSUE_DECISION
    if has_assessment_decision(case):
        return ASSESSMENT
    return None


def _begin(case: Case, form: str, expected_version: int, actor: User, nonce: str) -> None:
    """The same form again raises Resubmitted; an older copy of the case raises StaleCase."""
    submissions.claim(nonce, form, actor)
    if case.version != expected_version:
        raise StaleCase()


def _closed_error(case: Case, field: str) -> FieldError | None:
    ended = closing(case)
    if ended is None:
        return None
    return FieldError(
        field,
        f"This case closed on {long_date(ended.closed_on)} ({ended.reason.lower()}): "
        f"nothing more can be recorded. {CORRECTION}",
    )


def date_errors(case: Case, field: str, label: str, value: date | None) -> list[FieldError]:
    """One outcome date: given, not in the future, and in order with the dates recorded."""
    if value is None:
        return [FieldError(field, f"Enter the date of {label}")]
    capital = label[0].upper() + label[1:]
    if value > today():
        return [FieldError(field, f"{capital} must be today or in the past")]
    if value < case.request_received_on:
        return [
            FieldError(
                field,
                f"{capital} must be on or after the request was received "
                f"({long_date(case.request_received_on)})",
            )
        ]
    names = [name for name, _ in ORDER]
    position = names.index(field)
    for index, (name, other) in enumerate(ORDER):
        recorded = getattr(case, name)
        if name == field or recorded is None:
            continue
        if index < position and value < recorded:
            return [
                FieldError(field, f"{capital} must be on or after {other} ({long_date(recorded)})")
            ]
        if index > position and value > recorded:
            return [
                FieldError(field, f"{capital} must be on or before {other} ({long_date(recorded)})")
            ]
    return []


def _close_with(case: Case, reason: str, on: date, actor: User) -> None:
    case.closed_on = on
    case.closed_reason = reason
    case.ceased_reason = None
    case.closed_by_id = actor.id


def _audit(case: Case, action: str, detail: str, actor: User) -> None:
    audit.record(action, "case", case.id, detail=detail, actor=actor, case_id=case.id)


@dataclass(frozen=True)
class Decision:
    """One of the two decisions: where it is kept, how it is named, which answer closes."""

    column: str
    date_column: str
    recorded_by: str
    name: str
    choices: dict[str, str]
    unanswered: str
    closes: tuple[str, str]  # (the answer that closes the case, the closed reason)


ASSESS = Decision(
    "assessment_decision",
    "decision_to_assess_on",
    "decision_recorded_by_id",
    "the decision whether to assess",
    ASSESSMENT_DECISIONS,
    "Select whether the council agreed to assess",
    (REFUSED, REFUSED_TO_ASSESS),
)
ISSUE_PLAN = Decision(
    "issue_decision",
    "issue_decision_on",
    "issue_decision_recorded_by_id",
    "the decision whether to issue a plan",
    ISSUE_DECISIONS,
    "Select whether the council will issue a plan",
    (NOT_ISSUE, NOT_ISSUING),
)


def _out_of_turn(spec: Decision, case: Case, decision: str) -> str | None:
    """An answer the outcomes already recorded rule out."""
    if spec is ASSESS:
        if decision == REFUSED and (case.issue_decision_on or case.draft_plan_issued_on):
            return (
                "A refusal to assess cannot follow a decision to issue or a draft plan: "
                "remove those first"
            )
        return None
    if not has_assessment_decision(case):
        return "Record the decision whether to assess first"
    if decision == NOT_ISSUE and case.draft_plan_issued_on is not None:
        return (
            f"A draft plan was sent on {long_date(case.draft_plan_issued_on)}: the council "
            "decided to issue a plan. Remove the draft first if it was recorded in error"
        )
    return None


def record_decision(
    case: Case,
    spec: Decision,
    *,
    decision: str | None,
    decided_on: date | None,
    expected_version: int,
    actor: User,
    nonce: str,
) -> list[FieldError]:
    """One of the two decisions, once, with its date; the answer that closes the case (a
    refusal to assess, a decision not to issue) closes it on the decision's date."""
    _begin(case, f"case_{spec.column}", expected_version, actor, nonce)
    closed = _closed_error(case, "decision")
    if closed:
        return [closed]
    errors: list[FieldError] = []
    recorded_on = getattr(case, spec.date_column)
    if getattr(case, spec.column) is not None or recorded_on is not None:
        # A date without an answer comes from before answers were kept: it was agreement.
        answer = spec.choices.get(getattr(case, spec.column) or AGREED) or spec.choices[ISSUE]
        errors.append(
            FieldError(
                "decision",
                f"{spec.name[0].upper()}{spec.name[1:]} is already recorded ({answer.lower()} on "
                f"{long_date(recorded_on)}). {CORRECTION}",
            )
        )
    elif decision not in spec.choices:
        errors.append(FieldError("decision", spec.unanswered))
    elif problem := _out_of_turn(spec, case, decision):
        errors.append(FieldError("decision", problem))
    errors += date_errors(case, spec.date_column, "the decision", decided_on)
    if errors or decision is None or decided_on is None:
        return errors
    setattr(case, spec.column, decision)
    setattr(case, spec.date_column, decided_on)
    setattr(case, spec.recorded_by, actor.id)
    if decision == spec.closes[0]:
        _close_with(case, spec.closes[1], decided_on, actor)
    _audit(case, f"{spec.column}_recorded", f"decision={decision} on={decided_on}", actor)
    return []


# The decision whether to assess (reg 5): agreed, or refused, which closes the case.
record_assessment_decision = partial(record_decision, spec=ASSESS)
# The decision whether to issue a plan (reg 10): issue, or not, which closes the case.
record_issue_decision = partial(record_decision, spec=ISSUE_PLAN)


def record_draft_plan(
    case: Case, *, sent_on: date | None, expected_version: int, actor: User, nonce: str
) -> list[FieldError]:
    """The draft plan sent to the family, which starts their 15 days to comment."""
    _begin(case, "case_draft_plan", expected_version, actor, nonce)
    field = "draft_plan_issued_on"
    closed = _closed_error(case, field)
    if closed:
        return [closed]
    if case.draft_plan_issued_on is not None:
        return [
            FieldError(
                field,
                f"The draft plan is already recorded as sent on "
                f"{long_date(case.draft_plan_issued_on)}. {CORRECTION}",
            )
        ]
    if not has_assessment_decision(case):
        return [FieldError(field, "Record the decision whether to assess first")]
    errors = date_errors(case, field, "the draft plan", sent_on)
    if errors or sent_on is None:
        return errors
    case.draft_plan_issued_on = sent_on
    case.draft_plan_recorded_by_id = actor.id
    _audit(case, "draft_plan_recorded", f"on={sent_on}", actor)
    return []


def record_final_plan(
    case: Case,
    *,
    issued_on: date | None,
    family_agreed: bool,
    expected_version: int,
    actor: User,
    nonce: str,
) -> list[FieldError]:
    """The final plan issued, which closes the case: not before the family's 15 days to
    comment on the draft are up (reg 13(1)(a)) unless they agreed to a shorter period."""
    _begin(case, "case_final_plan", expected_version, actor, nonce)
    field = "final_plan_issued_on"
    closed = _closed_error(case, field)
    if closed:
        return [closed]
    draft = case.draft_plan_issued_on
    if draft is None:
        return [FieldError(field, "Record the date the draft plan was sent first")]
    errors = date_errors(case, field, "the final plan", issued_on)
    if errors or issued_on is None:
        return errors
    early = issued_on < earliest_final_plan(draft)
    if early and not family_agreed:
        return [
            FieldError(
                field,
                f"The final plan cannot be issued before {long_date(earliest_final_plan(draft))}"
                f": the family have 15 days to comment on the draft sent on {long_date(draft)}. "
                "If they agreed to a shorter period, say so below",
            )
        ]
    case.final_plan_issued_on = issued_on
    case.final_plan_recorded_by_id = actor.id
    case.family_agreed_early_final = early
    detail = f"on={issued_on}" + (" family_agreed_early_final=yes" if early else "")
    _audit(case, "final_plan_recorded", detail, actor)
    return []


def close_case(
    case: Case,
    *,
    reason: str | None,
    closed_on: date | None,
    ceased_reason: str | None,
    expected_version: int,
    actor: User,
    nonce: str,
) -> list[FieldError]:
    """Close the case without a plan: withdrawn by the family, moved away, or ceased (why)."""
    _begin(case, "case_closed", expected_version, actor, nonce)
    closed = _closed_error(case, "reason")
    if closed:
        return [closed]
    errors: list[FieldError] = []
    if reason not in OTHER_CLOSED_REASONS:
        errors.append(FieldError("reason", "Select why the case closed"))
    elif reason == CEASED and ceased_reason not in CEASED_REASONS:
        errors.append(FieldError("ceased_reason", "Select why the case ceased"))
    errors += date_errors(case, "closed_on", "the closing", closed_on)
    if errors or reason is None or closed_on is None:
        return errors
    _close_with(case, reason, closed_on, actor)
    case.ceased_reason = ceased_reason if reason == CEASED else None
    detail = f"reason={reason} on={closed_on}"
    if case.ceased_reason:
        detail += f" ceased_reason={case.ceased_reason}"
    _audit(case, "case_closed", detail, actor)
    return []


def remove_latest_outcome(
    case: Case, *, outcome: str, expected_version: int, actor: User, nonce: str
) -> list[FieldError]:
    """Take back the latest outcome (recorded in error) so it can be recorded again; a
    refusal or a decision not to issue takes its closing with it. The audit row keeps what
    was removed."""
    _begin(case, "case_outcome_removed", expected_version, actor, nonce)
    latest = latest_outcome(case)
    if latest is None:
        return [FieldError("outcome", "No outcome is recorded on this case")]
    if outcome != latest:
        return [
            FieldError(
                "outcome", f"Only the latest outcome ({OUTCOME_NAMES[latest]}) can be removed"
            )
        ]
    fields = list(_CLEARS[latest])
    if latest in (ASSESSMENT, ISSUE_DECISION) and case.closed_reason in (
        REFUSED_TO_ASSESS,
        NOT_ISSUING,
    ):
        fields += _CLEARS[CLOSED]
    removed = " ".join(
        f"{name}={getattr(case, name)}"
        for name in fields
        if not name.endswith("_id") and getattr(case, name) is not None
    )
    for name in fields:
        setattr(case, name, None)
    if latest == FINAL_PLAN:
        case.family_agreed_early_final = False
    _audit(case, "case_outcome_removed", f"outcome={latest} {removed}", actor)
    return []
