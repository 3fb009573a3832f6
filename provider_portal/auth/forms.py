"""Sign-in forms: email and password, then the second factor."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired


class SignInForm(FlaskForm):
    """Email address and password."""

    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    """The 6-digit code from an authenticator app."""

    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the code from your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodeForm(FlaskForm):
    """One of the recovery codes given when two-factor sign-in was set up."""

    code = StringField(
        "Recovery code",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter a recovery code")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class NewRecoveryCodesForm(FlaskForm):
    """Replace every recovery code with new ones, after a fresh code from the app."""

    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the code from your authenticator app")],
    )
    submit = SubmitField("Create new recovery codes", widget=GovSubmitInput())
