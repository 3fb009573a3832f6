"""The council's allocation list, an allocation's page, review actions and downloads."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from provider_portal.allocations import bp
from provider_portal.allocations.forms import (
    AllocationFilterForm,
    RubricAcceptForm,
    WithdrawForm,
    accept_form,
    amendment_form,
)
from provider_portal.allocations.queries import (
    DUE_FILTERS,
    filtered,
    get_allocation,
    page_of,
    people_names,
)
from provider_portal.allocations.questions.forms import questions_context
from provider_portal.allocations.services import (
    accept,
    open_document,
    record_viewed,
    request_amendment,
    withdraw,
)
from provider_portal.audit import record_list_view
from provider_portal.cases.outcomes.services import closed_without_plan
from provider_portal.cases.services import active_providers, work_types
from provider_portal.extensions import db
from provider_portal.forms import offered, options
from provider_portal.models import Allocation, AllocationStatus, Document, SendBackReason
from provider_portal.permissions import requires
from provider_portal.quality.rubric import score_label, section_title
from provider_portal.quality.services import (
    chosen_reasons,
    current_reasons,
    needs_quality_check,
    quality_check_for,
    reasons_apply_to,
    sendbacks_for,
)
from provider_portal.timescales import today
from provider_portal.web import (
    arg_choice,
    once_per_request,
    page_number,
    redirect_after_post,
    render,
    run_form_action,
    serve_document,
    to_id,
    wants_fragment,
)


@bp.route("")
@requires("view_cases")
def index() -> Response:
    """All allocations, filterable by status, provider and work type."""
    form = AllocationFilterForm(request.args)
    form.provider.choices = options(
        [("", "Any provider")] + [(str(p.id), p.name) for p in once_per_request(active_providers)]
    )
    form.work_type.choices = options(
        [("", "Any type of work")] + [(wt.code, wt.name) for wt in once_per_request(work_types)]
    )
    provider_id = to_id(form.provider.data)
    status = arg_choice("status", {s.value for s in AllocationStatus})
    work_type = form.work_type.data or ""  # one not offered lists nothing
    # ?due=this_week or overdue: work with providers by its due date (the home page links here).
    due = arg_choice("due", set(DUE_FILTERS))
    query = filtered(
        select(Allocation),
        status=status,
        provider_id=provider_id,
        work_type_code=work_type,
        due=due,
        on=today(),
    )
    # ?questions=waiting: only work whose provider's question waits (the board links here).
    questions = arg_choice("questions", {"waiting"})
    if questions:
        query = query.where(Allocation.unanswered_question_at.is_not(None))
    result = page_of(query, page_number())
    response = render(
        "allocations/index.html",
        "allocations/_results.html",
        form=form,
        result=result,
        questions=questions,
        due=due,
        due_filters=DUE_FILTERS,
    )
    # The audit row names a work type only by a code the page offers, never text from a URL.
    listed = work_type if work_type in offered(form.work_type) else work_type and "unlisted"
    record_list_view(
        "allocations",
        result.page,
        provider_id=provider_id,
        status=status,
        work_type=listed,
        questions=questions,
        due=due,
    )
    db.session.commit()
    return response


def _allocation_or_404(allocation_id: int) -> Allocation:
    allocation = get_allocation(allocation_id)
    if allocation is None:
        abort(404)
    return allocation


def _reasons(allocation: Allocation) -> list[SendBackReason]:
    return current_reasons(reasons_apply_to(allocation.work_type))


def _review_context(allocation: Allocation, **extra: Any) -> dict[str, Any]:
    reviewing = allocation.status is AllocationStatus.RETURNED
    forms = {
        "accept_form": extra.get("accept_form")
        or accept_form(reviewing and needs_quality_check(allocation), formdata=None),
        "amendment_form": extra.get("amendment_form")
        or amendment_form(_reasons(allocation) if reviewing else [], formdata=None),
        "withdraw_form": extra.get("withdraw_form")
        or WithdrawForm(formdata=None, prefix="withdraw"),
    }
    return {
        "allocation": allocation,
        **forms,
        "names": people_names(
            allocation.provider_accepted_by_id,
            allocation.declined_by_id,
            allocation.withdrawn_by_id,
        ),
        "access_days": current_app.config["PROVIDER_ACCESS_DAYS_AFTER_CLOSE"],
        "banner": extra.get("banner"),
        # The case closed without a plan while this work is open: the manager withdraws it.
        "case_closed": closed_without_plan(allocation.case) if allocation.is_open else None,
        # Every request for amendment (each is counted in amendment_count), and the rubric.
        "sendbacks": sendbacks_for(allocation.id) if allocation.amendment_count else [],
        "quality_check": (
            quality_check_for(allocation.id)
            if allocation.status is AllocationStatus.ACCEPTED
            else None
        ),
        "rubric_form": isinstance(forms["accept_form"], RubricAcceptForm),
        "section_title": section_title,
        "score_label": score_label,
        **questions_context(allocation, True, extra.get("question_form")),
        # Read by base.html to put "Error: " in the title.
        "page_errors": [name for name, form in forms.items() if form.errors]
        + (["question_form"] if extra.get("question_form") else []),
    }


@bp.route("/<int:allocation_id>")
@requires("view_cases")
def show(allocation_id: int) -> Response:
    """One allocation: the work, its documents and, once returned, the review."""
    allocation = _allocation_or_404(allocation_id)
    response = render("allocations/show.html", **_review_context(allocation))
    record_viewed(allocation)
    db.session.commit()
    return response


def _review_panel(allocation_id: int, **extra: Any) -> Response:
    """The page, or for htmx the review panel, after a change or with a form's errors."""
    allocation = _allocation_or_404(allocation_id)
    return render(
        "allocations/show.html", "allocations/_review.html", **_review_context(allocation, **extra)
    )


