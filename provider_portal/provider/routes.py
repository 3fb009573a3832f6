"""A provider's allocations: see them, answer them, assign them, upload work and return it.

Every allocation and document loads through permissions.provider_allocation_or_404() or
provider_document_or_404(), so the organisation, practitioner and access-expiry rules hold
on every route here.
"""

from __future__ import annotations

from typing import Any

from flask import flash, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from provider_portal.allocations.forms import AllocationFilterForm
from provider_portal.allocations.queries import (
    ANSWER_FILTERS,
    DUE_FILTERS,
    filtered,
    page_of,
    people_names,
)
from provider_portal.allocations.questions.forms import questions_context
from provider_portal.allocations.services import (
    assign,
    assignable_people,
    awaiting_answer,
    decline,
    is_taken_on,
    open_document,
    provider_accept,
    record_return,
    record_viewed,
)
from provider_portal.audit import record_list_view
from provider_portal.cases.contacts.services import contacts_for_provider
from provider_portal.extensions import db
from provider_portal.forms import options
from provider_portal.home.queries import provider_home
from provider_portal.models import Allocation, AllocationStatus, Document, User
from provider_portal.permissions import (
    access_until,
    can,
    provider_allocation_or_404,
    provider_allocations,
    provider_document_or_404,
    provider_papers,
    requires,
)
from provider_portal.provider import bp
from provider_portal.provider.forms import (
    AssignForm,
    DeclineForm,
    ProviderAcceptForm,
    ReturnForm,
    UploadForm,
)
from provider_portal.provider.services import add_document, record_refused_upload
from provider_portal.quality.services import latest_sendback
from provider_portal.reports.providers.figures import compared_with_others
from provider_portal.timescales import today
from provider_portal.web import (
    arg_choice,
    page_number,
    redirect_after_post,
    render,
    run_form_action,
    serve_document,
    to_id,
    wants_fragment,
)


@bp.route("/home")
@requires("provider_work")
def home() -> Response:
    """What needs doing: new work to accept, work due this week, work sent back to amend."""
    as_of = today()
    summary = provider_home(provider_allocations(), as_of)
    response = render(
        "provider/home.html",
        summary=summary,
        as_of=as_of,
        comparison=compared_with_others(current_user.provider_id),
    )
    record_list_view("provider_home", 1, provider_id=current_user.provider_id)
    db.session.commit()
    return response


@bp.route("/allocations")
@requires("provider_work")
def allocations() -> Response:
    """The allocations this person may see, newest first, filterable by status."""
    form = AllocationFilterForm(request.args)
    form.provider.choices = options([("", "")])
    form.work_type.choices = options([("", "")])
    status = arg_choice("status", {s.value for s in AllocationStatus})
    # The provider home links here: ?due=this_week and ?answer=awaiting.
    due = arg_choice("due", set(DUE_FILTERS))
    answer = arg_choice("answer", set(ANSWER_FILTERS))
    query = filtered(provider_allocations(), status=status, due=due, answer=answer, on=today())
    result = page_of(query, page_number())
    response = render(
        "provider/index.html",
        "provider/_results.html",
        form=form,
        result=result,
        due=due,
        answer=answer,
        due_filters=DUE_FILTERS,
        answer_filters=ANSWER_FILTERS,
    )
    record_list_view(
        "provider_allocations",
        result.page,
        provider_id=current_user.provider_id,
        status=status,
        due=due,
        answer=answer,
    )
    db.session.commit()
    return response


def _load(allocation_id: int) -> Allocation:
    allocation = provider_allocation_or_404(allocation_id)
    db.session.refresh(allocation)
    return allocation


def _assign_form(allocation: Allocation, form: AssignForm | None) -> AssignForm | None:
    """The assignment form with the organisation's people, for administrators on open work.

    A submitted form always comes back, so its errors show even if the work has just closed.
    """
    if form is None and not (can("respond_to_allocation") and allocation.is_open):
        return None
    if form is None:
        current = str(allocation.assigned_to_id or "")
        form = AssignForm(formdata=None, prefix="assign", assigned_to=current)
    form.assigned_to.choices = options(
        [("", "Select a person")]
        + [(str(person.id), person.name) for person in assignable_people(allocation.provider_id)]
    )
    return form


def _context(allocation: Allocation, **extra: Any) -> dict[str, Any]:
    forms: dict[str, FlaskForm | None] = {
        "upload_form": extra.get("upload_form") or UploadForm(formdata=None, prefix="upload"),
        "return_form": extra.get("return_form") or ReturnForm(formdata=None, prefix="return"),
        "accept_form": extra.get("accept_form")
        or ProviderAcceptForm(formdata=None, prefix="answer"),
        "decline_form": extra.get("decline_form") or DeclineForm(formdata=None, prefix="decline"),
        "assign_form": _assign_form(allocation, extra.get("assign_form")),
    }
    return {
        "allocation": allocation,
        **forms,
        "awaiting_answer": awaiting_answer(allocation),
        "taken_on": is_taken_on(allocation),
        "names": people_names(allocation.provider_accepted_by_id, allocation.declined_by_id),
        "access_until": access_until(allocation),
        "contacts": contacts_for_provider(allocation),
        "papers": db.session.scalars(provider_papers(allocation.id)).all(),
        "banner": extra.get("banner"),
        # The reasons the council gave with its latest request for amendment.
        "sendback": (
            latest_sendback(allocation.id)
            if allocation.status is AllocationStatus.AMENDMENT_REQUESTED
            else None
        ),
        **questions_context(allocation, False, extra.get("question_form")),
        # Read by base.html to put "Error: " in the title.
        "page_errors": [name for name, form in forms.items() if form and form.errors]
        + (["question_form"] if extra.get("question_form") else []),
    }


