"""Forms a provider user fills in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField


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
