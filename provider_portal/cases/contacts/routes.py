"""Recording the contacts a provider needs for the work on a case."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.cases.contacts.forms import ContactsForm, contacts_form
from provider_portal.cases.contacts.services import update_contacts
from provider_portal.cases.recording.routes import show_errors
from provider_portal.cases.routes import case_or_404
from provider_portal.errors import Resubmitted, StaleCase
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.models import Case
from provider_portal.permissions import requires
from provider_portal.web import MAX_ID, redirect_after_post, render, to_int


def _form_page(form: ContactsForm, case: Case, conflict: bool = False) -> Response:
    return render("cases/contacts/contacts_form.html", form=form, case=case, conflict=conflict)


@bp.route("/<int:case_id>/contacts", methods=["GET", "POST"])
@requires("record_cases")
def edit_contacts(case_id: int) -> Response:
    """Record who the provider may contact for the work: the parent or carer and the SENCo."""
    case = case_or_404(case_id)
    form = ContactsForm(prefix="contacts")
    if not form.is_submitted():
        return _form_page(contacts_form(case), case)
    if not form.validate_on_submit():
        return _form_page(form, case)
    seen_version = to_int(form.version.data, 1, MAX_ID) or 0
    nonce = posted_nonce(form.nonce)
    try:
        errors = update_contacts(
            case, form.contacts(), seen_version, actor=current_user, nonce=nonce
        )
        if errors:
            db.session.rollback()
            show_errors(form, errors)
            return _form_page(form, case)
        db.session.commit()
    except Resubmitted:
        db.session.rollback()  # saved the first time: answered as the first time
    except (StaleCase, StaleDataError):
        db.session.rollback()
        case = case_or_404(case_id)
        return _form_page(contacts_form(case), case, conflict=True)
    flash("Contacts for the work saved", "success")
    return redirect_after_post(url_for("cases.show", case_id=case_id, _anchor="contacts"))
