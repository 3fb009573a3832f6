"""Family letter templates for the administrator: the list, and editing one's wording."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.admin import bp
from provider_portal.admin.letters.forms import LetterTemplateForm
from provider_portal.admin.letters.services import (
    TemplateView,
    letter_template,
    letter_templates,
    save_template,
)
from provider_portal.errors import Conflict, LetterError, Resubmitted
from provider_portal.extensions import db
from provider_portal.forms import new_nonce, posted_nonce
from provider_portal.letters import PLACEHOLDERS
from provider_portal.permissions import requires
from provider_portal.web import MAX_ID, redirect_after_post, render, to_int

KINDS = "any(work_accepted, exception_parent_told)"


@bp.route("/letter-templates")
@requires("manage_accounts")
def letter_templates_list() -> Response:
    """The family letters and their current titles."""
    return render("admin/letters/templates.html", templates=letter_templates())


def _fresh_form(current: TemplateView) -> LetterTemplateForm:
    return LetterTemplateForm(
        formdata=None,
        title=current.title,
        body=current.body,
        version=str(current.version),
        nonce=new_nonce(),
    )


@bp.route(f"/letter-templates/<{KINDS}:letter_kind>", methods=["GET", "POST"])
@requires("manage_accounts")
def letter_template_edit(letter_kind: str) -> Response:
    """Change a family letter's wording; its placeholders are checked before it is saved."""
    current = letter_template(letter_kind)
    form = LetterTemplateForm()
    conflict = False
    if form.validate_on_submit():
        try:
            save_template(
                letter_kind,
                form.title.data or "",
                form.body.data or "",
                seen_version=to_int(form.version.data, 0, MAX_ID) or 0,
                actor=current_user,
                nonce=posted_nonce(form.nonce),
            )
            db.session.commit()
        except Resubmitted:
            db.session.rollback()  # saved the first time: answered as the first time
        except LetterError as error:
            db.session.rollback()
            getattr(form, error.field or "body").errors = [error.message]
        except Conflict:
            db.session.rollback()
            conflict = True
            form = _fresh_form(letter_template(letter_kind))
        if not form.errors and not conflict:
            flash(f"{current.label}: letter saved", "success")
            return redirect_after_post(url_for("admin.letter_templates_list"))
    elif not form.is_submitted():
        form = _fresh_form(current)
    return render(
        "admin/letters/template.html",
        form=form,
        template=current,
        placeholders=PLACEHOLDERS[letter_kind],
        conflict=conflict,
    )
