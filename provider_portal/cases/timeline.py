"""A case's statutory milestones, each with its due date, what happened and whether on time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from provider_portal.cases.outcomes.services import closing
from provider_portal.formatting import plural, short_date
from provider_portal.models import Allocation, AllocationStatus, Case
from provider_portal.outcomes import ASSESSMENT_DECISIONS, ISSUE_DECISIONS
from provider_portal.timescales import (
    case_clock,
    exception_label,
    issue_decision_due,
    phase_transfer,
)

# The parent has at least 15 days on the draft, so in practice it goes out by about week 14.
DRAFT_TARGET_DAYS = 98


@dataclass(frozen=True)
class Milestone:
    label: str
    due: date | None
    done: date | None
    status: str
    tag_class: str
    note: str = ""


def judge(due: date | None, done: date | None, as_of: date) -> tuple[str, str]:
    """The status text and tag colour of one milestone."""
    if due is None:
        return ("Done", "govuk-tag--green") if done else ("Not yet", "govuk-tag--grey")
    if done is not None:
        if done <= due:
            return "On time", "govuk-tag--green"
        return f"Late by {plural((done - due).days, 'day')}", "govuk-tag--red"
    if as_of > due:
        return f"Overdue by {plural((as_of - due).days, 'day')}", "govuk-tag--red"
    if as_of == due:
        return "Due today", "govuk-tag--yellow"
    return f"Due in {plural((due - as_of).days, 'day')}", "govuk-tag--blue"


def _work_milestone(case: Case, allocation: Allocation, as_of: date) -> Milestone:
    """A piece of work against its statutory due date (advice, reg 8), the contract's beside it.

    Work with no statutory limit of its own (a draft plan) is judged against the contract's.
    """
    if allocation.statutory_due_on is None:
        due, notes = allocation.due_on, ["Due: the contract's date"]
    else:
        due = allocation.statutory_due_on
        notes = [f"Due: 6 weeks (reg 8); contract due {short_date(allocation.due_on)}"]
    notes += [
        "Exception: " + exception_label(e.reason)
        for e in case.exceptions
        if e.applies_to == "advice" and e.allocation_id == allocation.id
    ]
    return Milestone(
        f"{allocation.work_type.name} from {allocation.provider.name}",
        due,
        allocation.returned_on,
        *judge(due, allocation.returned_on, as_of),
        note="; ".join(notes),
    )


def milestones(case: Case, as_of: date) -> list[Milestone]:
    """Request, decision, each piece of advice, draft, final plan and any phase transfer."""
    clock = case_clock(case.request_received_on, case.final_plan_issued_on, as_of)
    rows = [
        Milestone("Request received", None, case.request_received_on, "Received", "govuk-tag--grey")
    ]
    rows.append(
        Milestone(
            "Decision whether to assess (6 weeks)",
            clock.decision_due,
            case.decision_to_assess_on,
            *judge(clock.decision_due, case.decision_to_assess_on, as_of),
            note=ASSESSMENT_DECISIONS.get(case.assessment_decision or "", ""),
        )
    )
    for allocation in sorted(case.allocations, key=lambda a: (a.allocated_on, a.id)):
        if allocation.status in (AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED):
            continue
        rows.append(_work_milestone(case, allocation, as_of))
    rows.append(issue_decision_milestone(case, as_of))
    draft_target = case.request_received_on + timedelta(days=DRAFT_TARGET_DAYS)
    rows.append(
        Milestone(
            "Draft plan issued (aim: week 14)",
            draft_target,
            case.draft_plan_issued_on,
            *judge(draft_target, case.draft_plan_issued_on, as_of),
        )
    )
    early_final = case.family_agreed_early_final and case.final_plan_issued_on is not None
    final_reasons = [
        exception_label(e.reason) for e in case.exceptions if e.applies_to == "final_plan"
    ]
    rows.append(
        Milestone(
            "Final plan issued (20 weeks)",
            clock.final_plan_due,
            case.final_plan_issued_on,
            *judge(clock.final_plan_due, case.final_plan_issued_on, as_of),
            note="; ".join(
                (["Exception: " + "; ".join(final_reasons)] if final_reasons else [])
                + (["The family agreed to a shorter comment period"] if early_final else [])
            ),
        )
    )
    transfer = phase_transfer(case.reception_year, as_of, case.setting_type)
    if transfer is not None:
        rows.append(
            Milestone(
                f"Phase transfer into {transfer.moving_into}: plan finalised",
                transfer.deadline,
                case.final_plan_issued_on,
                *judge(transfer.deadline, case.final_plan_issued_on, as_of),
            )
        )
    return closed_milestones(case, rows)


def issue_decision_milestone(case: Case, as_of: date) -> Milestone:
    """The decision whether to issue a plan: a decision not to is due within 16 weeks."""
    label = "Decision whether to issue a plan (16 weeks)"
    due = issue_decision_due(case.request_received_on)
    if case.issue_decision_on is None and case.draft_plan_issued_on is not None:
        return Milestone(label, due, None, "Draft plan sent", "govuk-tag--grey")
    return Milestone(
        label,
        due,
        case.issue_decision_on,
        *judge(due, case.issue_decision_on, as_of),
        note=ISSUE_DECISIONS.get(case.issue_decision or "", ""),
    )


def closed_milestones(case: Case, rows: list[Milestone]) -> list[Milestone]:
    """A case closed without a plan: what was still to come is no longer needed, and the
    closing (when and why) ends the timeline."""
    closed = closing(case)
    if closed is None or case.final_plan_issued_on is not None:
        return rows
    ended = [
        replace(row, status="Not needed: case closed", tag_class="govuk-tag--grey")
        if row.done is None and row.due is not None
        else row
        for row in rows
    ]
    ended.append(
        Milestone(
            f"Case closed: {closed.reason}", None, closed.closed_on, "Closed", "govuk-tag--grey"
        )
    )
    return ended
