from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from partnership.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from partnership.auth.two_step import looks_like_app_code
from partnership.forms import strip

PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words work well."


class SignInForm(FlaskForm):
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


def check_new_password(password: str, *, email: str, name: str) -> None:
    """The password rules (partnership.auth.passwords) as a form validator."""
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    """The person's own password: the current one first, so a borrowed session can't."""

    current = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[InputRequired(message="Enter a new password")],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your new password"),
            EqualTo("password", message="Passwords must match"),
        ],
    )
    end_tokens = BooleanField(
        "Also revoke my API tokens",
        widget=GovCheckboxInput(),
        description="Do this if someone else may have known your password.",
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field) -> None:
        check_new_password(field.data, email=self.user.email, name=self.user.name)


class TwoStepCodeForm(FlaskForm):
    """The six digits an authenticator app shows; the template says why they are asked."""

    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the code from your authenticator app"),
            Length(max=20, message="Enter the 6-digit code from your authenticator app"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_code(self, field) -> None:
        if not looks_like_app_code(field.data):
            raise ValidationError("Enter the 6-digit code from your authenticator app")


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        widget=GovTextInput(),
        description="One you have not used before, like abcd-efgh-jkmn.",
        filters=[strip],
        validators=[
            InputRequired(message="Enter one of your recovery codes"),
            Length(max=40, message="Enter a recovery code as it was shown to you"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
