"""Making a referral: GOV.UK question pages, one thing per page, then check and send.

Every page is an ordinary form with post/redirect/get, so the journey works without
JavaScript. The answers wait in a draft on the server (draft.py) until "Send referral"; the rules
live elsewhere: who may be seen in access.py, duplicates and NHS numbers in residents.py,
suggestions in the directory, and sending in lifecycle.py. Every page that shows a
resident's recorded details writes an access-log row.
"""

import sys
from uuid import uuid4

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from partnership import clock
from partnership.access import (
    log_access,
    may_see_resident,
    may_see_unmet_need,
    referral_or_404,
    requires_role,
    works_on_referrals,
)
from partnership.columns import LARGEST_ID
from partnership.directory.suggestions import Suggestion, record_unmet_need, suggest
from partnership.extensions import db
from partnership.forms import passed_back
from partnership.inputs import whole_number
from partnership.models import (
    AccessAction,
    CapacityStatus,
    ConsentGiver,
    ContactMethod,
    NeedCategory,
    Neighbourhood,
    Referral,
    Resident,
    Role,
    Service,
    UnmetNeed,
    Urgency,
)
from partnership.referrals import draft, lifecycle
from partnership.referrals.lifecycle import AlreadyOpen, ConsentGiven, Refused, Side
from partnership.referrals.make_forms import (
    NO,
    YES,
    AddressForm,
    ChooseResidentForm,
    ConsentForm,
    ContactForm,
    DateOfBirthForm,
    DetailsForm,
    LanguageForm,
    NameForm,
    NeedForm,
    NhsNumberForm,
    SamePersonForm,
    SearchForm,
    SendForm,
    ServiceForm,
    StartAgainForm,
)
from partnership.referrals.overdue import bank_holidays, due_date, due_working_days
from partnership.referrals.resident_views import change_resident_url
from partnership.referrals.residents import find_residents, possible_duplicates
from partnership.referrals.views import age_on

making = Blueprint("making", __name__, url_prefix="/referrals/new")

SUGGESTIONS = 20


# Moving between the pages


def _draft() -> dict:
    return draft.validate(draft.read(current_user), current_user)


def _changing() -> bool:
    """Whether the page was opened from a "Change" link on the check answers page."""
    return request.args.get("change") == "1"


def _url(step: str, **values) -> str:
    return url_for(f"making.{step}", **values)


def _first_unanswered(answers: dict):
    step = draft.first_unanswered(answers)
    return redirect(_url(step, change=1) if _changing() and step != draft.CHECK else _url(step))


def _onward(answers: dict, step: str):
    """After an answer: the next page, or back towards check answers after a change."""
    draft.store(current_user, answers)
    db.session.commit()
    if _changing():
        return _first_unanswered(answers)
    return redirect(_url(draft.step_after(step, answers)))


def _back(step: str) -> str:
    if _changing():
        return _url(draft.CHECK)
    return _url(draft.step_before(step))


def _form(form_class, answers: dict | None = None, **kwargs):
    """The posted form, or on first showing a form filled with the answers so far."""
    if request.method == "POST":
        return form_class(**kwargs)
    return form_class(data=answers or {}, **kwargs)


def _question(template: str, step: str, form, **context):
    return render_template(
        f"views/referrals/{template}",
        form=form,
        back=_back(step),
        **context,
    )


def _change_link(step: str, what: str) -> dict:
    """A summary list row's "Change" link: to the step, then back to check answers."""
    return {"items": [{"href": _url(step, change=1), "text": "Change", "visuallyHiddenText": what}]}


def _correct_link(resident: Resident):
    """A "Change" link for what is on the resident's record: correct it, then back here."""

    def link(part: str, what: str) -> dict:
        href = change_resident_url(resident.id, part, back=_url(draft.CHECK))
        return {"items": [{"href": href, "text": "Change", "visuallyHiddenText": what}]}

    return link


def _numbered(model, value: str | None):
    """The row whose id was sent, if it is one; anything else finds none."""
    number = whole_number(value)
    if number is None or number > LARGEST_ID:
        return None
    return db.session.get(model, number)


def _resident_numbered(value: str | None) -> Resident | None:
    return _numbered(Resident, value)


@making.app_template_global()
def refer_to_service_url(service: Service, need_id: int | None = None, back: str | None = None):
    """Where "Refer to this service" starts a referral, for people who make referrals;
    None for anyone else, and for a closed service (sending to one is refused)."""
    if not works_on_referrals(current_user) or service.capacity_status is CapacityStatus.CLOSED:
        return None
    return url_for("making.start", service=service.id, need=need_id, back=back)


