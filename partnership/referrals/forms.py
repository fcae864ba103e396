"""Forms on a referral's page: its actions, assigning it, messages, and forwarding it.

The forms check what someone can put right on the page (a reason chosen, a note given);
whether an action is allowed at all is for the lifecycle to decide.
"""

from uuid import uuid4

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from partnership import words
from partnership.forms import strip
from partnership.inputs import whole_number
from partnership.models import DeclineReason, Outcome
from partnership.referrals.lifecycle import Action, Details
from partnership.referrals.messages import MAX_MESSAGE

MAX_NOTE = 2000


def _member(enum_class, value):
    try:
        return enum_class(value)
    except ValueError:
        return None


def _note(label: str, description: str = "") -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=description,
        filters=[strip],
        validators=[Length(max=MAX_NOTE, message="The note must be 2,000 characters or fewer")],
    )


class ActionForm(FlaskForm):
    """One button that moves the referral on (accept, start, hold, resume).

    `version` is the referral as the page showed it: if someone changed it since, the
    action is refused rather than made on a referral the person has not seen.
    """

    version = HiddenField()

    def details(self) -> Details:
        return Details()

    def expected_version(self) -> int | None:
        return whole_number(self.version.data)


class DeclineForm(ActionForm):
    reason = RadioField(
        "Why are you declining the referral?",
        widget=GovRadioInput(),
        choices=[SelectChoice(r.value, words.DECLINE_REASON[r]) for r in DeclineReason],
        validators=[InputRequired(message="Select why you are declining the referral")],
        invalid_choice_message="Select why you are declining the referral",
    )
    note = _note("Note", "The referrer sees it. Needed when you choose another reason.")

    def validate_note(self, field):
        if self.reason.data == DeclineReason.OTHER.value and not field.data:
            raise ValidationError("Say why you are declining the referral")

    def details(self) -> Details:
        return Details(reason=_member(DeclineReason, self.reason.data), note=self.note.data or "")


class CompleteForm(ActionForm):
    outcome = RadioField(
        "What was the outcome for the resident?",
        widget=GovRadioInput(),
        choices=[SelectChoice(o.value, words.OUTCOME[o]) for o in Outcome],
        validators=[InputRequired(message="Select the outcome for the resident")],
        invalid_choice_message="Select the outcome for the resident",
    )
    note = _note("Note (optional)", "The referrer sees it.")

    def details(self) -> Details:
        return Details(outcome=_member(Outcome, self.outcome.data), note=self.note.data or "")


class CancelForm(ActionForm):
    note = TextAreaField(
        "Why are you cancelling the referral?",
        widget=GovTextArea(),
        description="The other organisation sees it.",
        filters=[strip],
        validators=[
            DataRequired(message="Say why you are cancelling the referral"),
            Length(max=MAX_NOTE, message="The reason must be 2,000 characters or fewer"),
        ],
    )

    def details(self) -> Details:
        return Details(note=self.note.data or "")


ACTION_FORMS = {
    Action.ACCEPT: ActionForm,
    Action.DECLINE: DeclineForm,
    Action.START: ActionForm,
    Action.HOLD: ActionForm,
    Action.RESUME: ActionForm,
    Action.COMPLETE: CompleteForm,
    Action.CANCEL: CancelForm,
}


def action_form(action: Action, *, posted: bool = False) -> ActionForm:
    """The form for `action`; its fields are prefixed with the action so that several
    forms share a page without their ids clashing ("decline-reason", "cancel-note").

    `posted` reads the request's form; otherwise the form starts empty.
    """
    form_class = ACTION_FORMS[action]
    if posted:
        return form_class(prefix=action.value)
    return form_class(prefix=action.value, formdata=None)


NO_ONE = ""


class AssignForm(FlaskForm):
    assignee = SelectField(
        "Assigned to",
        widget=GovSelect(),
        validators=[],
        invalid_choice_message="Choose someone from the list",
    )

    def fill(self, people, current_id: int | None) -> "AssignForm":
        """Offer the receiving organisation's active caseworkers and coordinators, or no one."""
        self.assignee.choices = [SelectChoice(NO_ONE, "No one")] + [
            SelectChoice(str(person.id), person.name) for person in people
        ]
        if self.assignee.data is None:
            self.assignee.data = str(current_id) if current_id else NO_ONE
        return self


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Message",
        widget=GovTextArea(),
        description="Both organisations on the referral see it.",
        filters=[strip],
        validators=[
            DataRequired(message="Enter a message"),
            Length(
                max=MAX_MESSAGE,
                message=f"The message must be {MAX_MESSAGE:,} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Send message", widget=GovSubmitInput())


class ForwardForm(FlaskForm):
    service = RadioField(
        "Which service should the referral go to?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a service")],
        invalid_choice_message="Select a service from the list",
    )
    summary = TextAreaField(
        "Summary for the new service (optional)",
        widget=GovTextArea(),
        description="Leave empty to send the same summary as before.",
        filters=[strip],
        validators=[Length(max=MAX_NOTE, message="The summary must be 2,000 characters or fewer")],
    )
    # The same form sent twice forwards once.
    idempotency_key = HiddenField(validators=[Length(max=64)])
    submit = SubmitField("Send referral", widget=GovSubmitInput())

    def fill(self, suggestions) -> "ForwardForm":
        self.service.choices = [
            SelectChoice(str(s.service.id), f"{s.service.name}, {s.service.organisation.name}")
            for s in suggestions
        ]
        if not self.idempotency_key.data:
            self.idempotency_key.data = uuid4().hex
        return self
