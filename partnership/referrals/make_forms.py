"""The questions asked when making a referral, one form per page, with messages in words.

The forms check what someone can put right on the page. Who may be referred, whether a
resident is a possible duplicate and whether a referral may be sent are decided by
residents.py and lifecycle.py.
"""

import re
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from partnership import words
from partnership.forms import strip
from partnership.inputs import whole_number
from partnership.models import ConsentGiver, ContactMethod, Urgency
from partnership.referrals.residents import (
    PHONE_EXAMPLE,
    PHONE_PROBLEM,
    clean_nhs_number,
    missing_contact_detail,
    uk_phone,
    valid_nhs_number,
)

MAX_SUMMARY = 2000
MAX_COVERS = 500
MAX_ACCESSIBILITY = 500
MAX_BEST_TIMES = 200
EARLIEST_BIRTH_YEAR = 1900
NO_SUITABLE_SERVICE = "none"
YES, NO = "yes", "no"

YES_NO = [SelectChoice(YES, "Yes"), SelectChoice(NO, "No")]
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def _required_choice(label: str, message: str, choices, **kwargs) -> RadioField:
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=choices,
        validators=[InputRequired(message=message)],
        invalid_choice_message=message,
        **kwargs,
    )


def _contact_choices() -> list[SelectChoice]:
    return [SelectChoice(method.value, words.CONTACT_METHOD[method]) for method in ContactMethod]


def _text(label: str, required: str | None, longest: int, what: str, **kwargs) -> StringField:
    validators = [DataRequired(message=required)] if required else []
    validators.append(
        Length(max=longest, message=f"{what} must be {longest:,} characters or fewer")
    )
    return StringField(
        label, widget=GovTextInput(), filters=[strip], validators=validators, **kwargs
    )


def _area(label: str, longest: int, what: str, **kwargs) -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        filters=[strip],
        validators=[Length(max=longest, message=f"{what} must be {longest:,} characters or fewer")],
        **kwargs,
    )


def _phone() -> StringField:
    return StringField(
        "Phone number (optional)",
        widget=GovTextInput(),
        description=f"A UK number, like {PHONE_EXAMPLE}",
        filters=[strip],
        validators=[Length(max=40, message="Phone number must be 40 characters or fewer")],
    )


