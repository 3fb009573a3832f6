"""Case list, case page and allocating a case's work."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.allocations.services import allocate
from provider_portal.audit import record_list_view
from provider_portal.audit_log.queries import seen_by
from provider_portal.cases import bp
from provider_portal.cases.forms import AllocateForm, CaseFilterForm
from provider_portal.cases.letters.forms import letter_section
from provider_portal.cases.outcomes.forms import outcome_section
from provider_portal.cases.papers.forms import paper_form
from provider_portal.cases.recording.forms import case_exception_form
from provider_portal.cases.services import get_case, list_cases, record_viewed, work_types
from provider_portal.cases.timeline import milestones
from provider_portal.contracts.allocating import (
    ProviderChoice,
    allocation_choices,
    allocation_note,
    form_contract,
)
from provider_portal.errors import AllocationError, ContractError
from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.forms import error_list, options
from provider_portal.models import Allocation, AuditEvent, Case, CasePaper, Provider, WorkType
from provider_portal.papers.queries import case_papers, live_papers, paper_defaults, shared_words
from provider_portal.papers.services import chosen_papers, default_papers
from provider_portal.permissions import requires
from provider_portal.timescales import LONDON, today
from provider_portal.web import (
    answer_list,
    list_filters,
    once_per_request,
    page_number,
    redirect_after_post,
    render,
    to_id,
    wants_fragment,
)


@bp.route("", methods=["GET", "POST"])
@requires("view_cases")
def index() -> Response:
    """Every case, filterable; the search box is posted, never put in the URL (see
    web.list_filters), and htmx swaps only the results when a filter changes."""
    filters = list_filters("cases.index", search_boxes=("q",))
    form = CaseFilterForm(filters.data)
    allocation = form.allocation.data if form.allocation.data in ("unallocated", "open") else ""

    def show() -> Response:
        q = (form.q.data or "")[:200]
        result = list_cases(q=q, allocation=allocation, page=page_number())
        response = render(
            "cases/index.html", "cases/_results.html", form=form, result=result, filters=filters
        )
        searched = ["q"] if q.strip() else []
        record_list_view("cases", result.page, searched=searched, allocation=allocation)
        db.session.commit()
        return response

    return answer_list(filters, show)


def _allocate_form(choices: list[ProviderChoice], papers: list[CasePaper]) -> AllocateForm:
    form = AllocateForm()
    form.papers.choices = options(
        [(str(paper.id), f"{paper.title} ({paper.kind_label})") for paper in papers]
    )
    form.work_type.choices = options(
        [("", "Select the type of work")]
        + [
            (wt.code, f"{wt.name} ({wt.turnaround_days} days)")
            for wt in once_per_request(work_types)
        ]
    )
    form.provider.choices = options(
        [("", "Select a provider")]
        + [(str(choice.provider.id), choice.provider.name) for choice in choices]
    )
    form.contract.choices = options(
        [("", "The provider's only current contract, if it has one")]
        + [
            (str(cost.contract.id), f"{cost.contract.reference} — {choice.provider.name}")
            for choice in choices
            for cost in choice.contracts
        ]
    )
    return form


def case_or_404(case_id: int) -> Case:
    case = get_case(case_id)
    if case is None:
        abort(404)
    return case


def case_page(
    case: Case, status: int = 200, viewing: AuditEvent | None = None, **forms: Any
) -> Response:
    """The case page with every form; a form with errors replaces its blank twin. `viewing`:
    the view of it being recorded, for "seen by"."""
    outcomes = outcome_section(case, forms.get("outcome_forms"))
    exception_form = forms.get("exception_form") or case_exception_form(case)
    choices = forms.get("choices") or allocation_choices(today())
    papers = case_papers(case.id)
    live = [row.paper for row in papers if row.paper.deleted_at is None]
    allocate_form = forms.get("form") or _allocate_form(choices, live)
    paper_form_shown = forms.get("paper_form") or paper_form()
    letters = letter_section(case, forms.get("letter_form"))
    # Every form's mistakes in the one summary at the top of the page (without JavaScript a
    # form comes back as the whole page); the panels leave theirs out (summaries_above).
    page_errors: list[dict[str, str]] = []
    for other in (
        allocate_form,
        *outcomes["outcome_forms"].values(),
        exception_form,
        paper_form_shown,
        letters["letter_form"],
    ):
        page_errors.extend(error_list(other))
    if forms.get("papers_problem"):
        page_errors.append(forms["papers_problem"])
    return render(
        "cases/show.html",
        status=status,
        case=case,
        form=allocate_form,
        choices=choices,
        papers=papers,
        paper_form=paper_form_shown,
        paper_defaults=paper_defaults(),
        **outcomes,
        exception_form=exception_form,
        **letters,
        timeline=milestones(case, today()),
        seen_by=seen_by(case.id, viewing),
        anonymised_on=case.anonymised_at.astimezone(LONDON).date() if case.anonymised_at else None,
        page_errors=page_errors,
        conflict=forms.get("conflict", False),
    )


@bp.route("/<int:case_id>")
@requires("view_cases")
def show(case_id: int) -> Response:
    """One child's case: details, statutory timeline, allocations, exceptions and forms."""
    case = case_or_404(case_id)
    # Written after the page is built and before it is sent (audit.write_pending): an
    # unrecorded view is never shown. "Seen by" includes this view.
    return case_page(case, viewing=record_viewed(case))