def _chosen(answers: dict) -> Resident:
    """The draft's resident, whom `draft.validate` has checked this user may see."""
    resident = db.session.get(Resident, answers["resident_id"])
    if resident is None:
        abort(404)
    return resident


def _shown(resident: Resident, what: str) -> None:
    log_access(current_user, resident.id, AccessAction.VIEW, what)


# Starting


@making.route("")
@requires_role(Role.CASEWORKER)
def start():
    """Carry on with the referral in progress, or start one; ?resident= refers that resident,
    ?service= (with ?need= when known) refers someone to that service."""
    if "resident" in request.args:
        resident = _resident_numbered(request.args["resident"])
        if not may_see_resident(current_user, resident):
            abort(404)
        draft.start(current_user, resident)
        db.session.commit()
        return redirect(_url("need"))
    if "service" in request.args:
        chosen = _numbered(Service, request.args["service"])
        if chosen is None:
            abort(404)
        answers = draft.start(
            current_user,
            service=chosen,
            need=draft.need_for(chosen, _numbered(NeedCategory, request.args.get("need"))),
            came_from=passed_back(),
        )
        db.session.commit()
        return redirect(_url(draft.first_unanswered(answers)))
    answers = _draft()
    # What validating dropped stays dropped.
    draft.store(current_user, answers)
    db.session.commit()
    return redirect(_url(draft.first_unanswered(answers)))


@making.route("/start-again", methods=["POST"])
@requires_role(Role.CASEWORKER)
def start_again():
    if StartAgainForm().validate_on_submit():
        draft.discard(current_user)
        db.session.commit()
    return redirect(_url(draft.RESIDENT))


# The resident


