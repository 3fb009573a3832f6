"""Case list, case page and allocating a case's work."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import wtforms_errors
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response
from wtforms import DateField

from provider_portal import audit
from provider_portal.allocations.services import AllocationError, allocate
from provider_portal.audit_log.queries import seen_by
from provider_portal.cases import bp
from provider_portal.cases.forms import AllocateForm, CaseFilterForm
from provider_portal.cases.record_forms import CaseDatesForm, ExceptionForm
from provider_portal.cases.recording import (
    DATE_FIELDS,
    FieldError,
    StaleCase,
    check_exception,
    record_dates,
    record_exception,
)
from provider_portal.cases.services import get_case, list_cases, work_types
from provider_portal.cases.timeline import milestones
from provider_portal.contracts.allocating import (
    CONTRACT_FIELD,
    ProviderChoice,
    allocation_choices,
    allocation_note,
    choose_contract,
)
from provider_portal.contracts.services import ContractError
from provider_portal.extensions import db
from provider_portal.models import Case, Contract, Provider, WorkType
from provider_portal.permissions import requires
from provider_portal.timescales import LONDON, today
from provider_portal.web import page_number, redirect_after_post, render, wants_fragment


@bp.route("")
@requires("view_cases")
def index() -> Response:
    """Every case, filterable; htmx swaps only the results when a filter changes."""
    form = CaseFilterForm(request.args)
    allocation = form.allocation.data if form.allocation.data in ("unallocated", "open") else ""
    result = list_cases(q=(form.q.data or "")[:200], allocation=allocation, page=page_number())
    return render("cases/index.html", "cases/_results.html", form=form, result=result)


def _allocate_form(choices: list[ProviderChoice]) -> AllocateForm:
    form = AllocateForm()
    form.work_type.choices = [("", "Select the type of work")] + [
        (wt.code, f"{wt.name} ({wt.turnaround_days} days)") for wt in work_types()
    ]
    form.provider.choices = [("", "Select a provider")] + [
        (str(choice.provider.id), choice.provider.name) for choice in choices
    ]
    form.contract.choices = [("", "The provider's only current contract, if it has one")] + [
        (str(cost.contract.id), f"{cost.contract.reference} — {choice.provider.name}")
        for choice in choices
        for cost in choice.contracts
    ]
    return form


def _chosen_contract(
    form: AllocateForm, provider: Provider, choices: list[ProviderChoice]
) -> Contract | None:
    """The contract the work goes under: the one selected, which must be the provider's
    and current, or the provider's only current contract. ContractError names the field."""
    current = {cost.contract.id: cost.contract for c in choices for cost in c.contracts}
    value = form.contract.data or ""
    chosen = current.get(int(value)) if value.isdigit() and len(value) < 12 else None
    if value and chosen is None:
        raise ContractError("Select a current contract", field=CONTRACT_FIELD)
    providers = [
        [cost.contract for cost in c.contracts] for c in choices if c.provider.id == provider.id
    ]
    return choose_contract(provider, today(), chosen, providers[0] if providers else [])


def _case_or_404(case_id: int) -> Case:
    case = get_case(case_id)
    if case is None:
        abort(404)
    return case


def _dates_form(case: Case, formdata: bool = False) -> CaseDatesForm:
    if formdata:
        return CaseDatesForm(prefix="dates")
    return CaseDatesForm(formdata=None, obj=case, prefix="dates", version=str(case.version))


def _exception_form(case: Case, formdata: bool = False) -> ExceptionForm:
    form = (
        ExceptionForm(prefix="exception")
        if formdata
        else ExceptionForm(formdata=None, prefix="exception")
    )
    form.allocation.choices = [("", "Not advice: the 20-week limit")] + [
        (str(a.id), f"{a.work_type.name} from {a.provider.name}") for a in case.allocations
    ]
    return form


def _case_page(case: Case, status: int = 200, **forms: Any) -> Response:
    """The case page with every form; a form with errors replaces its blank twin."""
    dates_form = forms.get("dates_form") or _dates_form(case)
    exception_form = forms.get("exception_form") or _exception_form(case)
    choices = forms.get("choices") or allocation_choices(today())
    allocate_form = forms.get("form") or _allocate_form(choices)
    page_errors: list[dict[str, str]] = []
    for other in (dates_form, exception_form):
        page_errors.extend(wtforms_errors(other)["errorList"] if other.errors else [])
    return render(
        "cases/show.html",
        status=status,
        case=case,
        form=allocate_form,
        choices=choices,
        dates_form=dates_form,
        exception_form=exception_form,
        timeline=milestones(case, today()),
        seen_by=seen_by(case.id),
        anonymised_on=case.anonymised_at.astimezone(LONDON).date() if case.anonymised_at else None,
        page_errors=page_errors,
        conflict=forms.get("conflict", False),
    )


