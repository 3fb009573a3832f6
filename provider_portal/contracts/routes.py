"""Contract pages: the list with headroom, one contract, letting one and changing it."""

from __future__ import annotations

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from provider_portal.contracts import bp
from provider_portal.contracts.forms import (
    ContractFilterForm,
    EditContractForm,
    NewContractForm,
    PriceForm,
    TurnaroundForm,
    VariationForm,
)
from provider_portal.contracts.money import ZERO
from provider_portal.contracts.queries import (
    Headroom,
    contract_value,
    get_contract,
    headroom,
    headrooms,
    list_contracts,
    price_schedule,
    turnaround_targets,
    value_history,
)
from provider_portal.contracts.services import (
    add_variation,
    create_contract,
    set_price,
    set_turnaround,
    update_contract,
)
from provider_portal.errors import ContractError, StaleContract
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date
from provider_portal.forms import options
from provider_portal.models import Contract, ContractStatus, Provider, WorkType
from provider_portal.permissions import requires
from provider_portal.timescales import today
from provider_portal.web import redirect_after_post, render, to_id


def _providers(active_only: bool = False) -> list[Provider]:
    query = select(Provider).order_by(func.lower(Provider.name))
    if active_only:
        query = query.where(Provider.active.is_(True))
    return list(db.session.scalars(query))


def _work_types() -> list[WorkType]:
    return list(db.session.scalars(select(WorkType).order_by(WorkType.name)))


def _contract_or_404(contract_id: int) -> Contract:
    contract = get_contract(contract_id)
    if contract is None:
        abort(404)
    return contract


def _show_url(contract_id: int) -> str:
    return url_for("contracts.show", contract_id=contract_id)


@bp.route("")
@requires("view_contracts")
def index() -> Response:
    """Every contract with its value, spend and headroom today; filterable by provider and
    status, the results swapped in by htmx."""
    form = ContractFilterForm(request.args)
    providers = _providers()
    form.provider.choices = options(
        [("", "Any provider")] + [(str(p.id), p.name) for p in providers]
    )
    provider_id = to_id(form.provider.data)
    contracts = list_contracts(provider_id=provider_id, status=form.status.data or "")
    as_of = today()
    figures = headrooms(as_of, [c.id for c in contracts])
    return render(
        "contracts/index.html",
        "contracts/_results.html",
        form=form,
        contracts=contracts,
        figures=figures,
        as_of=as_of,
        total=_total(list(figures.values())),
    )


def _total(rows: list[Headroom]) -> Headroom | None:
    """The sums of the listed contracts' figures (each already a SQL aggregate)."""
    if len(rows) < 2:
        return None
    return Headroom(
        value=sum((row.value for row in rows), ZERO),
        actual=sum((row.actual for row in rows), ZERO),
        committed=sum((row.committed for row in rows), ZERO),
        uncosted=sum(row.uncosted for row in rows),
    )


def _new_form() -> NewContractForm:
    form = NewContractForm()
    form.provider.choices = options(
        [("", "Select the provider")] + [(str(p.id), p.name) for p in _providers(active_only=True)]
    )
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires("manage_contracts")
def new() -> Response:
    """Let a contract with a provider: reference, dates, value and targets."""
    form = _new_form()
    if form.validate_on_submit():
        provider = db.session.get(Provider, int(form.provider.data or 0))
        if provider is None:
            abort(400)
        try:
            contract = create_contract(
                reference=form.reference.data or "",
                title=form.title.data or "",
                provider=provider,
                start_on=form.start_on.data,
                end_on=form.end_on.data,
                original_value=form.original_value.amount,
                monthly_volume=form.monthly_volume.data,
                on_time_target_percent=form.on_time_target_percent.data,
                max_rework_percent=form.max_rework_percent.data,
                stated_monthly_capacity=form.stated_monthly_capacity.data,
                quality_check=form.quality_check.data == "yes",
                actor=current_user,
            )
            db.session.commit()
        except ContractError as error:
            db.session.rollback()
            form.show(error, "reference")
        except IntegrityError:
            # Another person added the same reference a moment ago.
            db.session.rollback()
            form.reference.errors = [
                f"A contract with reference {form.reference.data} already exists"
            ]
        else:
            flash(
                f"Contract {contract.reference} with {provider.name} has been added. "
                "Add its prices next.",
                "success",
            )
            return redirect_after_post(_show_url(contract.id))
    return render("contracts/new.html", form=form)


@bp.route("/<int:contract_id>")
@requires("view_contracts")
def show(contract_id: int) -> Response:
    """One contract: details, headroom today, prices, variations, targets and turnarounds."""
    contract = _contract_or_404(contract_id)
    as_of = today()
    pack_url = (
        url_for("reports.pack", contract=contract.reference)
        if "reports.pack" in current_app.view_functions
        else None
    )
    return render(
        "contracts/show.html",
        contract=contract,
        as_of=as_of,
        figures=headroom(contract, as_of),
        prices=price_schedule(contract, as_of),
        history=value_history(contract),
        current_value=contract_value(contract),
        turnarounds=turnaround_targets(contract, _work_types()),
        pack_url=pack_url,
    )


