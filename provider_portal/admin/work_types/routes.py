"""Work types for the administrator: the list, and whether each is advice under reg 8."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.admin import bp
from provider_portal.admin.routes import found
from provider_portal.admin.work_types.forms import WorkTypeForm
from provider_portal.admin.work_types.services import all_work_types, set_advice
from provider_portal.errors import PaperError, Resubmitted
from provider_portal.extensions import db
from provider_portal.forms import new_nonce, posted_nonce
from provider_portal.models import PAPER_KINDS, WorkType
from provider_portal.papers.services import default_kinds, set_default_kinds
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, render


@bp.route("/work-types")
@requires("manage_accounts")
def work_types() -> Response:
    """Every work type, its turnaround and whether it is advice under reg 8."""
    return render("admin/work_types/work_types.html", work_types=all_work_types())


@bp.route("/work-types/<int:work_type_id>", methods=["GET", "POST"])
@requires("manage_accounts")
def work_type(work_type_id: int) -> Response:
    """Say whether one work type is advice under reg 8, and which papers go with it."""
    chosen = found(db.session.get(WorkType, work_type_id))
    form = WorkTypeForm()
    if form.validate_on_submit():
        try:
            set_advice(
                chosen,
                form.is_advice.data == "yes",
                actor=current_user,
                nonce=posted_nonce(form.nonce),
            )
            set_default_kinds(chosen, form.paper_kinds.data or [], actor=current_user)
            db.session.commit()
        except Resubmitted:
            db.session.rollback()  # saved the first time: answered as the first time
        except PaperError as error:
            db.session.rollback()
            form.paper_kinds.errors = [error.message]
            return render("admin/work_types/work_type.html", form=form, work_type=chosen)
        flash(f"{chosen.name} saved", "success")
        return redirect_after_post(url_for("admin.work_types"))
    if not form.is_submitted():
        form.is_advice.data = "yes" if chosen.is_advice else "no"
        form.paper_kinds.data = [k for k in PAPER_KINDS if k in default_kinds(chosen.id)]
        form.nonce.data = new_nonce()
    return render("admin/work_types/work_type.html", form=form, work_type=chosen)