def _work_panel(allocation_id: int, **extra: Any) -> Response:
    """The page, or for htmx the work panel, after a change or with a form's errors."""
    return render(
        "provider/show.html", "provider/_work.html", **_context(_load(allocation_id), **extra)
    )


def _after_change(allocation_id: int, message: str) -> Response:
    if wants_fragment():
        return _work_panel(allocation_id, banner=message)
    flash(message, "success")
    return redirect_after_post(url_for("provider.show", allocation_id=allocation_id))


@bp.route("/allocations/<int:allocation_id>")
@requires("provider_work")
def show(allocation_id: int) -> Response:
    """One allocation: the child's details needed for the work, the answer, comments, uploads."""
    allocation = provider_allocation_or_404(allocation_id)
    response = render("provider/show.html", **_context(allocation))
    record_viewed(allocation)
    db.session.commit()
    return response


@bp.route("/allocations/<int:allocation_id>/accept", methods=["POST"])
@requires("respond_to_allocation")
def accept_allocation(allocation_id: int) -> Response:
    """Accept the allocated work for the organisation."""
    allocation = provider_allocation_or_404(allocation_id)
    form = ProviderAcceptForm(prefix="answer")
    if form.validate_on_submit() and run_form_action(
        form.submit, lambda: provider_accept(allocation, actor=current_user)
    ):
        return _after_change(
            allocation_id, "You accepted this work. Assign it to the person who will do it."
        )
    return _work_panel(allocation_id, accept_form=form)


@bp.route("/allocations/<int:allocation_id>/decline", methods=["POST"])
@requires("respond_to_allocation")
def decline_allocation(allocation_id: int) -> Response:
    """Decline the allocated work, saying why; the council can then allocate it elsewhere."""
    allocation = provider_allocation_or_404(allocation_id)
    form = DeclineForm(prefix="decline")
    if form.validate_on_submit() and run_form_action(
        form.reason, lambda: decline(allocation, form.reason.data or "", actor=current_user)
    ):
        return _after_change(
            allocation_id, "You declined this work. The council has been told why."
        )
    return _work_panel(allocation_id, decline_form=form)


@bp.route("/allocations/<int:allocation_id>/assignment", methods=["POST"])
@requires("respond_to_allocation")
def assign_allocation(allocation_id: int) -> Response:
    """Give the work to one of the organisation's own people."""
    allocation = provider_allocation_or_404(allocation_id)
    form = AssignForm(prefix="assign")
    if form.validate_on_submit():
        # Only the id is read from the request; the service checks the person's organisation.
        assignee_id = to_id(form.assigned_to.data)
        assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
        name = assignee.name if assignee is not None else ""
        if run_form_action(
            form.assigned_to, lambda: assign(allocation, assignee, actor=current_user)
        ):
            return _after_change(allocation_id, f"Work assigned to {name}")
    return _work_panel(allocation_id, assign_form=form)


@bp.route("/allocations/<int:allocation_id>/documents", methods=["POST"])
@requires("provider_work")
def upload(allocation_id: int) -> Response:
    """Upload a version of the completed work."""
    allocation = provider_allocation_or_404(allocation_id)
    form = UploadForm(prefix="upload")
    file = form.document.data
    if form.validate_on_submit() and run_form_action(
        form.document,
        lambda: add_document(allocation, file.stream, file.filename, actor=current_user),
        on_refused=lambda error: record_refused_upload(allocation, error, actor=current_user),
    ):
        return _after_change(
            allocation_id,
            "Document uploaded. Mark the work as returned when it is ready for the council.",
        )
    return _work_panel(allocation_id, upload_form=form)


@bp.route("/allocations/<int:allocation_id>/return", methods=["POST"])
@requires("provider_work")
def return_work(allocation_id: int) -> Response:
    """Tell the council the work is done."""
    allocation = provider_allocation_or_404(allocation_id)
    form = ReturnForm(prefix="return")
    if form.validate_on_submit() and run_form_action(
        form.submit, lambda: record_return(allocation, actor=current_user)
    ):
        return _after_change(allocation_id, "Work returned to the council")
    return _work_panel(allocation_id, return_form=form)


@bp.route("/documents/<int:document_id>")
@requires("provider_work")
def download(document_id: int) -> Response:
    """Download a document on work this person may see (audited)."""
    document: Document = provider_document_or_404(document_id)
    return serve_document(document, open_document)
