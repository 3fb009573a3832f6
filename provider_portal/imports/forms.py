"""The form for uploading cases or an allocation log."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.validators import AnyOf, InputRequired

from provider_portal.forms import options

KINDS = [("cases", "Cases"), ("allocations", "An allocation log")]


class ImportForm(FlaskForm):
    """What the file holds, the file, and whether unknown providers may be created."""

    # validate_choice is off so a missing answer gives our wording, not "Not a valid choice".
    kind = RadioField(
        "What does the file contain?",
        widget=GovRadioInput(),
        choices=options(KINDS),
        validate_choice=False,
        validators=[
            InputRequired(message="Select what the file contains"),
            AnyOf([value for value, _ in KINDS], message="Select what the file contains"),
        ],
    )
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a CSV or Excel file")],
        description="A CSV file (.csv) or an Excel workbook (.xlsx) with a header row",
    )
    create_missing_providers = BooleanField(
        "Create providers that do not exist yet",
        widget=GovCheckboxInput(),
        description="Otherwise a provider the portal does not know is a problem in the file",
    )
    submit = SubmitField("Import", widget=GovSubmitInput())