@bp.route("/<int:case_id>")
@requires("view_cases")
def show(case_id: int) -> Response:
    """One child's case: details, statutory timeline, allocations, exceptions and forms."""
    case = _case_or_404(case_id)
    # Recorded before the page is built, so its "seen by" includes this view; committed after
    # rendering (the commit would expire what the page reads) and before the page is sent:
    # an unrecorded view is never shown.
    audit.record("case_viewed", "case", case_id, case_id=case_id)
    response = _case_page(case)
    db.session.commit()
    return response


def _show_errors(form: FlaskForm, errors: list[FieldError]) -> None:
    """Put the service's checks on their fields; a field shows its first problem only."""
    for error in errors:
        field = getattr(form, error.field)
        if not field.errors:
            field.errors = [error.message]


def _use_govuk_date_wording(form: FlaskForm) -> None:
    for field in form:
        if isinstance(field, DateField):
            field.errors = [
                f"{field.label.text} must be a real date" if e.startswith("Not a valid date") else e
                for e in field.errors
            ]


@bp.route("/<int:case_id>/dates", methods=["POST"])
@requires("record_cases")
def record_case_dates(case_id: int) -> Response:
    """Record the decision, draft plan and final plan dates."""
    case = _case_or_404(case_id)
    form = _dates_form(case, formdata=True)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in DATE_FIELDS}
        version = int(form.version.data) if (form.version.data or "").isdigit() else -1
        try:
            errors = record_dates(case, values, version, current_user)
            if not errors:
                db.session.commit()
        except (StaleCase, StaleDataError):
            db.session.rollback()
            case = _case_or_404(case_id)
            return _case_page(case, conflict=True)
        if not errors:
            flash("Dates saved", "success")
            return redirect_after_post(url_for("cases.show", case_id=case_id))
        _show_errors(form, errors)
    _use_govuk_date_wording(form)
    return _case_page(case, dates_form=form)


@bp.route("/<int:case_id>/exceptions", methods=["POST"])
@requires("record_cases")
def record_case_exception(case_id: int) -> Response:
    """Add a timescale exception to the case's ledger."""
    case = _case_or_404(case_id)
    form = _exception_form(case, formdata=True)
    if form.validate_on_submit():
        allocation_id = (
            int(form.allocation.data) if (form.allocation.data or "").isdigit() else None
        )
        errors = check_exception(
            case,
            form.reason.data or "",
            allocation_id,
            form.starts_on.data,
            form.ends_on.data,
            form.parent_told_on.data,
        )
        if not errors:
            allocation = next((a for a in case.allocations if a.id == allocation_id), None)
            record_exception(
                case,
                reason=form.reason.data or "",
                allocation=allocation,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                parent_told_on=form.parent_told_on.data,
                note=form.note.data,
                actor=current_user,
            )
            db.session.commit()
            flash("Exception recorded", "success")
            return redirect_after_post(url_for("cases.show", case_id=case_id))
        _show_errors(form, errors)
    _use_govuk_date_wording(form)
    return _case_page(case, exception_form=form)


@bp.route("/<int:case_id>/allocations", methods=["POST"])
@requires("allocate")
def allocate_work(case_id: int) -> Response:
    """Allocate one type of work on this case to a provider, under a contract if it has one."""
    case = _case_or_404(case_id)
    choices = allocation_choices(today())
    form = _allocate_form(choices)
    if form.validate_on_submit():
        work_type = db.session.query(WorkType).filter_by(code=form.work_type.data).one_or_none()
        provider = db.session.get(Provider, int(form.provider.data or 0))
        if work_type is None or provider is None:
            abort(400)
        try:
            contract = _chosen_contract(form, provider, choices)
            allocation = allocate(case, provider, work_type, actor=current_user, contract=contract)
            message = (
                f"{work_type.name} allocated to {provider.name}, "
                f"due {allocation.due_on.strftime('%-d %B %Y')}. {allocation_note(allocation)}"
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
                case = _case_or_404(case_id)
                choices = allocation_choices(today())
                return render(
                    "cases/show.html",
                    "cases/_allocations.html",
                    case=case,
                    form=_allocate_form(choices),
                    choices=choices,
                    just_allocated=message,
                )
            flash(message, "success")
            return redirect_after_post(url_for("cases.show", case_id=case.id))
    case = _case_or_404(case_id)
    if wants_fragment():
        return render(
            "cases/show.html", "cases/_allocations.html", case=case, form=form, choices=choices
        )
    return _case_page(case, form=form, choices=choices)
