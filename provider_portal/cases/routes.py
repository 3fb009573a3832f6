"""Case list, case page and allocating a case's work."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.allocations.services import AllocationError, allocate
from provider_portal.cases import bp
from provider_portal.cases.forms import AllocateForm, CaseFilterForm
from provider_portal.cases.services import active_providers, get_case, list_cases, work_types
from provider_portal.extensions import db
from provider_portal.models import Case, Provider, WorkType
from provider_portal.permissions import requires
from provider_portal.web import page_number, redirect_after_post, render, wants_fragment


@bp.route("")
@requires("view_cases")
def index() -> Response:
    """Every case, filterable; htmx swaps only the results when a filter changes."""
    form = CaseFilterForm(request.args)
    allocation = form.allocation.data if form.allocation.data in ("unallocated", "open") else ""
    result = list_cases(q=(form.q.data or "")[:200], allocation=allocation, page=page_number())
    return render("cases/index.html", "cases/_results.html", form=form, result=result)


def _allocate_form(case: Case) -> AllocateForm:
    form = AllocateForm()
    form.work_type.choices = [("", "Select the type of work")] + [
        (wt.code, f"{wt.name} ({wt.turnaround_days} days)") for wt in work_types()
    ]
    form.provider.choices = [("", "Select a provider")] + [
        (str(p.id), p.name) for p in active_providers()
    ]
    return form


def _case_or_404(case_id: int) -> Case:
    case = get_case(case_id)
    if case is None:
        abort(404)
    return case


@bp.route("/<int:case_id>")
@requires("view_cases")
def show(case_id: int) -> Response:
    """One child's case: details, allocations and the allocation form."""
    case = _case_or_404(case_id)
    response = render("cases/show.html", case=case, form=_allocate_form(case))
    # Audited after rendering (so the commit does not expire what the page reads) and
    # before the page is sent: an unrecorded view is never shown.
    audit.record("case_viewed", "case", case_id)
    db.session.commit()
    return response


@bp.route("/<int:case_id>/allocations", methods=["POST"])
@requires("allocate")
def allocate_work(case_id: int) -> Response:
    """Allocate one type of work on this case to a provider."""
    case = _case_or_404(case_id)
    form = _allocate_form(case)
    if form.validate_on_submit():
        work_type = db.session.query(WorkType).filter_by(code=form.work_type.data).one_or_none()
        provider = db.session.get(Provider, int(form.provider.data or 0))
        if work_type is None or provider is None:
            abort(400)
        try:
            allocation = allocate(case, provider, work_type, actor=current_user)
            db.session.commit()
        except AllocationError as error:
            db.session.rollback()
            form.work_type.errors = [str(error)]
        else:
            message = (
                f"{work_type.name} allocated to {provider.name}, "
                f"due {allocation.due_on.strftime('%-d %B %Y')}"
            )
            if wants_fragment():
                case = _case_or_404(case_id)
                return render(
                    "cases/show.html",
                    "cases/_allocations.html",
                    case=case,
                    form=_allocate_form(case),
                    just_allocated=message,
                )
            flash(message, "success")
            return redirect_after_post(url_for("cases.show", case_id=case.id))
    case = _case_or_404(case_id)
    return render("cases/show.html", "cases/_allocations.html", case=case, form=form)
