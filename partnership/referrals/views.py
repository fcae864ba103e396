"""A referral's page: details for the two parties, its timeline, messages and actions.

Views only translate HTTP: the lifecycle decides what may happen and `access` who may see
it. Every page or fragment that shows the resident or messages writes one access-log row,
in the same commit as anything else the request wrote.
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from partnership import access, clock, words
from partnership.access import (
    log_access,
    log_view_since,
    may_see_referral,
    referral_or_404,
    requires_role,
)
from partnership.clock import LONDON
from partnership.directory.suggestions import Suggestion, suggest
from partnership.extensions import db
from partnership.forms import came_from, passed_back
from partnership.inputs import whole_number
from partnership.models import (
    AccessAction,
    CapacityStatus,
    DeclineReason,
    Event,
    Organisation,
    Referral,
    ReferralStatus,
    Role,
    Service,
    User,
)
from partnership.referrals import lifecycle, overdue
from partnership.referrals.forms import (
    AssignForm,
    ForwardForm,
    MessageForm,
    action_form,
)
from partnership.referrals.lifecycle import (
    TERMINAL,
    Action,
    NoPlacesLeft,
    NotAllowed,
    Refused,
    Side,
    Stale,
)
from partnership.referrals.messages import log_messages_seen, messages_for, post_message

referrals = Blueprint("referrals", __name__, url_prefix="/referrals")

ACTIONS = "any(" + ", ".join(a.value for a in Action) + ")"
# Refusals a person cannot put right by correcting the form: the page says why, with 409.
CONFLICTS = (NotAllowed, NoPlacesLeft, Stale)
FORWARD_CHOICES = 20


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# The timeline


@dataclass(frozen=True)
class TimelineEntry:
    title: str
    byline: str | None
    at: datetime
    description: str


def _description(event, people: dict[int, str], references: dict[int, str]) -> str:
    """What the event did, in words. Codes and names only: events never carry free text."""
    detail = event.detail or {}
    # The words are keyed by the codes, which are strings: a code read back finds its words.
    if event.kind == "declined" and detail.get("reason") in words.DECLINE_REASON:
        return f"Reason: {words.DECLINE_REASON[detail['reason']]}"
    if event.kind == "completed" and detail.get("outcome") in words.OUTCOME:
        return f"Outcome: {words.OUTCOME[detail['outcome']]}"
    if event.kind == "assigned":
        assignee_id = detail.get("assignee_id")
        assignee = people.get(assignee_id) if assignee_id is not None else None
        return f"Assigned to {assignee}" if assignee else "No one is assigned now"
    if event.kind == "sent" and detail.get("forwarded_from") in references:
        return f"Forwarded from {references[detail['forwarded_from']]}"
    return ""


def timeline(referral: Referral) -> list[TimelineEntry]:
    """Every event of the referral, newest first, as the MOJ timeline shows them."""
    # One query with the actors' names: loading Event objects with their actors and
    # organisations took three (8 ms of the page on a long timeline).
    events = db.session.execute(
        select(
            Event.kind,
            Event.detail,
            Event.created_at,
            User.name.label("actor"),
            Organisation.name.label("organisation"),
        )
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Event.referral_id == referral.id)
        .order_by(Event.id.desc())
    ).all()
    assignee_ids = {(e.detail or {}).get("assignee_id") for e in events if e.kind == "assigned"}
    people = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_(assignee_ids - {None}))
        ).all()
    )
    references = {}
    if (earlier := referral.forwarded_from) is not None:
        references[earlier.id] = earlier.reference
    return [
        TimelineEntry(
            title=words.event_words(event.kind),
            byline=f"{event.actor}, {event.organisation}" if event.actor else None,
            at=event.created_at.astimezone(LONDON),
            description=_description(event, people, references),
        )
        for event in events
    ]


# The page


def _assignable(referral: Referral) -> list[User]:
    """The receiving organisation's active people who work on referrals."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == referral.to_organisation_id,
                access.works_on_referrals_clause(),
            )
            .order_by(User.name, User.id)
        )
    )


