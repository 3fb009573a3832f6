"""The administrator's form for one send-back reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import AnyOf, InputRequired, Length, ValidationError

from provider_portal.accounts.forms import strip
from provider_portal.admin.forms import PlainText
from provider_portal.admin.sendback_reasons.services import MAX_LABEL_LENGTH, MAX_ORDER
from provider_portal.forms import options
from provider_portal.web import to_int

APPLIES_TO_CHOICES = options([("plan", "Plans"), ("advice", "Advice")])
APPLIES_TO_LABELS = {"plan": "Plans", "advice": "Advice"}
SELECT_APPLIES_TO = "Select whether the reason is for plans or advice"
ENTER_ORDER = f"Enter the order as a whole number from 0 to {MAX_ORDER}"


class ReasonForm(FlaskForm):
    """A reason's words, the kind of work it is offered for and its place in the list."""

    label = StringField(
        "Reason",
        description=(
            "As the reviewer sees it beside a checkbox, for example ‘Outcomes are not SMART’"
        ),
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the reason"),
            Length(
                max=MAX_LABEL_LENGTH,
                message=f"The reason must be {MAX_LABEL_LENGTH} characters or fewer",
            ),
            PlainText("Enter the reason using letters, numbers, spaces and punctuation only"),
        ],
    )
    applies_to = RadioField(
        "Which work is it offered for?",
        description="Plan reasons are offered for plan writing, advice reasons for advice.",
        widget=GovRadioInput(),
        choices=APPLIES_TO_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(message=SELECT_APPLIES_TO),
            AnyOf([choice.value for choice in APPLIES_TO_CHOICES], message=SELECT_APPLIES_TO),
        ],
    )
    display_order = StringField(
        "Order in the list",
        description="Reasons are listed from the lowest number to the highest.",
        widget=GovTextInput(),
        filters=[strip],
        validators=[InputRequired(message=ENTER_ORDER)],
    )
    submit = SubmitField("Save reason", widget=GovSubmitInput())

    def validate_display_order(self, field: StringField) -> None:
        if to_int(field.data, 0, MAX_ORDER) is None:
            raise ValidationError(ENTER_ORDER)

    def order(self) -> int:
        """The order typed (call after validating)."""
        return to_int(self.display_order.data, 0, MAX_ORDER) or 0