@making.route("/resident", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def resident():
    """Find the resident among those this user may see, or go on to add a new one."""
    answers = _draft()
    search = SearchForm(formdata=request.args)
    found = find_residents(current_user, search.q.data or "") if search.validate() else []
    form = ChooseResidentForm()
    if form.validate_on_submit():
        chosen = _resident_numbered(form.resident_id.data)
        if not may_see_resident(current_user, chosen):
            abort(404)
        _choose_resident(answers, chosen)
        return _onward(answers, draft.RESIDENT)
    for person in found:
        _shown(person, "resident search when making a referral")
    db.session.commit()
    if _changing():
        back = _url(draft.CHECK)
    else:
        back = answers.get(draft.CAME_FROM) or url_for("main.home")
    return render_template(
        "views/referrals/make-resident.html",
        form=form,
        search=search,
        found=found,
        change=1 if _changing() else None,
        back=back,
        service=db.session.get(Service, answers["service_id"]) if "service_id" in answers else None,
    )


def _choose_resident(answers: dict, resident: Resident) -> None:
    """Refer `resident`, saying so when the service chosen first does not suit them."""
    chosen_first = (
        db.session.get(Service, answers["service_id"]) if answers.get(draft.SERVICE_FIRST) else None
    )
    draft.choose_resident(answers, resident)
    if chosen_first is not None and "service_id" not in answers:
        flash(
            f"{chosen_first.name} does not take people of their age, does not meet the need "
            "or has closed. Choose another service for them.",
        )


def _new_resident_page(step: str):
    """The draft, or a redirect when an earlier new-resident page is still unanswered."""
    answers = _draft()
    if not draft.reachable(answers, step):
        if "resident_id" in answers and "new_resident" not in answers:
            # Added already, say by the first of two presses of "Add resident".
            return answers, _first_unanswered(answers)
        missing = draft.new_resident_step(answers)
        # A new-resident page is out of reach only while an earlier one is unanswered.
        assert missing is not None
        return answers, redirect(_url(missing, change=1) if _changing() else _url(missing))
    return answers, None


@making.route("/new-resident/name", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_name():
    answers, elsewhere = _new_resident_page("new_resident_name")
    if elsewhere:
        return elsewhere
    form = _form(NameForm, draft.new_resident(answers))
    if form.validate_on_submit():
        draft.answer_new_resident(
            answers, given_name=form.given_name.data, family_name=form.family_name.data
        )
        return _onward(answers, "new_resident_name")
    return _question("make-name.html", "new_resident_name", form)


@making.route("/new-resident/date-of-birth", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_date_of_birth():
    answers, elsewhere = _new_resident_page("new_resident_date_of_birth")
    if elsewhere:
        return elsewhere
    form = _form(DateOfBirthForm, draft.new_resident(answers), today=clock.today())
    if form.validate_on_submit():
        draft.answer_new_resident(answers, date_of_birth=form.date_of_birth.data.isoformat())
        return _onward(answers, "new_resident_date_of_birth")
    return _question("make-date-of-birth.html", "new_resident_date_of_birth", form)


@making.route("/new-resident/nhs-number", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_nhs_number():
    answers, elsewhere = _new_resident_page("new_resident_nhs_number")
    if elsewhere:
        return elsewhere
    form = _form(NhsNumberForm, draft.new_resident(answers))
    if form.validate_on_submit():
        draft.answer_new_resident(answers, nhs_number=form.cleaned())
        return _onward(answers, "new_resident_nhs_number")
    return _question("make-nhs-number.html", "new_resident_nhs_number", form)


def _matches(answers: dict) -> list[Resident]:
    new = draft.new_resident(answers)
    return possible_duplicates(
        current_user,
        nhs_number=new.get("nhs_number"),
        given_name=new["given_name"],
        family_name=new["family_name"],
        date_of_birth=new["date_of_birth"],
    )


@making.route("/new-resident/same-person", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_same_person():
    """Residents the user may see with the same NHS number, or name and date of birth:
    use one of them, or say the new resident is someone else. Shown only when there are."""
    answers, elsewhere = _new_resident_page("new_resident_same_person")
    if elsewhere:
        return elsewhere
    matches = _matches(answers)
    form = SamePersonForm()
    if not matches or form.validate_on_submit():
        if not matches or not form.resident_id.data:
            draft.answer_new_resident(
                answers, checked_duplicates=True, not_same_as=[m.id for m in matches]
            )
            return _onward(answers, "new_resident_same_person")
        chosen = _resident_numbered(form.resident_id.data)
        if not may_see_resident(current_user, chosen):
            abort(404)
        _choose_resident(answers, chosen)
        return _onward(answers, draft.RESIDENT)
    for match in matches:
        _shown(match, "possible duplicate when adding a resident")
    db.session.commit()
    return _question("make-same-person.html", "new_resident_same_person", form, matches=matches)


@making.route("/new-resident/address", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_address():
    answers, elsewhere = _new_resident_page("new_resident_address")
    if elsewhere:
        return elsewhere
    new = draft.new_resident(answers)
    neighbourhoods = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name))
    form = _form(
        AddressForm,
        {"postcode": new.get("postcode"), "neighbourhood": str(new.get("neighbourhood_id", ""))},
    ).fill(neighbourhoods)
    if form.validate_on_submit():
        draft.answer_new_resident(
            answers,
            postcode=form.cleaned_postcode(),
            neighbourhood_id=int(form.neighbourhood.data),
        )
        return _onward(answers, "new_resident_address")
    return _question("make-address.html", "new_resident_address", form)


@making.route("/new-resident/contact", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_contact():
    answers, elsewhere = _new_resident_page("new_resident_contact")
    if elsewhere:
        return elsewhere
    form = _form(ContactForm, draft.new_resident(answers))
    if form.validate_on_submit():
        draft.answer_new_resident(answers, **form.contact_answers())
        return _onward(answers, "new_resident_contact")
    return _question("make-contact.html", "new_resident_contact", form)


@making.route("/new-resident/language", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def new_resident_language():
    """The last question about a new resident: then they are added, unless someone
    matching them has been added since the user said they were someone new."""
    answers, elsewhere = _new_resident_page("new_resident_language")
    if elsewhere:
        return elsewhere
    so_far = {"language": "English", **draft.new_resident(answers)}
    if "interpreter_needed" in so_far:
        so_far["interpreter_needed"] = YES if so_far["interpreter_needed"] else NO
    form = _form(LanguageForm, so_far)
    if not form.validate_on_submit():
        return _question("make-language.html", "new_resident_language", form)
    draft.answer_new_resident(
        answers,
        language=form.language.data,
        interpreter_needed=form.interpreter_needed.data == YES,
        accessibility_needs=form.accessibility_needs.data or "",
    )
    seen = set(draft.new_resident(answers).get("not_same_as", []))
    if any(match.id not in seen for match in _matches(answers)):
        # Someone matching them was added meanwhile, perhaps by this very form sent twice.
        answers["new_resident"].pop("checked_duplicates")
        draft.store(current_user, answers)
        db.session.commit()
        return redirect(_url("new_resident_same_person"))
    added = _add_resident(draft.new_resident(answers))
    _choose_resident(answers, added)
    return _onward(answers, draft.RESIDENT)


def _add_resident(answers: dict) -> Resident:
    added = Resident(
        given_name=answers["given_name"],
        family_name=answers["family_name"],
        date_of_birth=answers["date_of_birth"],
        nhs_number=answers["nhs_number"],
        postcode=answers["postcode"],
        neighbourhood_id=answers["neighbourhood_id"],
        phone=answers["phone"],
        email=answers["email"],
        preferred_contact=ContactMethod(answers["preferred_contact"]),
        language=answers["language"],
        interpreter_needed=answers["interpreter_needed"],
        accessibility_needs=answers["accessibility_needs"],
        created_by_organisation_id=current_user.organisation_id,
    )
    db.session.add(added)
    db.session.flush()
    log_access(current_user, added.id, AccessAction.CHANGE, "added the resident")
    # Committed with the draft that now names them, by the page.
    return added


# The referral


def _referral_page(step: str):
    """The draft, or a redirect to the first unanswered step when `step` comes after it."""
    answers = _draft()
    if not draft.reachable(answers, step):
        return answers, _first_unanswered(answers)
    return answers, None


@making.route("/need", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def need():
    answers, elsewhere = _referral_page("need")
    if elsewhere:
        return elsewhere
    needs = db.session.scalars(select(NeedCategory).order_by(NeedCategory.name))
    form = _form(NeedForm, {"need": str(answers.get("need_id", ""))}).fill(needs)
    if form.validate_on_submit():
        draft.choose_need(answers, db.session.get(NeedCategory, int(form.need.data)))
        return _onward(answers, "need")
    return _question("make-need.html", "need", form)


def _suggestions(answers: dict) -> list[Suggestion]:
    """Services for the need, the resident's neighbourhood and age, best first; not closed
    ones. The service already chosen is among them when it is eligible, however far down."""
    chosen = _chosen(answers)

    def eligible(limit: int) -> list[Suggestion]:
        found = suggest(
            answers["need_id"],
            chosen.neighbourhood_id,
            age_on(chosen.date_of_birth, clock.today()),
            limit=limit,
        )
        return [s for s in found if s.service.capacity_status is not CapacityStatus.CLOSED]

    best = eligible(SUGGESTIONS)
    service_id = answers.get("service_id")
    if service_id is not None and all(s.service.id != service_id for s in best):
        best += [s for s in eligible(sys.maxsize) if s.service.id == service_id]
    return best


@making.route("/service", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def service():
    """Choose from the suggestions, or record that no suitable service exists."""
    answers, elsewhere = _referral_page("service")
    if elsewhere:
        return elsewhere
    suggestions = _suggestions(answers)
    form = _form(ServiceForm, {"service": str(answers.get("service_id", ""))}).fill(suggestions)
    if form.validate_on_submit():
        if form.no_suitable_service():
            chosen = _chosen(answers)
            unmet = record_unmet_need(
                answers["need_id"], chosen.neighbourhood_id, current_user.organisation_id, chosen.id
            )
            draft.discard(current_user)
            db.session.commit()
            return redirect(_url("unmet_need", unmet_need_id=unmet.id))
        chosen_service = db.session.get(Service, int(form.service.data))
        if why_not := lifecycle.why_not_send_to(chosen_service):
            form.service.errors.append(why_not)
        else:
            draft.choose_service(answers, chosen_service)
            return _onward(answers, "service")
    need = db.session.get(NeedCategory, answers["need_id"])
    return _question("make-service.html", "service", form, suggestions=suggestions, need=need)


@making.route("/consent", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def consent():
    answers, elsewhere = _referral_page("consent")
    if elsewhere:
        return elsewhere
    given = answers.get("consent")
    form = _form(ConsentForm, {**given, "confirmed": True} if given else {})
    if form.validate_on_submit():
        representative = form.given_by.data == ConsentGiver.REPRESENTATIVE.value
        draft.give_consent(
            answers,
            given_by=form.given_by.data,
            covers=form.covers.data,
            representative_name=form.representative_name.data if representative else None,
        )
        return _onward(answers, "consent")
    return _question("make-consent.html", "consent", form)


@making.route("/details", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def details():
    """Urgency and why, and how to contact the resident: their record's answers to start with."""
    answers, elsewhere = _referral_page("details")
    if elsewhere:
        return elsewhere
    chosen = _chosen(answers)
    form = DetailsForm()
    if request.method == "GET":
        form.fill(draft.details_so_far(answers, chosen))
    elif form.validate_on_submit():
        draft.give_details(answers, **form.answers())
        return _onward(answers, "details")
    _shown(chosen, "contact details when making a referral")
    db.session.commit()
    due = {urgency.value: due_working_days(urgency) for urgency in Urgency}
    return _question("make-details.html", "details", form, resident=chosen, due=due)


# Check and send


def _check_page(answers: dict, *, problem: str | None = None, existing=None, status=200):
    chosen = _chosen(answers)
    _shown(chosen, "check answers when making a referral")
    db.session.commit()
    form = SendForm(formdata=None, idempotency_key=uuid4().hex)
    return render_template(
        "views/referrals/make-check.html",
        form=form,
        resident=chosen,
        need=db.session.get(NeedCategory, answers["need_id"]),
        service=db.session.get(Service, answers["service_id"]),
        consent=answers["consent"],
        details=answers["details"],
        change=_change_link,
        correct=_correct_link(chosen),
        problem=problem,
        existing=existing,
        back=_url(draft.step_before(draft.CHECK)),
    ), status


@making.route("/check")
@requires_role(Role.CASEWORKER)
def check():
    answers, elsewhere = _referral_page(draft.CHECK)
    if elsewhere:
        return elsewhere
    return _check_page(answers)


def _sent_with(key: str) -> Referral | None:
    """The referral this user already sent from this check page, when it is pressed twice
    after the first press has cleared the answers."""
    return db.session.scalar(
        select(Referral).where(
            Referral.from_user_id == current_user.id, Referral.idempotency_key == key
        )
    )


def _summary(details: dict) -> str:
    """Why, and the best times to call: the referral has no place of its own for the times."""
    summary = details["summary"]
    if details.get("best_times"):
        summary += f"\n\nBest times to contact them: {details['best_times']}"
    return summary


@making.route("/send", methods=["POST"])
@requires_role(Role.CASEWORKER)
def send():
    """Send the referral. Sent twice from the same page, it is sent once."""
    form = SendForm()
    answers = _draft()
    if not form.validate_on_submit():
        return redirect(_url(draft.CHECK))
    key = form.idempotency_key.data
    if not draft.is_complete(answers):
        if sent := _sent_with(key):
            return redirect(_url("sent", referral_id=sent.id))
        return _first_unanswered(answers)
    chosen = _chosen(answers)
    # The resident's record changes with the referral, in the same commit.
    if changes := draft.resident_changes(answers, chosen):
        for field, value in changes.items():
            setattr(chosen, field, ContactMethod(value) if field == "preferred_contact" else value)
        log_access(
            current_user, chosen.id, AccessAction.CHANGE, "changed contact details when referring"
        )
    consent = answers["consent"]
    # The draft goes in the same commit as the referral; a refusal rolls both back.
    draft.delete_draft(current_user)
    try:
        referral, is_new = lifecycle.send(
            current_user,
            resident=chosen,
            need=db.session.get(NeedCategory, answers["need_id"]),
            service=db.session.get(Service, answers["service_id"]),
            urgency=Urgency(answers["details"]["urgency"]),
            summary=_summary(answers["details"]),
            consent=ConsentGiven(
                ConsentGiver(consent["given_by"]),
                consent["covers"],
                consent["representative_name"],
            ),
            idempotency_key=key,
        )
    except AlreadyOpen as refusal:
        message, existing = refusal.message, refusal.existing.id
        db.session.rollback()
        return _check_page(
            answers, problem=message, existing=db.session.get(Referral, existing), status=409
        )
    except Refused as refusal:
        message = refusal.message
        db.session.rollback()
        return _check_page(answers, problem=message, status=409)
    if not is_new:
        # Pressed twice: the first press sent it, with any change to the resident's record.
        db.session.rollback()
        draft.delete_draft(current_user)
    db.session.commit()
    draft.forget()
    return redirect(_url("sent", referral_id=referral.id))


# When it is done


@making.route("/sent/<int:referral_id>")
@requires_role(Role.CASEWORKER)
def sent(referral_id: int):
    referral = referral_or_404(current_user, referral_id)
    # Only the organisation that sent it, and only once it has been sent.
    if Side.REFERRER not in lifecycle.sides(current_user, referral) or referral.sent_at is None:
        abort(404)
    return render_template(
        "views/referrals/make-sent.html",
        referral=referral,
        reply_by=due_date(referral.sent_at, referral.urgency, bank_holidays()),
    )


@making.route("/no-suitable-service/<int:unmet_need_id>")
@requires_role(Role.CASEWORKER)
def unmet_need(unmet_need_id: int):
    unmet = db.session.get(UnmetNeed, unmet_need_id)
    if not may_see_unmet_need(current_user, unmet):
        abort(404)
    return render_template("views/referrals/make-unmet-need.html", unmet=unmet)
