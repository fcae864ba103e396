from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from partnership.auth.two_step import looks_like_app_code
from partnership.forms import strip

MIN_PASSWORD_LENGTH = 12


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


class ChangePasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.",
        validators=[
            InputRequired(message="Enter a new password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Password must be {MIN_PASSWORD_LENGTH} characters or more",
            ),
        ],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your new password"),
            EqualTo("password", message="Passwords must match"),
        ],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())


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
