"""The directory's filters: a GET form, so a search is a link that can be kept and shared.

A value that cannot be used (an age of "abc", a need that does not exist) is a form error:
the page says so, and searches nothing until it is put right.
"""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovTextInput,
)
from wtforms import BooleanField, SelectField, StringField, ValidationError
from wtforms.validators import Length

from partnership.directory.search import Filters
from partnership.forms import strip

OLDEST_AGE = 120


class _ChoiceFrom:
    """Only one of the field's choices, with a message in the users' words."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(self.message)


def _whole_age(form, field):
    if not field.data:
        return
    if not field.data.isdecimal():
        raise ValidationError("Enter the resident's age as a whole number, like 70")
    if int(field.data) > OLDEST_AGE:
        raise ValidationError(f"Enter an age from 0 to {OLDEST_AGE}")


class DirectoryForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    words = StringField(
        "Words",
        widget=GovTextInput(),
        description="In the service's name or description, or its organisation's name",
        filters=[strip],
        validators=[Length(max=200, message="Enter 200 characters or fewer")],
    )
    need = SelectField(
        "Need",
        widget=GovSelect(),
        validate_choice=False,
        validators=[_ChoiceFrom("Select a need from the list")],
    )
    neighbourhood = SelectField(
        "Neighbourhood",
        widget=GovSelect(),
        validate_choice=False,
        validators=[_ChoiceFrom("Select a neighbourhood from the list")],
    )
    age = StringField(
        "Resident's age",
        widget=GovTextInput(),
        description="Shows only services whose age range includes it",
        filters=[strip],
        validators=[_whole_age],
    )
    has_places = BooleanField("Has places now", widget=GovCheckboxInput())

    def set_choices(self, needs, neighbourhoods) -> None:
        self.need.choices = [("", "Any need")] + [(str(n.id), n.name) for n in needs]
        self.neighbourhood.choices = [("", "Any neighbourhood")] + [
            (str(n.id), n.name) for n in neighbourhoods
        ]

    def filters(self) -> Filters:
        """The filters to search with, once the form is valid."""

        def usable(field):
            return field.data if field.data and not field.errors else None

        need, neighbourhood, age = usable(self.need), usable(self.neighbourhood), usable(self.age)
        return Filters(
            words="" if self.words.errors else self.words.data or "",
            need_id=int(need) if need else None,
            neighbourhood_id=int(neighbourhood) if neighbourhood else None,
            age=int(age) if age else None,
            has_places=bool(self.has_places.data),
        )