def _due_words(allocation: Allocation) -> str:
    """When new work is due: the statutory date for advice, the contract's when it differs."""
    statutory, contract = allocation.statutory_due_on, allocation.due_on
    if statutory is None:
        return f"contract due {long_date(contract)}"
    if statutory == contract:
        return f"due {long_date(statutory)}"
    return f"due {long_date(statutory)} (6 weeks, reg 8), contract due {long_date(contract)}"


def _papers_chosen(form: AllocateForm, case_id: int, work_type_id: int) -> list[CasePaper]:
    """The papers the manager chose: the work type's kinds, or exactly the ones ticked."""
    if form.papers_choice.data == "chosen":
        ticked = (to_id(value) for value in form.papers.data or [])
        return chosen_papers(case_id, [paper_id for paper_id in ticked if paper_id is not None])
    return default_papers(case_id, work_type_id)


@bp.route("/<int:case_id>/allocations", methods=["POST"])
@requires("allocate")
def allocate_work(case_id: int) -> Response:
    """Allocate one type of work on this case to a provider, under a contract if it has one."""
    case = case_or_404(case_id)
    choices = allocation_choices(today())
    form = _allocate_form(choices, live_papers(case.id))
    if form.validate_on_submit():
        work_type = db.session.query(WorkType).filter_by(code=form.work_type.data).one_or_none()
        provider = db.session.get(Provider, int(form.provider.data or 0))
        if work_type is None or provider is None:
            abort(400)
        try:
            contract = form_contract(choices, provider, today(), form.contract.data or "")
            papers = _papers_chosen(form, case.id, work_type.id)
            allocation = allocate(
                case, provider, work_type, actor=current_user, contract=contract, papers=papers
            )
            message = (
                f"{work_type.name} allocated to {provider.name}, "
                f"{_due_words(allocation)}. {allocation_note(allocation)}"
                f"{shared_words(len(papers))}"
            )
            db.session.commit()
        except ContractError as error:
            form.contract.errors = [str(error)]
        except AllocationError as error:
            db.session.rollback()
            form.work_type.errors = [str(error)]
            choices = allocation_choices(today())  # the rollback expired the ones read
        else:
            if wants_fragment():
                case = case_or_404(case_id)
                choices = allocation_choices(today())
                return render(
                    "cases/show.html",
                    "cases/_allocations.html",
                    case=case,
                    form=_allocate_form(choices, live_papers(case.id)),
                    choices=choices,
                    paper_defaults=paper_defaults(),
                    just_allocated=message,
                )
            flash(message, "success")
            return redirect_after_post(url_for("cases.show", case_id=case.id))
    case = case_or_404(case_id)
    if wants_fragment():
        return render(
            "cases/show.html",
            "cases/_allocations.html",
            case=case,
            form=form,
            choices=choices,
            paper_defaults=paper_defaults(),
        )
    return case_page(case, form=form, choices=choices)
