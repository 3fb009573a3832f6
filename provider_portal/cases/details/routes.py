"""Adding a case by hand and changing its details."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.cases.details.forms import CaseDetailsForm, edit_case_form, new_case_form
from provider_portal.cases.details.services import CaseDetails, create_case, update_case
from provider_portal.cases.recording.routes import show_errors, use_govuk_date_wording
from provider_portal.cases.routes import case_or_404
from provider_portal.errors import Resubmitted, StaleCase
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.models import Case
from provider_portal.permissions import requires
from provider_portal.web import MAX_ID, redirect_after_post, render, to_int


def _details(form: CaseDetailsForm) -> CaseDetails:
    assert form.date_of_birth.data and form.request_received_on.data  # validated
    return CaseDetails(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        date_of_birth=form.date_of_birth.data,
        request_received_on=form.request_received_on.data,
        year_group=form.year_group.data or None,
        setting=form.setting.data or None,
        setting_type=form.setting_type.data or None,
        looked_after=form.looked_after.data == "yes",
    )


def _form_page(form: CaseDetailsForm, case: Case | None, conflict: bool = False) -> Response:
    use_govuk_date_wording(form)
    return render("cases/details/case_form.html", form=form, case=case, conflict=conflict)


@bp.route("/new", methods=["GET", "POST"])
@requires("record_cases")
def new_case() -> Response:
    """Add a case by hand: the child, the request and the setting."""
    if not CaseDetailsForm(prefix="case").is_submitted():
        return _form_page(new_case_form(), None)
    form = CaseDetailsForm(prefix="case")
    if form.validate_on_submit():
        ref = form.case_ref.data or ""
        try:
            created = create_case(
                ref, _details(form), actor=current_user, nonce=posted_nonce(form.nonce)
            )
        except Resubmitted:
            db.session.rollback()  # saved the first time: answered as the first time
            return redirect_after_post(url_for("cases.index"))
        if isinstance(created, Case):
            db.session.commit()
            flash(f"Case {created.case_ref} added", "success")
            return redirect_after_post(url_for("cases.show", case_id=created.id))
        db.session.rollback()
        show_errors(form, created)
    return _form_page(form, None)


@bp.route("/<int:case_id>/details", methods=["GET", "POST"])
@requires("record_cases")
def edit_case(case_id: int) -> Response:
    """Change a case's details; a copy someone else saved meanwhile is shown, not overwritten."""
    case = case_or_404(case_id)
    form = CaseDetailsForm(prefix="case")
    if not form.is_submitted():
        return _form_page(edit_case_form(case), case)
    # The reference is not changed here: the form carries it only for a new case.
    form.case_ref.validators = []
    if form.validate_on_submit():
        try:
            errors = update_case(
                case,
                _details(form),
                to_int(form.version.data, 1, MAX_ID) or 0,
                actor=current_user,
                nonce=posted_nonce(form.nonce),
            )
            if not errors:
                db.session.commit()
        except Resubmitted:
            db.session.rollback()
            errors = []
        except (StaleCase, StaleDataError):
            db.session.rollback()
            case = case_or_404(case_id)
            return _form_page(edit_case_form(case), case, conflict=True)
        if not errors:
            flash("Case details saved", "success")
            return redirect_after_post(url_for("cases.show", case_id=case_id))
        db.session.rollback()
        show_errors(form, errors)
    return _form_page(form, case)
