"""Forms for administering accounts, providers and a provider's team."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from provider_portal.accounts.forms import email_field, strip
from provider_portal.accounts.rules import (
    MAX_NAME_LENGTH,
    PERSON_NAME,
    PROVIDER_NAME,
    NameRule,
    has_control_characters,
)
from provider_portal.forms import offered, options
from provider_portal.models import Role

ROLE_CHOICES = options([(role.value, role.label) for role in Role])
STATUS_CHOICES = options(
    [
        ("", "Any status"),
        ("active", "Active"),
        ("invited", "Invited"),
        ("deactivated", "Deactivated"),
    ]
)
SELECT_ROLE = "Select the person’s role"
SELECT_PROVIDER = "Select the provider the person works for"
NO_PROVIDER = "Select ‘None’ for council staff: only provider roles belong to a provider"


class PlainText:
    """Refuse control characters (PostgreSQL cannot store NUL; none belong in a name)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and has_control_characters(field.data):
            raise ValidationError(self.message)


def name_field(label: str, rule: NameRule) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message=rule.required),
            Length(max=MAX_NAME_LENGTH, message=rule.too_long),
            PlainText(rule.plain),
        ],
    )


class UserFilterForm(FlaskForm):
    """Filters on the accounts list (GET)."""

    class Meta:
        csrf = False

    role = SelectField(
        "Role",
        widget=GovSelect(),
        choices=options([("", "Any role")] + ROLE_CHOICES),
        validators=[Optional()],
        default="",
    )
    provider = SelectField("Provider", widget=GovSelect(), validators=[Optional()], default="")
    status = SelectField(
        "Status", widget=GovSelect(), choices=STATUS_CHOICES, validators=[Optional()], default=""
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())


class InvitePractitionerForm(FlaskForm):
    """A provider administrator invites a practitioner: only a name and an email address.

    The role and the organisation are never read from the request.
    """

    name = name_field("Full name", PERSON_NAME)
    email = email_field(
        "Email address",
        "Enter the person’s email address",
        "The invitation is sent here. It should be the person’s own work address.",
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class InviteUserForm(InvitePractitionerForm):
    """An administrator invites anyone: a name, an email address, a role and maybe a provider."""

    # validate_choice is off so a missing answer gives our wording, not "Not a valid choice".
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=ROLE_CHOICES,
        validate_choice=False,
        validators=[
            InputRequired(message=SELECT_ROLE),
            AnyOf([choice.value for choice in ROLE_CHOICES], message=SELECT_ROLE),
        ],
    )
    provider = SelectField(
        "Provider",
        widget=GovSelect(),
        validate_choice=False,
        default="",
        description="Only for provider administrators and practitioners",
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def validate_provider(self, field: SelectField) -> None:
        """Provider roles need one of the active providers; council roles have none."""
        if self.role.data not in {r.value for r in Role}:
            return
        chosen = field.data or ""
        if Role(self.role.data).is_provider:
            if chosen not in offered(field) - {""}:
                raise ValidationError(SELECT_PROVIDER)
        elif chosen:
            raise ValidationError(NO_PROVIDER)


class ProviderForm(FlaskForm):
    """Add a provider: its name and, if the council has one, a contact email address."""

    name = name_field("Name of the provider", PROVIDER_NAME)
    contact_email = email_field(
        "Contact email address (optional)",
        None,
        "Who at the provider the council writes to about the work.",
    )
    submit = SubmitField("Add provider", widget=GovSubmitInput())


class TeamMailboxForm(FlaskForm):
    """A provider administrator sets their organisation's team mailbox (empty removes it)."""

    mailbox = email_field(
        "Team mailbox email address (optional)",
        None,
        "A shared inbox, such as casework@yourcompany.co.uk. It gets a copy of every email "
        "about your organisation's work. Leave it empty to stop the copies.",
    )
    submit = SubmitField("Save team mailbox", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that confirms an action (the button is the whole form)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