def _may_assign(user: User, referral: Referral) -> bool:
    """Whether to offer the assign form; lifecycle.assign has the final word."""
    return Side.RECIPIENT in lifecycle.sides(user, referral) and referral.status not in TERMINAL


@dataclass
class Problem:
    """Why the last post was refused, for the error summary at the top of the page."""

    message: str
    no_places: bool = False


def _reply_due(referral: Referral, today: date) -> tuple[date | None, bool]:
    """When a reply is due and whether it is late: only while the referral awaits one."""
    if referral.status is not ReferralStatus.REQUESTED or referral.sent_at is None:
        return None, False
    holidays = overdue.bank_holidays()
    return (
        overdue.due_date(referral.sent_at, referral.urgency, holidays),
        overdue.is_overdue(referral.sent_at, referral.urgency, today, holidays),
    )


def _details(user: User, referral: Referral) -> dict:
    """What the referral's rows and tags show (partials/referral-details.html)."""
    due, is_overdue = _reply_due(referral, clock.today())
    forwarded_to = db.session.scalars(
        select(Referral).where(Referral.forwarded_from_id == referral.id).order_by(Referral.id)
    )
    earlier = referral.forwarded_from
    return {
        "referral": referral,
        "due": due,
        "is_overdue": is_overdue,
        "forwarded_from": earlier,
        "may_see_forwarded_from": earlier is not None and may_see_referral(user, earlier),
        "forwarded_to": [later for later in forwarded_to if may_see_referral(user, later)],
        "decline_reasons": words.DECLINE_REASON,
        "outcomes": words.OUTCOME,
    }


def _actions(
    user: User,
    referral: Referral,
    *,
    problem: Problem | None = None,
    failed: FlaskForm | None = None,
    failed_action: Action | None = None,
) -> dict:
    """The forms for what the user may do now (partials/referral-actions.html).

    `failed` is a form sent back to be put right (for `failed_action` if it is an action's);
    the other forms start afresh, each carrying the version on screen now.
    """
    forms = {
        action: failed if failed is not None and action is failed_action else action_form(action)
        for action in lifecycle.allowed_actions(user, referral)
    }
    for form in forms.values():
        # The version on screen now, so that a refused form can be sent again.
        form.version.data = str(referral.version)
    if problem and problem.no_places and Action.DECLINE in forms and not failed_action:
        forms[Action.DECLINE].reason.data = DeclineReason.NO_CAPACITY.value
    assign_form = None
    if _may_assign(user, referral):
        assign_form = failed if isinstance(failed, AssignForm) else AssignForm(formdata=None)
        assign_form.fill(_assignable(referral), referral.assignee_id)
    return {
        "referral": referral,
        "action_forms": forms,
        "buttons": words.ACTION_BUTTON,
        "assign_form": assign_form,
        "may_forward": lifecycle.may_forward(user, referral),
        "problem": problem,
    }


def _page(
    referral: Referral,
    *,
    status: int = 200,
    problem: Problem | None = None,
    failed: FlaskForm | None = None,
    failed_action: Action | None = None,
):
    """The referral page for a party, its view written to the access log in one commit.

    The commit comes after rendering: no page goes out without its log entry, and
    committing first expired every object the page then read again, one query at a time.
    """
    user = current_user
    log_access(
        user, referral.resident_id, AccessAction.VIEW, "referral page", referral_id=referral.id
    )
    resident = referral.resident
    consent = referral.consent
    # Back to the list it was opened from (its tab, filters and search), else the box it is in.
    box = "boxes.inbox" if Side.RECIPIENT in lifecycle.sides(user, referral) else "boxes.outbox"
    page = render_template(
        "views/referrals/referral.html",
        **_details(user, referral)
        | _actions(user, referral, problem=problem, failed=failed, failed_action=failed_action),
        back=came_from(url_for(box)),
        this_page=url_for("referrals.referral", referral_id=referral.id, back=passed_back()),
        resident=resident,
        age=age_on(resident.date_of_birth, clock.today()),
        consent=consent,
        consent_recorded_by=db.session.get(User, consent.recorded_by_id) if consent else None,
        contact_methods=words.CONTACT_METHOD,
        timeline=timeline(referral),
        messages=messages_for(referral),
        message_form=failed if isinstance(failed, MessageForm) else MessageForm(formdata=None),
        failed_form=failed,
    )
    db.session.commit()
    return page, status