def _after_review(allocation_id: int, message: str) -> Response:
    if wants_fragment():
        return _review_panel(allocation_id, banner=message)
    flash(message, "success")
    return redirect_after_post(url_for("allocations.show", allocation_id=allocation_id))


@bp.route("/<int:allocation_id>/accept", methods=["POST"])
@requires("review_work")
def accept_work(allocation_id: int) -> Response:
    """Accept the returned work, scoring the quality rubric when its contract asks."""
    allocation = _allocation_or_404(allocation_id)
    rubric = allocation.status is AllocationStatus.RETURNED and needs_quality_check(allocation)
    form = accept_form(rubric)
    scores = form.scores if isinstance(form, RubricAcceptForm) else None
    if form.validate_on_submit() and run_form_action(
        form.submit,
        lambda: accept(allocation, actor=current_user, scores=scores() if scores else None),
    ):
        return _after_review(allocation_id, "Work accepted")
    return _review_panel(allocation_id, accept_form=form)


@bp.route("/<int:allocation_id>/amendment", methods=["POST"])
@requires("review_work")
def send_back(allocation_id: int) -> Response:
    """Send the returned work back to the provider with its reasons and a comment."""
    allocation = _allocation_or_404(allocation_id)
    form = amendment_form(_reasons(allocation))
    if form.validate_on_submit() and run_form_action(
        form.reasons,
        lambda: request_amendment(
            allocation,
            form.comment.data or "",
            actor=current_user,
            reasons=chosen_reasons(allocation, form.reason_ids()),
        ),
    ):
        return _after_review(allocation_id, "Work sent back to the provider for amendment")
    return _review_panel(allocation_id, amendment_form=form)


@bp.route("/<int:allocation_id>/withdraw", methods=["POST"])
@requires("allocate")
def withdraw_work(allocation_id: int) -> Response:
    """Take open work back from the provider, with the reason; the case can be allocated again."""
    allocation = _allocation_or_404(allocation_id)
    form = WithdrawForm(prefix="withdraw")
    if form.validate_on_submit() and run_form_action(
        form.reason, lambda: withdraw(allocation, form.reason.data or "", actor=current_user)
    ):
        return _after_review(allocation_id, "Work withdrawn from the provider")
    return _review_panel(allocation_id, withdraw_form=form)


@bp.route("/documents/<int:document_id>")
@requires("view_cases")
def download(document_id: int) -> Response:
    """Download an uploaded document (audited; checked against its SHA-256)."""
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    return serve_document(document, open_document)
