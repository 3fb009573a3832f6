"""Forms for a person's own account."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from provider_portal.passwords import HINT, PasswordPolicy

# Deliberately loose: one @, something either side, a dot in the domain, no spaces or control
# characters. Whether the address works is proved by the email arriving.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


def strip(value: Any) -> Any:
    """Surrounding spaces are never meant (a filter for text fields, not passwords)."""
    return value.strip() if isinstance(value, str) else value


class EmailAddress:
    """A validator for the shape of an email address, in GOV.UK wording."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not _EMAIL.match(field.data):
            raise ValidationError(EMAIL_FORMAT)


def email_validators(required_message: str) -> list[Any]:
    return [
        InputRequired(message=required_message),
        Length(max=320, message="Email address must be 320 characters or fewer"),
        EmailAddress(),
    ]


class PasswordResetRequestForm(FlaskForm):
    """The email address of the account whose password is forgotten."""

    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[strip],
        validators=email_validators("Enter your email address"),
    )
    submit = SubmitField("Send a link to reset your password", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        description=HINT,
        validators=[InputRequired(message="Enter a password"), PasswordPolicy()],
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter the password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    """The current password, then the new one typed twice."""

    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=HINT,
        validators=[InputRequired(message="Enter a password"), PasswordPolicy()],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())
