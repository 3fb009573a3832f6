"""Posting to a question thread: the council's answer here, the provider's question in
provider/questions.py; both through post_message."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.allocations import bp
from provider_portal.allocations.questions.forms import MessageForm
from provider_portal.allocations.questions.services import answer_question
from provider_portal.allocations.routes import _allocation_or_404, _review_context
from provider_portal.errors import AllocationError, Resubmitted
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, render


def post_message(
    form: MessageForm,
    post: Callable[[str, str], object],
    done: tuple[str, str],
    page: Callable[[MessageForm], Response],
) -> Response:
    """Validate the form, post it once (its nonce), commit; on a refusal, the page again with
    the message on the box. done is (where to go next, what to tell the person)."""
    if form.validate_on_submit():
        try:
            post(form.body.data or "", posted_nonce(form.nonce))
            db.session.commit()
        except Resubmitted:
            db.session.rollback()  # posted the first time: answered as the first time
        except AllocationError as error:
            db.session.rollback()
            form.body.errors = [error.message]
            return page(form)
        url, message = done
        flash(message, "success")
        return redirect_after_post(url)
    return page(form)


@bp.route("/<int:allocation_id>/questions", methods=["POST"])
@requires("review_work")
def answer(allocation_id: int) -> Response:
    """The council answers the provider's question on this work."""
    allocation = _allocation_or_404(allocation_id)

    def page(form: MessageForm) -> Response:
        context = _review_context(_allocation_or_404(allocation_id), question_form=form)
        return render("allocations/show.html", "allocations/_questions.html", **context)

    return post_message(
        MessageForm(prefix="message"),
        lambda body, nonce: answer_question(allocation, body, actor=current_user, nonce=nonce),
        (
            url_for("allocations.show", allocation_id=allocation_id, _anchor="questions"),
            "Answer sent to the provider",
        ),
        page,
    )