def _email() -> EmailField:
    return EmailField(
        "Email address (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )


class ContactDetails:
    """Phone, email and preferred contact checked by the one rule (residents.py): a UK
    phone number, and the preferred way of contact with the detail it needs. Mixed into
    every form that has the three fields."""

    phone: StringField
    email: EmailField
    preferred_contact: RadioField

    def validate_phone(self, field):
        if field.data and uk_phone(field.data) is None:
            raise ValidationError(PHONE_PROBLEM)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[misc]
        if self.phone.errors or self.email.errors or self.preferred_contact.errors:
            return valid  # each field's own message says what to put right first
        missing = missing_contact_detail(
            self.preferred_contact.data, self.phone.data, self.email.data
        )
        if missing is None:
            return valid
        # On the detail that is missing: that is where it is put right.
        detail, message = missing
        self[detail].errors.append(message)  # type: ignore[index]
        return False

    def contact_answers(self) -> dict:
        """The three answers, the phone number in its normal form."""
        return {
            "phone": uk_phone(self.phone.data),
            "email": self.email.data or None,
            "preferred_contact": self.preferred_contact.data,
        }


def _continue() -> SubmitField:
    return SubmitField("Continue", widget=GovSubmitInput())


# Finding the resident


class SearchForm(FlaskForm):
    """A search sent with GET: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        "Search by name, NHS number or postcode",
        widget=GovTextInput(),
        filters=[strip],
        validators=[Length(max=100, message="Search must be 100 characters or fewer")],
    )


class ChooseResidentForm(FlaskForm):
    resident_id = StringField(
        validators=[DataRequired(message="Choose a resident from the list, or add a new resident")]
    )


# Adding a new resident


class NameForm(FlaskForm):
    given_name = _text("First name", "Enter the resident's first name", 100, "First name")
    family_name = _text("Last name", "Enter the resident's last name", 100, "Last name")
    submit = _continue()


class MemorableDateField(Field):
    """A date typed as day, month and year (the GOV.UK date input), checked part by part.

    The messages follow the GOV.UK pattern: which part is missing, or that it is not a
    real date; `what` names the date in them ("Date of birth must include a month").
    """

    widget = GovDateInput()

    def __init__(self, label: str, *, what: str, **kwargs):
        super().__init__(label, **kwargs)
        self.what = what

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        parts = [(value or "").strip() for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        # The widget shows back exactly what was typed, three parts whatever was sent.
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise ValueError(f"{self.what} must include a {' and '.join(missing)}")
        if not all(whole_number(part) is not None for part in parts):
            raise ValueError(f"{self.what} must be a real date")
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.what} must be a real date") from None


class DateOfBirthForm(FlaskForm):
    date_of_birth = MemorableDateField(
        "What is their date of birth?", what="Date of birth", description="For example, 27 3 1956"
    )
    submit = _continue()

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_date_of_birth(self, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation("Enter the resident's date of birth")
        if field.data > self.today:
            raise ValidationError("Date of birth must be in the past")
        if field.data.year < EARLIEST_BIRTH_YEAR:
            raise ValidationError(f"Date of birth must be after {EARLIEST_BIRTH_YEAR}")


class NhsNumberForm(FlaskForm):
    nhs_number = StringField(
        "What is their NHS number? (optional)",
        widget=GovTextInput(),
        description="10 digits, like 943 476 5919. Leave it empty if you do not know it.",
        filters=[strip],
    )
    submit = _continue()

    def validate_nhs_number(self, field):
        number = clean_nhs_number(field.data)
        if number is None:
            return
        if whole_number(number) is None:
            raise ValidationError("NHS number must only include numbers, like 943 476 5919")
        if len(number) != 10:
            raise ValidationError("NHS number must be 10 digits, like 943 476 5919")
        if not valid_nhs_number(number):
            raise ValidationError("This is not a valid NHS number: check it for a mistyped digit")

    def cleaned(self) -> str | None:
        return clean_nhs_number(self.nhs_number.data)


class SamePersonForm(FlaskForm):
    """Either "Use this resident" (with their id) or "No, add a new resident"."""

    resident_id = HiddenField()


class AddressForm(FlaskForm):
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        description="Leave it empty if they have no fixed address",
        filters=[strip],
    )
    neighbourhood = _required_choice(
        "Which neighbourhood do they live in?", "Select the neighbourhood they live in", []
    )
    submit = _continue()

    def fill(self, neighbourhoods) -> "AddressForm":
        self.neighbourhood.choices = [SelectChoice(str(n.id), n.name) for n in neighbourhoods]
        return self

    def validate_postcode(self, field):
        if field.data and not POSTCODE.match(field.data.upper()):
            raise ValidationError("Enter a real postcode, like M9 4DH")

    def cleaned_postcode(self) -> str | None:
        found = POSTCODE.match((self.postcode.data or "").upper())
        return f"{found.group(1)} {found.group(2)}" if found else None


class ContactForm(ContactDetails, FlaskForm):
    phone = _phone()
    email = _email()
    preferred_contact = _required_choice(
        "How do they prefer to be contacted?",
        "Select how they prefer to be contacted",
        _contact_choices(),
    )
    submit = _continue()


class LanguageForm(FlaskForm):
    language = _text(
        "What language do they prefer?", "Enter the language they prefer", 60, "Language"
    )
    interpreter_needed = _required_choice(
        "Do they need an interpreter?", "Select whether they need an interpreter", YES_NO
    )
    accessibility_needs = _area(
        "Accessibility needs (optional)",
        MAX_ACCESSIBILITY,
        "Accessibility needs",
        description="For example, uses a wheelchair, needs large print, or is hard of hearing",
    )
    submit = SubmitField("Add resident", widget=GovSubmitInput())


# The referral


class NeedForm(FlaskForm):
    need = _required_choice("What do they need help with?", "Select what they need help with", [])
    submit = _continue()

    def fill(self, needs) -> "NeedForm":
        self.need.choices = [SelectChoice(str(need.id), need.name) for need in needs]
        return self


class ServiceForm(FlaskForm):
    service = _required_choice(
        "Which service are you referring them to?",
        "Select a service, or that no service is suitable",
        [],
    )
    submit = _continue()

    def fill(self, suggestions) -> "ServiceForm":
        self.service.choices = [
            SelectChoice(str(s.service.id), f"{s.service.name}, {s.service.organisation.name}")
            for s in suggestions
        ] + [SelectChoice(NO_SUITABLE_SERVICE, "No suitable service")]
        return self

    def no_suitable_service(self) -> bool:
        return self.service.data == NO_SUITABLE_SERVICE


class ConsentForm(FlaskForm):
    given_by = _required_choice(
        "Who gave consent to the referral?",
        "Select who gave consent",
        [SelectChoice(giver.value, words.CONSENT_GIVER[giver]) for giver in ConsentGiver],
    )
    representative_name = _text(
        "Their name and relationship to the resident",
        None,
        120,
        "Name",
        description="For example, Sam Jones, daughter",
    )
    covers = TextAreaField(
        "What does the consent cover?",
        widget=GovTextArea(),
        description="For example, sharing their contact details and needs with the service",
        filters=[strip],
        validators=[
            DataRequired(message="Enter what the consent covers"),
            Length(
                max=MAX_COVERS, message=f"What it covers must be {MAX_COVERS:,} characters or fewer"
            ),
        ],
    )
    confirmed = BooleanField(
        "I confirm the resident, or someone acting for them, gave consent to this referral",
        widget=GovCheckboxInput(),
        validators=[DataRequired(message="Confirm that consent was given")],
    )
    submit = _continue()

    def validate_representative_name(self, field):
        if self.given_by.data == ConsentGiver.REPRESENTATIVE.value and not field.data:
            raise ValidationError("Enter the name of the person who gave consent")


class DetailsForm(ContactDetails, FlaskForm):
    urgency = _required_choice(
        "How urgent is it?",
        "Select how urgent the referral is",
        [
            SelectChoice(Urgency.ROUTINE.value, "Routine"),
            SelectChoice(Urgency.URGENT.value, "Urgent"),
        ],
    )
    summary = TextAreaField(
        "Why are you referring them?",
        widget=GovCharacterCount(),
        description="What they need and anything the service should know before contacting them",
        filters=[strip],
        validators=[
            DataRequired(message="Enter why you are referring them"),
            Length(
                max=MAX_SUMMARY,
                message=f"Why you are referring them must be {MAX_SUMMARY:,} characters or fewer",
            ),
        ],
    )
    phone = _phone()
    email = _email()
    preferred_contact = _required_choice(
        "How do they prefer to be contacted?",
        "Select how they prefer to be contacted",
        _contact_choices(),
    )
    best_times = _text(
        "Best times to contact them (optional)",
        None,
        MAX_BEST_TIMES,
        "Best times",
        description="For example, weekday mornings",
    )
    language = _text(
        "What language do they prefer?", "Enter the language they prefer", 60, "Language"
    )
    interpreter_needed = _required_choice(
        "Do they need an interpreter?", "Select whether they need an interpreter", YES_NO
    )
    accessibility_needs = _area(
        "Accessibility needs (optional)", MAX_ACCESSIBILITY, "Accessibility needs"
    )
    submit = _continue()

    def fill(self, answers: dict) -> "DetailsForm":
        """Start from the answers so far, or the resident's own record."""
        for key, value in answers.items():
            if key == "interpreter_needed":
                value = YES if value else NO
            self[key].data = value
        return self

    def answers(self) -> dict:
        return {
            "urgency": self.urgency.data,
            "summary": self.summary.data,
            **self.contact_answers(),
            "best_times": self.best_times.data or "",
            "language": self.language.data,
            "interpreter_needed": self.interpreter_needed.data == YES,
            "accessibility_needs": self.accessibility_needs.data or "",
        }


class SendForm(FlaskForm):
    """The check answers page's button; the key makes a second press send nothing more."""

    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField("Send referral", widget=GovSubmitInput())


class StartAgainForm(FlaskForm):
    """Throw the answers away: CSRF-protected, nothing else to fill in."""
