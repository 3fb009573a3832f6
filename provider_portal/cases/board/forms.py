"""Forms on the backlog board: the filters (GET) and the bulk allocation (POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Optional

from provider_portal.cases.board.queries import FLAGS, OVERDUE_BANDS
from provider_portal.forms import KeptCheckboxes, KeptSelect, KeptSubmit, options
from provider_portal.models import PAPER_KINDS

WINDOW_CHOICES = options(
    [("0", "Only overdue"), ("2", "2 weeks"), ("4", "4 weeks"), ("8", "8 weeks")]
)


class BoardFilterForm(FlaskForm):
    """Filters; a GET form, so links to a filtered board can be shared and bookmarked.

    Its choices are drawn once a process for each choice made (forms.KeptSelect); the two
    boxes people type in are drawn each time.
    """

    class Meta:
        csrf = False

    q = StringField(
        "Case reference or child's name", widget=GovTextInput(), validators=[Optional()]
    )
    unallocated = SelectField(
        "Not yet allocated for", widget=KeptSelect(), validators=[Optional()], default=""
    )
    flags = SelectMultipleField(
        "Priority",
        widget=KeptCheckboxes(),
        choices=options(list(FLAGS.items())),
        validators=[Optional()],
    )
    setting = StringField("Setting", widget=GovTextInput(), validators=[Optional()])
    band = SelectField(
        "Overdue by",
        widget=KeptSelect(),
        choices=options([("", "Any")] + [(value, label) for value, label, _, _ in OVERDUE_BANDS]),
        validators=[Optional()],
        default="",
    )
    provider = SelectField(
        "With provider", widget=KeptSelect(), validators=[Optional()], default=""
    )
    window = SelectField(
        "Include cases due within",
        widget=KeptSelect(),
        choices=WINDOW_CHOICES,
        validators=[Optional()],
        default="4",
    )
    submit = SubmitField("Apply filters", widget=KeptSubmit())


class BulkAllocateForm(FlaskForm):
    """The work type and provider for the cases ticked on the board."""

    work_type = SelectField(
        "Type of work",
        widget=KeptSelect(),
        validators=[InputRequired(message="Select the type of work")],
    )
    provider = SelectField(
        "Provider", widget=KeptSelect(), validators=[InputRequired(message="Select a provider")]
    )
    submit = SubmitField("Continue", widget=KeptSubmit())


class ConfirmForm(FlaskForm):
    """Confirm on the check-your-answers page: the contract, if the provider has several,
    and approval when the allocation costs more than the contract has left.

    Both are checked again in the route against the figures on confirming, not against the
    choices the page offered, which may have changed since.
    """

    contract = RadioField(
        "Which contract does this work go under?",
        widget=GovRadioInput(),
        validate_choice=False,
        choices=[],
    )
    approved = BooleanField(
        "I have approval to exceed the contract value", widget=GovCheckboxInput()
    )
    # Applied to every case: each case's papers of the kinds ticked go with its work (the
    # page starts with the work type's default kinds ticked). Unknown values are ignored.
    paper_kinds = SelectMultipleField(
        "Which case papers go with the work?",
        widget=GovCheckboxesInput(),
        choices=options(list(PAPER_KINDS.items())),
        validate_choice=False,
        validators=[Optional()],
        default=[],
    )
    submit = SubmitField("Allocate", widget=GovSubmitInput())
