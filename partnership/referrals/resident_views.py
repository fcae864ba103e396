"""A resident's record: their details and referrals, and correcting the details later.

Only for residents the user may see (access.py), with the same questions and rules as
adding a resident (make_forms.py, residents.py). Each page that shows the record writes a
view to the access log, and each correction a change, in the same commit as the change.
A correction goes back where it was asked for (`?back=`, a local path only): the
resident's page, a referral's page, or "Check your answers" while making a referral.
"""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from partnership import clock, words
from partnership.access import log_access, may_see_resident, party_referrals_clause, requires_role
from partnership.extensions import db
from partnership.forms import came_from, passed_back
from partnership.models import (
    AccessAction,
    ContactMethod,
    Neighbourhood,
    Referral,
    Resident,
    Role,
)
from partnership.referrals.make_forms import (
    NO,
    YES,
    AddressForm,
    ContactForm,
    DateOfBirthForm,
    LanguageForm,
    NameForm,
    NhsNumberForm,
)
from partnership.referrals.views import age_on

residents = Blueprint("residents", __name__, url_prefix="/residents")


@dataclass(frozen=True)
class Part:
    """One page of corrections: its question, and the words for it in the access log."""

    title: str
    what: str


PARTS = {
    "name": Part("What is their name?", "name"),
    "date-of-birth": Part("What is their date of birth?", "date of birth"),
    "nhs-number": Part("What is their NHS number?", "NHS number"),
    "address": Part("Where do they live?", "postcode and neighbourhood"),
    "contact": Part("How can services contact them?", "contact details"),
    "language": Part("Language and accessibility", "language and accessibility needs"),
}
PART_NAMES = "any(" + ", ".join(f"'{name}'" for name in PARTS) + ")"


def _resident_or_404(resident_id: int) -> Resident:
    """The resident if the user may see them; otherwise 404, whether they exist or not."""
    resident = db.session.get(Resident, resident_id)
    if not may_see_resident(current_user, resident):
        abort(404)
    assert resident is not None  # may_see_resident says no to None
    return resident


@residents.app_template_global()
def change_resident_url(resident_id: int, part: str, back: str | None = None) -> str:
    """A "Change" link for one of a resident's details, coming back to `back` once saved."""
    assert part in PARTS
    return url_for("residents.change", resident_id=resident_id, part=part, back=back)


@residents.route("/<int:resident_id>")
@requires_role(Role.CASEWORKER)
def resident(resident_id: int):
    """Their details, each with a Change link, and their referrals the organisation is party to."""
    found = _resident_or_404(resident_id)
    referrals = db.session.scalars(
        select(Referral)
        .where(Referral.resident_id == found.id, party_referrals_clause(current_user))
        .order_by(Referral.id.desc())
    ).all()
    log_access(current_user, found.id, AccessAction.VIEW, "resident page")
    page = render_template(
        "views/residents/resident.html",
        resident=found,
        age=age_on(found.date_of_birth, clock.today()),
        referrals=referrals,
        back=came_from(url_for("main.home")),
        this_page=url_for("residents.resident", resident_id=found.id, back=passed_back()),
    )
    db.session.commit()
    return page


def _on_record(part: str, resident: Resident) -> tuple[type, dict]:
    """The part's form class, and its answers as the record has them now."""
    if part == "name":
        return NameForm, {"given_name": resident.given_name, "family_name": resident.family_name}
    if part == "date-of-birth":
        return DateOfBirthForm, {"date_of_birth": resident.date_of_birth}
    if part == "nhs-number":
        return NhsNumberForm, {"nhs_number": resident.nhs_number}
    if part == "address":
        neighbourhood = str(resident.neighbourhood_id)
        return AddressForm, {"postcode": resident.postcode, "neighbourhood": neighbourhood}
    if part == "contact":
        return ContactForm, {
            "phone": resident.phone,
            "email": resident.email,
            "preferred_contact": resident.preferred_contact.value,
        }
    return LanguageForm, {
        "language": resident.language,
        "interpreter_needed": YES if resident.interpreter_needed else NO,
        "accessibility_needs": resident.accessibility_needs,
    }


def _form(part: str, resident: Resident):
    """The part's form: posted, or on first showing filled from the record."""
    form_class, data = _on_record(part, resident)
    kwargs = {"today": clock.today()} if form_class is DateOfBirthForm else {}
    form = form_class(**kwargs) if request.method == "POST" else form_class(data=data, **kwargs)
    if isinstance(form, AddressForm):
        form.fill(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))
    return form


def _answers(part: str, form) -> dict:
    """The record's new values from a valid form, as the columns hold them."""
    if part == "name":
        return {"given_name": form.given_name.data, "family_name": form.family_name.data}
    if part == "date-of-birth":
        return {"date_of_birth": form.date_of_birth.data}
    if part == "nhs-number":
        return {"nhs_number": form.cleaned()}
    if part == "address":
        return {
            "postcode": form.cleaned_postcode(),
            "neighbourhood_id": int(form.neighbourhood.data),
        }
    if part == "contact":
        answers = form.contact_answers()
        answers["preferred_contact"] = ContactMethod(answers["preferred_contact"])
        return answers
    return {
        "language": form.language.data,
        "interpreter_needed": form.interpreter_needed.data == YES,
        "accessibility_needs": form.accessibility_needs.data or "",
    }


@residents.route(f"/<int:resident_id>/<{PART_NAMES}:part>", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def change(resident_id: int, part: str):
    """Correct one part of the record, with the rules used when adding a resident."""
    found = _resident_or_404(resident_id)
    back = came_from(url_for("residents.resident", resident_id=found.id))
    form = _form(part, found)
    if form.validate_on_submit():
        changes = {
            field: value
            for field, value in _answers(part, form).items()
            if getattr(found, field) != value
        }
        if changes:
            for field, value in changes.items():
                setattr(found, field, value)
            log_access(current_user, found.id, AccessAction.CHANGE, f"corrected {PARTS[part].what}")
            # The banner waits in the session cookie: no name in it.
            flash(f"Saved: {PARTS[part].what}", "success")
        db.session.commit()
        return redirect(back)
    log_access(current_user, found.id, AccessAction.VIEW, f"correcting {PARTS[part].what}")
    page = render_template(
        "views/residents/change.html",
        form=form,
        part=part,
        title=PARTS[part].title,
        resident=found,
        back=back,
        contact_methods=words.CONTACT_METHOD,
    )
    db.session.commit()
    return page
