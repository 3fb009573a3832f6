"""The case page's outcome forms: one per outcome, each with its nonce and the case's version."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovRadioInput, GovSubmitInput
from wtforms import BooleanField, HiddenField, RadioField, SubmitField
from wtforms.validators import InputRequired, Optional

from provider_portal.allocations.queries import people_names
from provider_portal.cases.outcomes.services import (
    OUTCOME_NAMES,
    closing,
    has_assessment_decision,
    latest_outcome,
    work_to_withdraw,
)
from provider_portal.forms import (
    new_nonce,
    options,
    required_date,
)
from provider_portal.models import Case
from provider_portal.outcomes import (
    ASSESSMENT_DECISIONS,
    CEASED_REASONS,
    CLOSED_REASONS,
    ISSUE_DECISIONS,
    OTHER_CLOSED_REASONS,
)
from provider_portal.timescales import earliest_final_plan, issue_decision_due


class OutcomeForm(FlaskForm):
    """What every outcome form carries: the case's version (stale copies) and a nonce."""

    version = HiddenField()
    nonce = HiddenField()  # saved once: provider_portal.submissions


class AssessmentDecisionForm(OutcomeForm):
    decision = RadioField(
        "Did the council agree to assess?",
        widget=GovRadioInput(),
        choices=options(ASSESSMENT_DECISIONS.items()),
        validators=[InputRequired(message="Select whether the council agreed to assess")],
    )
    decision_to_assess_on = required_date("Date of the decision", "Enter the date of the decision")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class IssueDecisionForm(OutcomeForm):
    decision = RadioField(
        "Will the council issue a plan?",
        widget=GovRadioInput(),
        choices=options(ISSUE_DECISIONS.items()),
        validators=[InputRequired(message="Select whether the council will issue a plan")],
    )
    issue_decision_on = required_date("Date of the decision", "Enter the date of the decision")
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class DraftPlanForm(OutcomeForm):
    draft_plan_issued_on = required_date(
        "Date the draft plan was sent", "Enter the date the draft plan was sent"
    )
    submit = SubmitField("Record the draft plan", widget=GovSubmitInput())


class FinalPlanForm(OutcomeForm):
    final_plan_issued_on = required_date(
        "Date the final plan was issued", "Enter the date the final plan was issued"
    )
    family_agreed = BooleanField(
        "The family agreed to a final plan before their 15 days to comment were up",
        widget=GovCheckboxInput(),
        validators=[Optional()],
    )
    submit = SubmitField("Record the final plan", widget=GovSubmitInput())


class CloseForm(OutcomeForm):
    reason = RadioField(
        "Why did the case close?",
        widget=GovRadioInput(),
        choices=options((code, CLOSED_REASONS[code]) for code in OTHER_CLOSED_REASONS),
        validators=[InputRequired(message="Select why the case closed")],
    )
    # Only for "ceased": revealed under that choice (shown to everyone without JavaScript).
    ceased_reason = RadioField(
        "Why did the case cease?",
        widget=GovRadioInput(),
        choices=options(CEASED_REASONS.items()),
        validators=[Optional()],
        validate_choice=False,
    )
    closed_on = required_date("Date the case closed", "Enter the date the case closed")
    submit = SubmitField("Close the case", widget=GovSubmitInput())


class RemoveOutcomeForm(OutcomeForm):
    outcome = HiddenField()
    submit = SubmitField("Remove the latest outcome", widget=GovSubmitInput())


# The URL's name for each outcome form: its class and prefix.
FORMS: dict[str, tuple[type[OutcomeForm], str]] = {
    "assessment-decision": (AssessmentDecisionForm, "assess"),
    "issue-decision": (IssueDecisionForm, "issue"),
    "draft-plan": (DraftPlanForm, "draft"),
    "final-plan": (FinalPlanForm, "final"),
    "close": (CloseForm, "close"),
    "remove": (RemoveOutcomeForm, "remove"),
}


def outcome_form(kind: str, case: Case, formdata: bool = False) -> OutcomeForm:
    """The form as posted, or blank with a fresh nonce and the case's version."""
    form_class, prefix = FORMS[kind]
    if formdata:
        return form_class(prefix=prefix)
    extra: dict[str, Any] = {}
    if kind == "remove":
        extra["outcome"] = latest_outcome(case) or ""
    return form_class(
        formdata=None, prefix=prefix, version=str(case.version), nonce=new_nonce(), **extra
    )


def offered(case: Case) -> list[str]:
    """The outcome forms that make sense now, in the order the page shows them."""
    kinds: list[str] = []
    if closing(case) is None:
        if not has_assessment_decision(case):
            kinds.append("assessment-decision")
        elif case.draft_plan_issued_on is None:
            if case.issue_decision is None and case.issue_decision_on is None:
                kinds.append("issue-decision")
            kinds.append("draft-plan")
        else:
            kinds.append("final-plan")
        kinds.append("close")
    if latest_outcome(case) is not None:
        kinds.append("remove")
    return kinds


def outcome_forms(
    case: Case, posted: dict[str, OutcomeForm] | None = None
) -> dict[str, OutcomeForm]:
    """Every form the page draws: blank ones for what makes sense now, and a posted one
    (with its errors) in its blank twin's place, even if the case moved on meanwhile."""
    posted = posted or {}
    kinds = offered(case) + [kind for kind in posted if kind not in offered(case)]
    return {kind: posted.get(kind) or outcome_form(kind, case) for kind in kinds}


def outcome_section(case: Case, posted: dict[str, OutcomeForm] | None = None) -> dict[str, Any]:
    """What the case page's outcomes section draws: the forms, how the case closed, who
    recorded each outcome (one query) and the open work to withdraw from a closed case."""
    closed = closing(case)
    return {
        "outcome_forms": outcome_forms(case, posted),
        "closed": closed,
        "recorded_by": people_names(
            case.decision_recorded_by_id,
            case.issue_decision_recorded_by_id,
            case.draft_plan_recorded_by_id,
            case.final_plan_recorded_by_id,
            case.closed_by_id,
        ),
        "work_to_withdraw": work_to_withdraw(case),
        "issue_decision_due": issue_decision_due(case.request_received_on),
        "latest_outcome": OUTCOME_NAMES.get(latest_outcome(case) or ""),
        "earliest_final_plan": earliest_final_plan(case.draft_plan_issued_on)
        if case.draft_plan_issued_on
        else None,
        "labels": {
            **ASSESSMENT_DECISIONS,
            **ISSUE_DECISIONS,
            **CLOSED_REASONS,
            **{f"ceased_{code}": label for code, label in CEASED_REASONS.items()},
        },
    }
