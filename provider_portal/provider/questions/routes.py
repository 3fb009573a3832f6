"""The provider asks the council a question on its work (see allocations/questions/)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.allocations.questions.forms import MessageForm
from provider_portal.allocations.questions.routes import post_message
from provider_portal.allocations.questions.services import ask_question
from provider_portal.permissions import provider_allocation_or_404, requires
from provider_portal.provider import bp
from provider_portal.provider.routes import _context, _load
from provider_portal.web import render


@bp.route("/allocations/<int:allocation_id>/questions", methods=["POST"])
@requires("provider_work")
def ask(allocation_id: int) -> Response:
    """Ask the council a question on this work; it waits on the council's lists until answered."""
    allocation = provider_allocation_or_404(allocation_id)

    def page(form: MessageForm) -> Response:
        context = _context(_load(allocation_id), question_form=form)
        return render("provider/show.html", "provider/_questions.html", **context)

    return post_message(
        MessageForm(prefix="message"),
        lambda body, nonce: ask_question(allocation, body, actor=current_user, nonce=nonce),
        (
            url_for("provider.show", allocation_id=allocation_id, _anchor="questions"),
            "Question sent to the council",
        ),
        page,
    )