def _refused(referral_id: int, refusal: Refused):
    """Show the page again saying why, with nothing of the refused change written."""
    db.session.rollback()
    referral = db.get_or_404(Referral, referral_id)
    return _page(
        referral,
        status=409 if isinstance(refusal, CONFLICTS) else 200,
        problem=Problem(refusal.message, no_places=isinstance(refusal, NoPlacesLeft)),
    )


@referrals.route("/<int:referral_id>")
@requires_role(Role.CASEWORKER)
def referral(referral_id: int):
    found = referral_or_404(current_user, referral_id)
    # The first time the recipient looks, the referrer's timeline says it has been seen.
    lifecycle.mark_opened(found, current_user)
    return _page(found)


@referrals.route(f"/<int:referral_id>/<{ACTIONS}:action>", methods=["POST"])
@requires_role(Role.CASEWORKER)
def act(referral_id: int, action: str):
    """Accept, decline, start, hold, resume, complete or cancel, as an ordinary form post."""
    found = referral_or_404(current_user, referral_id)
    action = Action(action)
    form = action_form(action, posted=True)
    # A form with mistakes comes back to be put right, but only for an action on offer:
    # anything else is refused by the lifecycle, saying why.
    if action in lifecycle.allowed_actions(current_user, found) and not form.validate():
        return _page(found, failed=form, failed_action=action)
    try:
        lifecycle.transition(
            found,
            current_user,
            action,
            form.details(),
            expected_version=form.expected_version(),
        )
    except Refused as refusal:
        return _refused(referral_id, refusal)
    db.session.commit()
    flash(words.ACTION_DONE[action], "success")
    return redirect(url_for(".referral", referral_id=found.id))


@referrals.route("/<int:referral_id>/assignee", methods=["POST"])
@requires_role(Role.CASEWORKER)
def assign(referral_id: int):
    found = referral_or_404(current_user, referral_id)
    people = _assignable(found)
    form = AssignForm().fill(people, found.assignee_id)
    valid = form.validate()
    if not valid and _may_assign(current_user, found):
        return _page(found, failed=form)
    chosen = next((p for p in people if str(p.id) == form.assignee.data), None) if valid else None
    try:
        lifecycle.assign(found, current_user, chosen)
    except Refused as refusal:
        return _refused(referral_id, refusal)
    db.session.commit()
    flash(f"Assigned to {chosen.name}" if chosen else "No one is assigned now", "success")
    return redirect(url_for(".referral", referral_id=found.id))


@referrals.route("/<int:referral_id>/messages", methods=["POST"])
@requires_role(Role.CASEWORKER)
def send_message(referral_id: int):
    found = referral_or_404(current_user, referral_id)
    form = MessageForm()
    if not form.validate():
        return _page(found, failed=form)
    try:
        post_message(found, current_user, form.body.data)
    except Refused as refusal:
        return _refused(referral_id, refusal)
    db.session.commit()
    flash("Message sent", "success")
    return redirect(url_for(".referral", referral_id=found.id, _anchor="messages"))


# Fragments for live updates: the same checks as the page, and the same access log.


