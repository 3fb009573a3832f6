"""The form a manager adds a case paper with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired

from provider_portal.forms import new_nonce, options
from provider_portal.models import PAPER_KINDS


class PaperForm(FlaskForm):
    """A paper for the case: its kind, a title, and the file."""

    # The service refuses a kind it does not know, with the same message.
    kind = RadioField(
        "What kind of paper is it?",
        widget=GovRadioInput(),
        choices=options(list(PAPER_KINDS.items())),
        validate_choice=False,
        validators=[InputRequired(message="Select what kind of paper this is")],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="For example, EP request form. Providers see it with the file.",
        validators=[InputRequired(message="Enter a title for the paper")],
    )
    file = FileField(
        "Upload the file",
        widget=GovFileInput(),
        description="PDF, Word document (.docx), or a JPEG or PNG image of a scanned form",
        validators=[FileRequired(message="Select a file to upload")],
    )
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Add paper", widget=GovSubmitInput())


def paper_form() -> PaperForm:
    """A blank paper form, its nonce drawn with the page."""
    form = PaperForm(formdata=None, prefix="paper")
    form.nonce.data = new_nonce()
    return form
