"""Forms for the administration pages. Rules that need the database live in structure.py."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from partnership import words
from partnership.auth.forms import check_new_password
from partnership.auth.passwords import MIN_PASSWORD_LENGTH
from partnership.forms import strip
from partnership.models import Role, Sector
from partnership.structure import (
    StructureError,
    check_charity_number,
    check_ods_code,
    check_ons_code,
)


def _rule(check):
    """A rule from structure.py that needs no database, checked with the rest of the form."""

    def validate(_form, field):
        try:
            check(field.data)
        except StructureError as error:
            raise ValidationError(str(error)) from error

    return validate


# Only a changed or stale page can send a neighbourhood that is not on the list.
NEIGHBOURHOODS_FROM_THE_LIST = "Select neighbourhoods from the list"

ROLE_HINTS = {
    Role.CASEWORKER: "Refers residents and follows their referrals",
    Role.COORDINATOR: (
        "Also keeps the organisation's services and capacity current and triages referrals"
    ),
    Role.LEAD: "Sees a neighbourhood's figures, never personal data",
    Role.ADMIN: "Runs the partnership's structure: neighbourhoods, organisations, users and needs",
}


class NeighbourhoodForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            DataRequired(message="Enter the neighbourhood's name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    ons_code = StringField(
        "ONS code (optional)",
        widget=GovTextInput(),
        description="For a ward, the code that starts E05, for example E05011361",
        validators=[Optional(), _rule(check_ons_code)],
    )
    submit = SubmitField("Save neighbourhood", widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            DataRequired(message="Enter the organisation's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    sector = RadioField(
        "Sector",
        widget=GovRadioInput(),
        choices=[SelectChoice(s.value, words.SECTOR[s]) for s in Sector],
        validators=[InputRequired(message="Select the organisation's sector")],
        invalid_choice_message="Select the organisation's sector",
    )
    ods_code = StringField(
        "ODS code (NHS organisations only, optional)",
        widget=GovTextInput(),
        description="3 to 6 letters and numbers, for example P84001",
        validators=[Optional(), _rule(check_ods_code)],
    )
    charity_number = StringField(
        "Charity number (voluntary sector only, optional)",
        widget=GovTextInput(),
        description="6 to 8 digits, or SC or NIC followed by 6 digits",
        validators=[Optional(), _rule(check_charity_number)],
    )
    neighbourhoods = SelectMultipleField(
        "Neighbourhoods served",
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        coerce=int,
        validators=[Optional()],
        invalid_value_message=NEIGHBOURHOODS_FROM_THE_LIST,
        invalid_choice_message=NEIGHBOURHOODS_FROM_THE_LIST,
    )
    submit = SubmitField("Save organisation", widget=GovSubmitInput())


class NeedForm(FlaskForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            DataRequired(message="Enter the need's name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    submit = SubmitField("Save need", widget=GovSubmitInput())


def _temporary_password(label: str) -> PasswordField:
    """Checked by the same rules as any password (validate_password on each form)."""
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        description=(
            f"At least {MIN_PASSWORD_LENGTH} characters. Give it to them in person or by phone: "
            "they choose their own when they first sign in."
        ),
        validators=[InputRequired(message="Enter a temporary password")],
    )


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            DataRequired(message="Enter the user's full name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            InputRequired(message="Enter the user's email address"),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    organisation = SelectField(
        "Organisation",
        widget=GovSelect(),
        coerce=int,
        validators=[InputRequired(message="Select the user's organisation")],
        invalid_value_message="Select the user's organisation",
        invalid_choice_message="Select the user's organisation",
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=[SelectChoice(r.value, r.label) for r in Role],
        validators=[InputRequired(message="Select the user's role")],
        invalid_choice_message="Select the user's role",
    )
    neighbourhoods = SelectMultipleField(
        "Neighbourhoods they lead (leads only)",
        widget=GovCheckboxesInput(),
        description="Select all that apply. Other roles have none.",
        coerce=int,
        validators=[Optional()],
        invalid_value_message=NEIGHBOURHOODS_FROM_THE_LIST,
        invalid_choice_message=NEIGHBOURHOODS_FROM_THE_LIST,
    )
    password = _temporary_password("Temporary password")
    submit = SubmitField("Create user", widget=GovSubmitInput())

    def validate_password(self, field) -> None:
        check_new_password(field.data, email=self.email.data or "", name=self.name.data or "")


class EditUserForm(UserForm):
    password = None
    submit = SubmitField("Save user", widget=GovSubmitInput())


class TemporaryPasswordForm(FlaskForm):
    password = _temporary_password("New temporary password")
    submit = SubmitField("Set temporary password", widget=GovSubmitInput())

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field) -> None:
        check_new_password(field.data, email=self.user.email, name=self.user.name)