@referrals.route("/<int:referral_id>/status")
@requires_role(Role.CASEWORKER)
def status_fragment(referral_id: int):
    """The referral's tags, rows and actions as they are now, for an open page.

    The page asks on every event of the referral, saying the version it shows (`seen`);
    while that is still the version, the answer is 204 and nothing is swapped, so a message
    arriving never clears a form being filled in. The summary and a closing note are free
    text about the resident: showing one written since the user's last logged view of the
    referral is logged as a view (the page's own view covers the summary).
    """
    found = referral_or_404(current_user, referral_id)
    if whole_number(request.args.get("seen")) == found.version:
        return "", 204
    # A closing note is written by the change that closes the referral: never later than
    # its last change (forwarding counts as one, so that errs towards logging).
    written = found.updated_at if found.closing_note else found.created_at
    log_view_since(current_user, found, written, "referral status")
    page = render_template(
        "partials/referral-status-now.html",
        **_details(current_user, found) | _actions(current_user, found),
    )
    db.session.commit()
    return page


@referrals.route("/<int:referral_id>/timeline")
@requires_role(Role.CASEWORKER)
def timeline_fragment(referral_id: int):
    """Events carry no free text and no resident's details: no access-log row."""
    found = referral_or_404(current_user, referral_id)
    return render_template(
        "partials/referral-timeline.html", referral=found, timeline=timeline(found)
    )


@referrals.route("/<int:referral_id>/messages")
@requires_role(Role.CASEWORKER)
def messages(referral_id: int):
    """Fetched by the open page on every event of the referral: logged as a view only when
    it shows a message the user had not been logged as seeing."""
    found = referral_or_404(current_user, referral_id)
    shown = messages_for(found)
    log_messages_seen(found, current_user, shown)
    page = render_template("partials/referral-messages.html", referral=found, messages=shown)
    db.session.commit()
    return page


# Forwarding a declined referral


def forward_choices(referral: Referral) -> list[Suggestion]:
    """Services the resident could go to instead: the same need, their neighbourhood and
    age, best first; not the one that declined, and none that is closed."""
    resident = referral.resident
    found = suggest(
        referral.need_id,
        resident.neighbourhood_id,
        age_on(resident.date_of_birth, clock.today()),
        limit=FORWARD_CHOICES + 1,
    )
    return [
        s
        for s in found
        if s.service.id != referral.to_service_id
        and s.service.capacity_status is not CapacityStatus.CLOSED
    ][:FORWARD_CHOICES]


@referrals.route("/<int:referral_id>/forward", methods=["GET", "POST"])
@requires_role(Role.CASEWORKER)
def forward(referral_id: int):
    found = referral_or_404(current_user, referral_id)
    if not lifecycle.may_forward(current_user, found):
        abort(404)
    choices = forward_choices(found)
    form = ForwardForm().fill(choices)
    status, problem, existing = 200, None, None
    if form.validate_on_submit():
        service = db.get_or_404(Service, int(form.service.data))
        try:
            new, _ = lifecycle.forward(
                found,
                current_user,
                service=service,
                summary=form.summary.data or "",
                idempotency_key=form.idempotency_key.data or None,
            )
        except lifecycle.AlreadyOpen as refusal:
            status, problem, existing = 409, refusal.message, refusal.existing
        except NotAllowed as refusal:
            status, problem = 409, refusal.message
        except Refused as refusal:
            form.service.errors.append(refusal.message)
        else:
            db.session.commit()
            flash(f"Referral sent to {service.name}", "success")
            return redirect(url_for(".referral", referral_id=new.id))
        db.session.rollback()
        found = db.get_or_404(Referral, referral_id)
    log_access(
        current_user, found.resident_id, AccessAction.VIEW, "forward page", referral_id=found.id
    )
    db.session.commit()
    return render_template(
        "views/referrals/forward.html",
        referral=found,
        form=form,
        choices=choices,
        decline_reasons=words.DECLINE_REASON,
        problem=problem,
        existing=existing,
    ), status
