"""Forms for a service's details and its capacity.

The capacity form checks nothing itself but its CSRF token: the rules, and their
messages, live in capacity.py, which the API shares.
"""

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from partnership import words
from partnership.forms import strip
from partnership.inputs import whole_number
from partnership.models import CapacityStatus, Service, WaitBand
from partnership.services.capacity import MAX_NOTE

OLDEST_AGE = 120
STATUS_HINTS = {
    CapacityStatus.OPEN: "Taking new referrals",
    CapacityStatus.LIMITED: "Taking some referrals, for example only urgent ones",
    CapacityStatus.WAITLIST: "Taking referrals onto a waiting list",
    CapacityStatus.FULL: "Not taking referrals for now",
    CapacityStatus.CLOSED: "Not running",
}
STATUS_CHOICES = [
    SelectChoice(status.value, words.CAPACITY_STATUS[status]) for status in CapacityStatus
]
WAIT_BAND_CHOICES = [
    SelectChoice(band.value, words.WAIT_BAND[band].capitalize()) for band in WaitBand
]


class CapacityForm(FlaskForm):
    status = RadioField(
        "Capacity now", widget=GovRadioInput(), choices=STATUS_CHOICES, validate_choice=False
    )
    places = StringField(
        "Places left",
        widget=GovTextInput(),
        description="Leave empty if the service is not limited by places",
        filters=[strip],
    )
    wait_band = RadioField(
        "Expected wait (waiting list only)",
        widget=GovRadioInput(),
        choices=WAIT_BAND_CHOICES,
        validate_choice=False,
    )
    note = StringField(
        "Short note (optional)",
        widget=GovTextInput(),
        description=f"For example, ‘Full until Monday’. Up to {MAX_NOTE} characters.",
        filters=[strip],
    )
    submit = SubmitField("Post capacity", widget=GovSubmitInput())

    def fill_from(self, service: Service) -> "CapacityForm":
        """Start from the service's capacity now, so posting "still 3 places" is one click."""
        self.status.data = service.capacity_status.value
        self.places.data = "" if service.places_available is None else str(service.places_available)
        self.wait_band.data = service.wait_band.value if service.wait_band else ""
        return self


class CompactCapacityForm(CapacityForm):
    """The same post in a row of the services table: selects instead of radios."""

    status = SelectField(
        "Capacity", widget=GovSelect(), choices=STATUS_CHOICES, validate_choice=False
    )
    wait_band = SelectField(
        "Expected wait",
        widget=GovSelect(),
        choices=[SelectChoice("", "No waiting list"), *WAIT_BAND_CHOICES],
        validate_choice=False,
    )
    note = StringField("Note (optional)", widget=GovTextInput(), filters=[strip])
    submit = SubmitField("Post", widget=GovSubmitInput())


class WholeNumber:
    """An optional whole number within a range, with the message in words."""

    def __init__(self, low: int, high: int, message: str):
        self.low, self.high, self.message = low, high, message

    def __call__(self, _form, field):
        if not field.data:
            return
        if not re.fullmatch(r"[0-9]+", field.data) or not self.low <= int(field.data) <= self.high:
            raise ValidationError(self.message)


def _website(_form, field):
    if field.data and not re.fullmatch(r"(https?://)?[^\s/]+\.[^\s/]+(/\S*)?", field.data):
        raise ValidationError("Enter a website address like https://www.example.org")


class ServiceForm(FlaskForm):
    name = StringField(
        "Name of the service",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            DataRequired(message="Enter the name of the service"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "What the service does",
        widget=GovTextArea(),
        filters=[strip],
        validators=[Length(max=5000, message="Description must be 5,000 characters or fewer")],
    )
    needs = SelectMultipleField(
        "Needs it meets",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[DataRequired(message="Select at least one need the service meets")],
    )
    neighbourhoods = SelectMultipleField(
        "Neighbourhoods it covers",
        widget=GovCheckboxesInput(),
        description="Only the neighbourhoods your organisation serves",
        coerce=int,
        validators=[DataRequired(message="Select at least one neighbourhood the service covers")],
    )
    min_age = StringField(
        "Youngest age (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            WholeNumber(0, OLDEST_AGE, f"Enter the youngest age as a number from 0 to {OLDEST_AGE}")
        ],
    )
    max_age = StringField(
        "Oldest age (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            WholeNumber(0, OLDEST_AGE, f"Enter the oldest age as a number from 0 to {OLDEST_AGE}")
        ],
    )
    eligibility_notes = TextAreaField(
        "Who it is for (optional)",
        widget=GovTextArea(),
        description="For example, ‘Residents on a low income or in receipt of benefits’",
        filters=[strip],
        validators=[Length(max=2000, message="Eligibility must be 2,000 characters or fewer")],
    )
    contact_email = EmailField(
        "Email address (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.org"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    contact_phone = StringField(
        "Phone number (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message="Phone number must be 40 characters or fewer"),
        ],
    )
    website = StringField(
        "Website (optional)",
        widget=GovTextInput(),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=500, message="Website must be 500 characters or fewer"),
            _website,
        ],
    )
    referral_instructions = TextAreaField(
        "How to refer (optional)",
        widget=GovTextArea(),
        description="What the service needs to know, and anything the resident should bring",
        filters=[strip],
        validators=[Length(max=5000, message="How to refer must be 5,000 characters or fewer")],
    )
    submit = SubmitField("Save service", widget=GovSubmitInput())

    def validate_max_age(self, field):
        low, high = self.min_age.data, field.data
        if (
            (youngest := whole_number(low)) is not None
            and (oldest := whole_number(high)) is not None
            and youngest > oldest
        ):
            raise ValidationError("The oldest age must be the same as or more than the youngest")
