"""Forms a provider user fills in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length


class UploadForm(FlaskForm):
    """Upload the completed work: a PDF or Word document."""

    document = FileField(
        "Upload the completed work",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a PDF or Word document to upload")],
        description="PDF or Word document (.docx)",
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class ReturnForm(FlaskForm):
    """Mark the work returned (the button is the whole form)."""

    submit = SubmitField("Mark as returned to the council", widget=GovSubmitInput())


class ProviderAcceptForm(FlaskForm):
    """The provider takes the work on (the button is the whole form)."""

    submit = SubmitField("Accept this work", widget=GovSubmitInput())


class DeclineForm(FlaskForm):
    """The provider turns the work down, saying why."""

    reason = TextAreaField(
        "Why are you declining this work?",
        widget=GovTextArea(),
        description="The council will see this. Do not include the child's name.",
        validators=[
            InputRequired(message="Enter why you are declining this work"),
            Length(max=2000, message="Why you are declining must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Decline this work", widget=GovSubmitInput())


class AssignForm(FlaskForm):
    """Who in the provider does the work.

    Choices are the organisation's active people; the service checks the person again, so a
    hand-made request naming anyone else fails with the same message.
    """

    assigned_to = SelectField(
        "Who will do this work?",
        widget=GovSelect(),
        validators=[InputRequired(message="Select who will do this work")],
        validate_choice=False,
    )
    submit = SubmitField("Assign", widget=GovSubmitInput())
