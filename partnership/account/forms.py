from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from partnership.auth.tokens import LIFETIMES
from partnership.forms import strip
from partnership.models import TokenScope

SCOPE_HINTS = {
    TokenScope.READ: "It can look up services and referrals but not change anything.",
    TokenScope.WRITE: "It can also send referrals and change them, as you can.",
}


class NewTokenForm(FlaskForm):
    name = StringField(
        "What is the token for?",
        widget=GovTextInput(),
        description="For example, the name of the system that will use it.",
        filters=[strip],
        validators=[
            DataRequired(message="Enter what the token is for"),
            Length(max=120, message="What the token is for must be 120 characters or fewer"),
        ],
    )
    scope = RadioField(
        "What may it do?",
        widget=GovRadioInput(),
        choices=[SelectChoice(scope.value, scope.label) for scope in TokenScope],
        validators=[InputRequired(message="Select what the token may do")],
        invalid_choice_message="Select what the token may do",
    )
    days = SelectField(
        "How long should it work?",
        widget=GovSelect(),
        coerce=int,
        choices=[SelectChoice(days, f"{days} days") for days in LIFETIMES],
        validators=[InputRequired(message="Select how long the token should work")],
        invalid_choice_message="Select how long the token should work",
        invalid_value_message="Select how long the token should work",
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.days.data = current_app.config["API_TOKEN_DAYS"]