def _edit_form(contract: Contract) -> EditContractForm:
    """The edit form filled in from the contract as it is now."""
    form = EditContractForm(
        formdata=None,
        obj=contract,
        status=contract.status.value,
        version=str(contract.version),
    )
    # The contract's True or False, as the radios' "yes" or "no" (obj would give the bool).
    form.quality_check.data = "yes" if contract.quality_check else "no"
    return form


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@requires("manage_contracts")
def edit(contract_id: int) -> Response:
    """Change the title, dates, status and targets; an older copy saved late changes nothing."""
    contract = _contract_or_404(contract_id)
    if request.method == "GET":
        return render(
            "contracts/edit.html", form=_edit_form(contract), contract=contract, conflict=False
        )
    form = EditContractForm()
    if form.validate_on_submit():
        try:
            changed = update_contract(
                contract,
                title=form.title.data or "",
                start_on=form.start_on.data,
                end_on=form.end_on.data,
                status=ContractStatus(form.status.data),
                monthly_volume=form.monthly_volume.data,
                on_time_target_percent=form.on_time_target_percent.data,
                max_rework_percent=form.max_rework_percent.data,
                stated_monthly_capacity=form.stated_monthly_capacity.data,
                quality_check=form.quality_check.data == "yes",
                expected_version=form.expected_version(),
                actor=current_user,
            )
            db.session.commit()
        except StaleContract:
            db.session.rollback()
            contract = _contract_or_404(contract_id)
            return render(
                "contracts/edit.html", form=_edit_form(contract), contract=contract, conflict=True
            )
        except ContractError as error:
            db.session.rollback()
            form.show(error, "title")
        else:
            if changed:
                flash(f"Contract {contract.reference} has been updated", "success")
            else:
                flash("Nothing was changed", "info")
            return redirect_after_post(_show_url(contract.id))
    return render("contracts/edit.html", form=form, contract=contract, conflict=False)


def _work_type_choices(form: PriceForm | TurnaroundForm, types: list[WorkType]) -> None:
    form.work_type.choices = options(
        [("", "Select the type of work")] + [(wt.code, wt.name) for wt in types]
    )


@bp.route("/<int:contract_id>/prices/new", methods=["GET", "POST"])
@requires("manage_contracts")
def new_price(contract_id: int) -> Response:
    """A unit price for a work type from a date; work allocated earlier keeps its price."""
    contract = _contract_or_404(contract_id)
    types = _work_types()
    form = PriceForm()
    _work_type_choices(form, types)
    if form.validate_on_submit():
        work_type = next(wt for wt in types if wt.code == form.work_type.data)
        try:
            set_price(
                contract,
                work_type,
                form.unit_price.amount,
                form.effective_from.data,
                actor=current_user,
            )
            db.session.commit()
        except ContractError as error:
            db.session.rollback()
            form.show(error, "unit_price")
        except IntegrityError:
            db.session.rollback()
            form.effective_from.errors = [
                f"There is already a price for {work_type.name.lower()} from "
                f"{long_date(form.effective_from.data)}"
            ]
        else:
            flash(
                f"{work_type.name}: {format_money(form.unit_price.data)} for work allocated "
                f"from {long_date(form.effective_from.data)}",
                "success",
            )
            return redirect_after_post(_show_url(contract.id))
    as_of = today()
    return render(
        "contracts/new_price.html",
        form=form,
        contract=contract,
        as_of=as_of,
        prices=price_schedule(contract, as_of),
    )


@bp.route("/<int:contract_id>/variations/new", methods=["GET", "POST"])
@requires("manage_contracts")
def new_variation(contract_id: int) -> Response:
    """Record an approved change to the contract's value."""
    contract = _contract_or_404(contract_id)
    form = VariationForm()
    if form.validate_on_submit():
        try:
            add_variation(
                contract,
                amount=form.amount.amount,
                approved_on=form.approved_on.data,
                reason=form.reason.data or "",
                approval_reference=form.approval_reference.data or "",
                actor=current_user,
            )
            db.session.commit()
        except ContractError as error:
            db.session.rollback()
            form.show(error, "amount")
        else:
            contract = _contract_or_404(contract_id)
            flash(
                f"Variation of {format_money(form.amount.data)} recorded. "
                f"The value of contract {contract.reference} is now "
                f"{format_money(contract_value(contract))}",
                "success",
            )
            return redirect_after_post(_show_url(contract.id))
    return render(
        "contracts/new_variation.html",
        form=form,
        contract=contract,
        current_value=contract_value(contract),
    )


@bp.route("/<int:contract_id>/turnarounds", methods=["GET", "POST"])
@requires("manage_contracts")
def turnarounds(contract_id: int) -> Response:
    """Set the contract's turnaround target for a work type."""
    contract = _contract_or_404(contract_id)
    types = _work_types()
    form = TurnaroundForm()
    _work_type_choices(form, types)
    if form.validate_on_submit():
        work_type = next(wt for wt in types if wt.code == form.work_type.data)
        try:
            set_turnaround(contract, work_type, form.days.number, actor=current_user)
            db.session.commit()
        except ContractError as error:
            db.session.rollback()
            form.show(error, "days")
        except IntegrityError:
            # Someone else set the first target for this work type a moment ago.
            db.session.rollback()
            form.days.errors = [
                f"Someone else set the turnaround for {work_type.name.lower()} a moment ago. "
                "Check it below and save yours again."
            ]
        else:
            flash(
                f"{work_type.name}: turnaround target set to {form.days.data} days "
                f"under contract {contract.reference}",
                "success",
            )
            return redirect_after_post(_show_url(contract.id))
    return render(
        "contracts/turnarounds.html",
        form=form,
        contract=contract,
        turnarounds=turnaround_targets(contract, types),
    )
