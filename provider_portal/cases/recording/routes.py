"""Recording a case's timescale exceptions from the case page."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField

from provider_portal.cases import bp
from provider_portal.cases.recording.forms import case_exception_form
from provider_portal.cases.recording.services import (
    FieldError,
    check_exception,
    record_exception,
)
from provider_portal.cases.routes import case_or_404, case_page
from provider_portal.errors import Resubmitted
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, to_id


def show_errors(form: FlaskForm, errors: list[FieldError]) -> None:
    """Put the service's checks on their fields; a field shows its first problem only."""
    for error in errors:
        field = getattr(form, error.field)
        if not field.errors:
            field.errors = [error.message]


def use_govuk_date_wording(form: FlaskForm) -> None:
    for field in form:
        if isinstance(field, DateField):
            field.errors = [
                f"{field.label.text} must be a real date" if e.startswith("Not a valid date") else e
                for e in field.errors
            ]


@bp.route("/<int:case_id>/exceptions", methods=["POST"])
@requires("record_cases")
def record_case_exception(case_id: int) -> Response:
    """Add a timescale exception to the case's ledger."""
    case = case_or_404(case_id)
    form = case_exception_form(case, formdata=True)
    if form.validate_on_submit():
        nonce = posted_nonce(form.nonce)
        allocation_id = to_id(form.allocation.data)
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
            try:
                record_exception(
                    case,
                    reason=form.reason.data or "",
                    allocation=allocation,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    parent_told_on=form.parent_told_on.data,
                    note=form.note.data,
                    actor=current_user,
                    nonce=nonce,
                )
                db.session.commit()
            except Resubmitted:
                db.session.rollback()  # recorded the first time: answered as the first time
            flash(
                "Exception recorded. The letter telling the parent can be produced under "
                "Family letters",
                "success",
            )
            return redirect_after_post(url_for("cases.show", case_id=case_id))
        show_errors(form, errors)
    use_govuk_date_wording(form)
    return case_page(case, exception_form=form)
