"""The form that posts to a question thread: the provider's question or the council's answer."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from provider_portal.accounts.forms import strip
from provider_portal.allocations.questions.queries import thread
from provider_portal.allocations.questions.services import MAX_MESSAGE
from provider_portal.forms import new_nonce
from provider_portal.models import Allocation


class MessageForm(FlaskForm):
    """One message; the label and button say whether it asks or answers."""

    body = TextAreaField(
        "Your message",
        widget=GovTextArea(),
        filters=[strip],
        description="Do not include the child's name: the case reference is enough.",
        validators=[
            InputRequired(message="Enter your message"),
            Length(
                max=MAX_MESSAGE,
                message=f"Your message must be {MAX_MESSAGE:,} characters or fewer",
            ),
        ],
    )
    nonce = HiddenField()  # posted once: provider_portal.submissions
    submit = SubmitField("Send", widget=GovSubmitInput())


def message_form(from_council: bool, form: MessageForm | None = None) -> MessageForm:
    """A blank form with a fresh nonce, or the posted one with its errors, labelled."""
    if form is None:
        form = MessageForm(formdata=None, prefix="message", nonce=new_nonce())
    form.body.label.text = "Your answer" if from_council else "Your question for the council"
    form.submit.label.text = "Send the answer" if from_council else "Send the question"
    return form


def questions_context(
    allocation: Allocation, from_council: bool, form: MessageForm | None = None
) -> dict[str, Any]:
    """What a work page needs for its question thread: the messages and, where the reader may
    post, the form (the provider's only while the work is open)."""
    may_post = from_council or allocation.is_open or form is not None
    return {
        "messages": thread(allocation.id),
        "question_form": message_form(from_council, form) if may_post else None,
    }
