"""Forms for finding cases and allocating their work."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional

from provider_portal.forms import options


class CaseFilterForm(FlaskForm):
    """Filters on the case list (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField(
        "Case reference or child's name", widget=GovTextInput(), validators=[Optional()]
    )
    allocation = SelectField(
        "Allocation",
        widget=GovSelect(),
        choices=options(
            [
                ("", "All cases"),
                ("unallocated", "Nothing open with a provider"),
                ("open", "Work open with a provider"),
            ]
        ),
        validators=[Optional()],
        default="",
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class AllocateForm(FlaskForm):
    """Choose the work type and the provider for one case."""

    work_type = SelectField(
        "Type of work",
        widget=GovSelect(),
        coerce=str,
        validators=[InputRequired(message="Select the type of work")],
    )
    provider = SelectField(
        "Provider",
        widget=GovSelect(),
        coerce=str,
        validators=[InputRequired(message="Select a provider")],
    )
    # Checked in the route against the provider chosen and its current contracts.
    contract = SelectField(
        "Contract",
        description="Needed only when the provider has more than one current contract",
        widget=GovSelect(),
        coerce=str,
        validate_choice=False,
        validators=[Optional()],
        default="",
    )
    # Which case papers go with the work: the kinds its work type needs, or exactly the ones
    # ticked (the route keeps only the case's own live papers among them).
    papers_choice = RadioField(
        "Which case papers go with the work?",
        widget=GovRadioInput(),
        choices=options(
            [
                ("default", "The papers this type of work needs"),
                ("chosen", "Only the papers I tick below"),
            ]
        ),
        validators=[Optional()],
        default="default",
    )
    papers = SelectMultipleField(
        "Papers to share",
        widget=GovCheckboxesInput(),
        validate_choice=False,
        validators=[Optional()],
        default=[],
    )
    submit = SubmitField("Allocate", widget=GovSubmitInput())
