"""Recording a case's outcomes from its page: one route, one form per outcome."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.cases.outcomes.forms import (
    FORMS,
    AssessmentDecisionForm,
    CloseForm,
    DraftPlanForm,
    FinalPlanForm,
    IssueDecisionForm,
    OutcomeForm,
    RemoveOutcomeForm,
    outcome_form,
)
from provider_portal.cases.outcomes.services import (
    close_case,
    record_assessment_decision,
    record_draft_plan,
    record_final_plan,
    record_issue_decision,
    remove_latest_outcome,
)
from provider_portal.cases.recording.routes import show_errors, use_govuk_date_wording
from provider_portal.cases.recording.services import FieldError
from provider_portal.cases.routes import case_or_404, case_page
from provider_portal.errors import Resubmitted, StaleCase
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.models import Case
from provider_portal.outcomes import CEASED
from provider_portal.permissions import requires
from provider_portal.web import MAX_ID, redirect_after_post, to_int

DONE = {
    "assessment-decision": "Decision whether to assess recorded",
    "issue-decision": "Decision whether to issue a plan recorded",
    "draft-plan": "Draft plan recorded",
    "final-plan": "Final plan recorded",
    "close": "Case closed",
    "remove": "Outcome removed: record it again if it was wrong",
}


def _record(case: Case, form: OutcomeForm, version: int, nonce: str) -> list[FieldError]:
    """Hand the form's plain values to the outcome's service."""
    common = {"expected_version": version, "actor": current_user, "nonce": nonce}
    if isinstance(form, AssessmentDecisionForm):
        return record_assessment_decision(
            case, decision=form.decision.data, decided_on=form.decision_to_assess_on.data, **common
        )
    if isinstance(form, IssueDecisionForm):
        return record_issue_decision(
            case, decision=form.decision.data, decided_on=form.issue_decision_on.data, **common
        )
    if isinstance(form, DraftPlanForm):
        return record_draft_plan(case, sent_on=form.draft_plan_issued_on.data, **common)
    if isinstance(form, FinalPlanForm):
        return record_final_plan(
            case,
            issued_on=form.final_plan_issued_on.data,
            family_agreed=bool(form.family_agreed.data),
            **common,
        )
    if isinstance(form, CloseForm):
        return close_case(
            case,
            reason=form.reason.data,
            closed_on=form.closed_on.data,
            ceased_reason=form.ceased_reason.data if form.reason.data == CEASED else None,
            **common,
        )
    assert isinstance(form, RemoveOutcomeForm)
    return remove_latest_outcome(case, outcome=form.outcome.data or "", **common)


@bp.route("/<int:case_id>/outcomes/<kind>", methods=["POST"])
@requires("record_cases")
def record_outcome(case_id: int, kind: str) -> Response:
    """Record one outcome (or remove the latest) on the case."""
    if kind not in FORMS:
        abort(404)
    case = case_or_404(case_id)
    form = outcome_form(kind, case, formdata=True)
    if form.validate_on_submit():
        nonce = posted_nonce(form.nonce)
        version = to_int(form.version.data, 0, MAX_ID)
        try:
            errors = _record(case, form, -1 if version is None else version, nonce)
            if not errors:
                db.session.commit()
        except Resubmitted:
            db.session.rollback()  # saved the first time: answered as the first time
            errors = []
        except (StaleCase, StaleDataError):
            db.session.rollback()
            return case_page(case_or_404(case_id), conflict=True)
        if not errors:
            flash(DONE[kind], "success")
            return redirect_after_post(url_for("cases.show", case_id=case_id))
        db.session.rollback()  # nothing half-saved: not even the nonce of a refused form
        case = case_or_404(case_id)
        show_errors(form, errors)
    use_govuk_date_wording(form)
    return case_page(case, outcome_forms={kind: form})
