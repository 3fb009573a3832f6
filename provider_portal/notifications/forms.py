"""The choices form: a set of radios for each kind of notification on the person's side."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import AnyOf, InputRequired

from provider_portal.forms import options
from provider_portal.models.notifications import DELIVER_DAILY, DELIVER_IMMEDIATELY, DELIVER_OFF
from provider_portal.notifications.kinds import Kind

DELIVERY_CHOICES = options(
    [
        (DELIVER_IMMEDIATELY, "Immediately"),
        (DELIVER_DAILY, "In a daily digest"),
        (DELIVER_OFF, "Off"),
    ]
)


class ChoicesForm(FlaskForm):
    """Built per person by choices_form(): one radio field per kind, named by its key."""

    submit = SubmitField("Save choices", widget=GovSubmitInput())


def choices_form(kinds: list[Kind], current: dict[str, str]) -> ChoicesForm:
    """The form for these kinds, showing the person's current choices until they post."""
    fields = {
        kind.key: RadioField(
            kind.choice,
            widget=GovRadioInput(),
            choices=DELIVERY_CHOICES,
            default=current[kind.key],
            validate_choice=False,
            validators=[
                InputRequired(message=f"Select how you want email about {kind.choice.lower()}"),
                AnyOf(
                    [choice.value for choice in DELIVERY_CHOICES],
                    message=f"Select how you want email about {kind.choice.lower()}",
                ),
            ],
        )
        for kind in kinds
    }
    form_class = type("PersonChoicesForm", (ChoicesForm,), fields)
    form: ChoicesForm = form_class()
    return form
