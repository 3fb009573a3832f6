"""The forms for uploading cases or an allocation log, and for saying which column is which."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import AnyOf, InputRequired

from provider_portal.forms import options
from provider_portal.imports.columns import Column

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
    nonce = HiddenField()  # imported once: provider_portal.submissions
    submit = SubmitField("Import", widget=GovSubmitInput())


class ColumnsForm(FlaskForm):
    """Which of the file's columns is each required column the portal could not match, and the
    file again (it is not kept between the steps). The questions are added per file by
    columns_form; the header row travels in the form, the file's rows never do."""

    kind = HiddenField()
    create_missing_providers = HiddenField()
    headers = HiddenField()
    file = FileField(
        "Upload the file again",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select the file again")],
        description="The same file: it is read again with your answers and is not kept",
    )
    nonce = HiddenField()  # imported once: provider_portal.submissions
    submit = SubmitField("Import", widget=GovSubmitInput())

    def questions(self) -> list[SelectField]:
        """The question fields, in the order they were added."""
        return [field for field in self if field.name.startswith(QUESTION_PREFIX)]


QUESTION_PREFIX = "column_"


def columns_form(
    questions: list[Column], choices: list[str], formdata: bool = False, **data: str
) -> ColumnsForm:
    """A ColumnsForm asking one question per column, answered from the file's headers."""

    class AskedColumnsForm(ColumnsForm):
        pass

    values = [header for header in choices]
    for column in questions:
        message = f"Select which of your columns is the {column.label.lower()}"
        setattr(
            AskedColumnsForm,
            QUESTION_PREFIX + column.name,
            SelectField(
                column.question,
                widget=GovSelect(),
                choices=options([("", "Select a column"), *((h, h) for h in values)]),
                validate_choice=False,
                default="",
                validators=[InputRequired(message=message), AnyOf(values, message=message)],
            ),
        )
    if formdata:
        return AskedColumnsForm()
    return AskedColumnsForm(formdata=None, **data)
