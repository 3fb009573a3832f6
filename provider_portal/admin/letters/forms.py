"""The administrator's form for a family letter's wording."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length


class LetterTemplateForm(FlaskForm):
    """A letter's title and body, with the version the edit started from."""

    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the letter's title"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
    )
    body = TextAreaField(
        "Letter",
        widget=GovTextArea(),
        description="Leave a blank line between paragraphs.",
        validators=[
            InputRequired(message="Enter the letter"),
            Length(max=5000, message="The letter must be 5,000 characters or fewer"),
        ],
    )
    version = HiddenField()  # the version the edit started from: provider_portal.admin.letters
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Save", widget=GovSubmitInput())
