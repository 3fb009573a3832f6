"""Forms for a person's own account."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from provider_portal.accounts.rules import (
    EMAIL_FORMAT,
    EMAIL_TOO_LONG,
    MAX_EMAIL_LENGTH,
    is_email_address,
)
from provider_portal.passwords import HINT, password_problem


def strip(value: Any) -> Any:
    """Surrounding spaces are never meant (a filter for text fields, not passwords)."""
    return value.strip() if isinstance(value, str) else value


class EmailAddress:
    """A validator for the shape of an email address, in GOV.UK wording."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not is_email_address(field.data):
            raise ValidationError(EMAIL_FORMAT)


class PasswordPolicy:
    """The password policy (provider_portal.passwords) as a validator, in GOV.UK wording."""

    def __call__(self, form: Any, field: Any) -> None:
        problem = password_problem(field.data)
        if problem:
            raise StopValidation(problem)


def email_field(label: str, required_message: str | None, description: str = "") -> EmailField:
    """An email address input; with no required_message it may be left empty."""
    return EmailField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message=required_message) if required_message else Optional(),
            Length(max=MAX_EMAIL_LENGTH, message=EMAIL_TOO_LONG),
            EmailAddress(),
        ],
        description=description,
    )


def new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description=HINT,
        validators=[InputRequired(message="Enter a password"), PasswordPolicy()],
    )


def confirmation_field(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message=missing),
            EqualTo("password", message="The passwords do not match"),
        ],
    )


class PasswordResetRequestForm(FlaskForm):
    """The email address of the account whose password is forgotten."""

    email = email_field("Email address", "Enter your email address")
    submit = SubmitField("Send a link to reset your password", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = new_password_field("Password")
    confirm = confirmation_field("Confirm password", "Enter the password again")
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    """The current password, then the new one typed twice."""

    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    password = new_password_field("New password")
    confirm = confirmation_field("Confirm new password", "Enter the new password again")
    submit = SubmitField("Change password", widget=GovSubmitInput())
