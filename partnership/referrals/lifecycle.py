"""The referral lifecycle (DESIGN section 3): which side may do what, from which status.

The web pages, the API and the demo data make and move referrals only through `send`,
`forward`, `transition`, `assign` and `mark_opened` here. Each changes an existing referral
with one conditional UPDATE on the version that was read (so two changes can never both
win, nor end with the same version), and writes the timeline event, the daily summary and
the access-log row in the caller's transaction. Nothing here commits or rolls back: the
view or API handler does. Statuses are FHIR R4 Task.status values; a referral comes into
being already `requested` (a referral being made is a draft of its own, kept apart).
"""

import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast
from uuid import uuid4

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from partnership import access, clock, words
from partnership.extensions import db
from partnership.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AccessAction,
    CapacityStatus,
    Consent,
    ConsentGiver,
    DeclineReason,
    Event,
    NeedCategory,
    Organisation,
    Outcome,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    Urgency,
    User,
)
from partnership.referrals import daily_summary
from partnership.services.capacity import take_place

S = ReferralStatus


class Side(enum.StrEnum):
    REFERRER = "referrer"
    RECIPIENT = "recipient"


class Action(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    CANCEL = "cancel"


BOTH = frozenset(Side)
REFERRER = frozenset({Side.REFERRER})
RECIPIENT = frozenset({Side.RECIPIENT})

# (from status, action) -> (to status, the sides that may do it)
TRANSITIONS: dict[tuple[ReferralStatus, Action], tuple[ReferralStatus, frozenset[Side]]] = {
    (S.REQUESTED, Action.ACCEPT): (S.ACCEPTED, RECIPIENT),
    (S.REQUESTED, Action.DECLINE): (S.REJECTED, RECIPIENT),
    (S.ACCEPTED, Action.START): (S.IN_PROGRESS, RECIPIENT),
    (S.IN_PROGRESS, Action.HOLD): (S.ON_HOLD, RECIPIENT),
    (S.ON_HOLD, Action.RESUME): (S.IN_PROGRESS, RECIPIENT),
    (S.ACCEPTED, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.IN_PROGRESS, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.ON_HOLD, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.REQUESTED, Action.CANCEL): (S.CANCELLED, REFERRER),
    # Once accepted, either side may cancel, with a reason.
    (S.ACCEPTED, Action.CANCEL): (S.CANCELLED, BOTH),
    (S.IN_PROGRESS, Action.CANCEL): (S.CANCELLED, BOTH),
    (S.ON_HOLD, Action.CANCEL): (S.CANCELLED, BOTH),
}

TERMINAL = frozenset(CLOSED_STATUSES)

# When each status was reached, for the referral's own timestamps.
STAMPS = {
    S.REQUESTED: "sent_at",
    S.ACCEPTED: "accepted_at",
    S.REJECTED: "declined_at",
    S.IN_PROGRESS: "started_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}


class Refused(Exception):
    """A change the rules do not allow; `message` says why in words a caseworker uses."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(Refused):
    """The status or the user's side does not allow this action (HTTP 409)."""


class NoPlacesLeft(Refused):
    """Accepting needs a place and the service has none left (HTTP 409)."""


class Stale(Refused):
    """The referral changed since the caller last saw it (HTTP 412 with If-Match)."""


class Incomplete(Refused):
    """A reason, outcome or note the action needs is missing or not allowed (HTTP 422)."""


class KeyReused(Refused):
    """The idempotency key already sent a different referral (HTTP 422)."""


class NotReceiving(Refused):
    """The service is closed, or nobody at its organisation can receive referrals (HTTP 422)."""


def sides(user: User, referral: Referral) -> frozenset[Side]:
    """The sides of the referral the user acts for; empty when they are not a party.

    Only caseworkers and coordinators act on referrals: leads and admins never do.
    """
    if not access.may_see_referral(user, referral):
        return frozenset()
    found = set()
    if user.organisation_id == referral.from_organisation_id:
        found.add(Side.REFERRER)
    if user.organisation_id == referral.to_organisation_id:
        found.add(Side.RECIPIENT)
    return frozenset(found)


def sides_possible(user: User) -> bool:
    """Whether the user's role ever acts on referrals (caseworkers and coordinators)."""
    return access.works_on_referrals(user)


def allowed_actions(user: User, referral: Referral) -> list[Action]:
    """The actions to offer this user on this referral, in lifecycle order."""
    user_sides = sides(user, referral)
    return [
        action
        for (status, action), (_, permitted) in TRANSITIONS.items()
        if status == referral.status and user_sides & permitted
    ]


def may_forward(user: User, referral: Referral) -> bool:
    """A declined referral can be forwarded by its referrer to another service."""
    return referral.status is S.REJECTED and Side.REFERRER in sides(user, referral)


@dataclass
class Details:
    reason: DeclineReason | None = None
    outcome: Outcome | None = None
    note: str = ""


def _check_details(action: Action, details: Details) -> None:
    note = (details.note or "").strip()
    if len(note) > 2000:
        raise Incomplete("The note must be 2,000 characters or fewer")
    if action is Action.DECLINE:
        if details.reason is None:
            raise Incomplete("Select why the referral is declined")
        if details.reason is DeclineReason.OTHER and not note:
            raise Incomplete("Say why the referral is declined")
    elif details.reason is not None:
        raise Incomplete("Only a decline takes a reason code")
    if action is Action.COMPLETE and details.outcome is None:
        raise Incomplete("Select the outcome for the resident")
    if action is not Action.COMPLETE and details.outcome is not None:
        raise Incomplete("Only completing takes an outcome")
    if action is Action.CANCEL and not note:
        raise Incomplete("Say why the referral is cancelled")


def event_for(referral: Referral, kind: str, actor: User | None, **fields) -> Event:
    """A timeline event carrying ids and codes only, never personal data."""
    event = Event(
        kind=kind,
        actor_id=actor.id if actor else None,
        referral_id=referral.id,
        service_id=referral.to_service_id,
        from_organisation_id=referral.from_organisation_id,
        to_organisation_id=referral.to_organisation_id,
        neighbourhood_id=referral.neighbourhood_id,
        **fields,
    )
    db.session.add(event)
    return event


def transition(
    referral: Referral,
    user: User,
    action: Action,
    details: Details | None = None,
    *,
    expected_version: int | None = None,
) -> Event:
    """Apply `action`, or raise a `Refused` saying why; nothing is written when refused.

    The status changes through a conditional UPDATE on the status and version that were
    read, so two people acting at once cannot both succeed; accepting takes a place with
    an UPDATE that never goes below zero, in the same transaction.
    """
    details = details or Details()
    rule = TRANSITIONS.get((referral.status, action))
    user_sides = sides(user, referral)
    if rule is None or not (user_sides & rule[1]):
        raise NotAllowed(
            _taken_away(referral, lambda status: _may(user_sides, status, action))
            or _why_not(referral, action, user_sides)
        )
    if expected_version is not None and expected_version != referral.version:
        raise Stale(_changed_since(referral, expected_version))
    _check_details(action, details)
    to_status = rule[0]
    from_status = referral.status
    now = clock.now()
    counted_before = daily_summary.tally(referral)

    values: dict = {"status": to_status, "updated_at": now}
    if stamp := STAMPS.get(to_status):
        values[stamp] = now
    if action is Action.DECLINE:
        values["decline_reason"] = details.reason
    if action is Action.COMPLETE:
        values["outcome"] = details.outcome
    if details.note.strip() and action in (Action.DECLINE, Action.COMPLETE, Action.CANCEL):
        values["closing_note"] = details.note.strip()
    # The receiving organisation acting on a referral has opened it, by whatever route.
    opening = Side.RECIPIENT in user_sides and referral.opened_at is None
    if opening:
        values["opened_at"] = now
    with db.session.begin_nested():
        _change(referral, values)
        if action is Action.ACCEPT and not take_place(referral.to_service_id, user):
            raise NoPlacesLeft(
                "No places are left on this service. Update its capacity, or decline the "
                "referral with the reason 'no capacity'."
            )
    if opening:
        event_for(referral, "opened", user)
    detail = {}
    if details.reason:
        detail["reason"] = details.reason.value
    if details.outcome:
        detail["outcome"] = details.outcome.value
    event = event_for(
        referral,
        PAST[action],
        user,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )
    db.session.flush()
    db.session.refresh(referral)
    daily_summary.count_change(counted_before, daily_summary.tally(referral))
    _logged(user, referral, f"{PAST[action]} the referral")
    return event


def _change(referral: Referral, values: dict) -> None:
    """The one way an existing referral changes: an UPDATE that applies only if the row
    still has the status and version that were read, and raises the version by one.

    Raises `Stale` when someone else's change got there first, saying whose it was and
    when; nothing is written then.
    """
    seen = referral.status
    # An UPDATE gives a CursorResult, though Session.execute is typed as returning any Result.
    changed = cast(
        CursorResult,
        db.session.execute(
            update(Referral)
            .where(
                Referral.id == referral.id,
                Referral.status == seen,
                Referral.version == referral.version,
            )
            .values(version=Referral.version + 1, **values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed != 1:
        # The change that got there first has committed (it held the row until then), so
        # its event can be read now: the newest into the status it left, if it moved one.
        status = db.session.scalar(select(Referral.status).where(Referral.id == referral.id))
        latest = _latest_change(referral.id, into=status if status is not seen else None)
        raise Stale(
            _said(latest)
            if latest
            else "Someone else changed this referral at the same moment: reload it"
        )


def _latest_change(referral_id: int, *, into: ReferralStatus | None = None):
    """The newest change on the referral's timeline (`into` a status, if given), with the
    name of the organisation whose person made it."""
    query = (
        select(
            Event.kind,
            Event.from_status,
            Event.to_status,
            Event.created_at,
            Organisation.name.label("organisation"),
        )
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Event.referral_id == referral_id, Event.kind.in_(CHANGES))
        .order_by(Event.id.desc())
        .limit(1)
    )
    if into is not None:
        query = query.where(Event.to_status == into)
    return db.session.execute(query).first()


def _said(change) -> str:
    return words.overtaken(change.kind, change.organisation, change.created_at, clock.now())


def _changed_since(referral: Referral, expected_version: int) -> str:
    """Why a change sent with an older version was refused: the newest change since."""
    latest = _latest_change(referral.id) if expected_version < referral.version else None
    if latest is None:
        return "The referral has changed since you loaded it: reload it and try again"
    return _said(latest)


def _taken_away(referral: Referral, could: Callable[[ReferralStatus], bool]) -> str | None:
    """Words for an action that the referral's last change of status took away: one the
    person `could` do in the status before, so they acted on what they saw before it."""
    latest = _latest_change(referral.id, into=referral.status)
    if latest is None or latest.from_status is None or not could(latest.from_status):
        return None
    return _said(latest)


def _may(user_sides: frozenset[Side], status: ReferralStatus, action: Action) -> bool:
    rule = TRANSITIONS.get((status, action))
    return rule is not None and bool(user_sides & rule[1])


def _logged(user: User, referral: Referral, what: str) -> None:
    access.log_access(
        user, referral.resident_id, AccessAction.CHANGE, what, referral_id=referral.id
    )


PAST = {
    Action.ACCEPT: "accepted",
    Action.DECLINE: "declined",
    Action.START: "started",
    Action.HOLD: "held",
    Action.RESUME: "resumed",
    Action.COMPLETE: "completed",
    Action.CANCEL: "cancelled",
}
# The timeline events that change a referral and raise its version; messages do not.
CHANGES = (*PAST.values(), "opened", "assigned")


def _why_not(referral: Referral, action: Action, user_sides: frozenset[Side]) -> str:
    status = words.STATUS[referral.status].lower()
    if not user_sides:
        return "Your organisation is not party to this referral"
    if referral.status in TERMINAL:
        return f"This referral is {status}: it can no longer be changed"
    rule = TRANSITIONS.get((referral.status, action))
    if rule is None:
        return f"A referral that is {status} cannot be {words.event_words(PAST[action]).lower()}"
    if Side.RECIPIENT in rule[1]:
        return "Only the receiving organisation can do that"
    return "Only the referring organisation can do that"


def mark_opened(referral: Referral, user: User) -> Event | None:
    """The first time the recipient opens a referral, the referrer's timeline says so.

    Opening changes what both parties see, so it raises the version like any change. If
    another change lands at the same moment, the referral is read again and, if still
    unopened, marked then.
    """
    for _attempt in range(2):
        if Side.RECIPIENT not in sides(user, referral) or referral.opened_at is not None:
            return None
        now = clock.now()
        try:
            with db.session.begin_nested():
                _change(referral, {"opened_at": now, "updated_at": now})
        except Stale:
            db.session.refresh(referral)
            continue
        db.session.refresh(referral)
        return event_for(referral, "opened", user)
    return None


def assign(
    referral: Referral, user: User, assignee: User | None, *, expected_version: int | None = None
) -> Event:
    """The receiving organisation gives the referral to one of its own people (or no one)."""
    if Side.RECIPIENT not in sides(user, referral):
        raise NotAllowed("Only the receiving organisation can assign this referral")
    if referral.status in TERMINAL:
        raise NotAllowed(
            _taken_away(referral, lambda status: status not in TERMINAL)
            or "A closed referral cannot be assigned"
        )
    if expected_version is not None and expected_version != referral.version:
        raise Stale(_changed_since(referral, expected_version))
    if assignee is not None and (
        assignee.organisation_id != referral.to_organisation_id
        or not access.works_on_referrals(assignee)
    ):
        raise Incomplete("Choose someone in your organisation who works on referrals")
    assignee_id = assignee.id if assignee else None
    with db.session.begin_nested():
        _change(referral, {"assignee_id": assignee_id, "updated_at": clock.now()})
    db.session.refresh(referral)
    _logged(user, referral, "assigned the referral")
    return event_for(referral, "assigned", user, detail={"assignee_id": assignee_id})


# Making referrals


class AlreadyOpen(Refused):
    """The resident already has an open referral to this service; `existing` is it."""

    def __init__(self, existing: Referral):
        super().__init__(
            f"{existing.reference} already refers this resident to this service and is still open"
        )
        self.existing = existing


@dataclass
class ConsentGiven:
    given_by: ConsentGiver
    covers: str
    representative_name: str | None = None


def open_referral_for(resident_id: int, service_id: int) -> Referral | None:
    return db.session.scalar(
        select(Referral).where(
            Referral.resident_id == resident_id,
            Referral.to_service_id == service_id,
            Referral.status.in_(OPEN_STATUSES),
        )
    )


def why_not_send_to(service: Service) -> str | None:
    """Why no referral may go to the service now, in words; None when one may.

    `send` refuses with this, and the pages that offer a choice of service check it first,
    so the person choosing hears why before they reach "Send".
    """
    if service.capacity_status is CapacityStatus.CLOSED:
        return f"{service.name} is closed to referrals"
    if not access.receives_referrals(service.organisation_id):
        organisation = service.organisation.name
        why = words.no_referrals_taken(organisation, current_app.config["PARTNERSHIP_NAME"])
        return f"{service.name} {why}. Contact the service directly, or choose another service"
    return None


@dataclass
class Sending:
    """What a send is asked to send: the same again is a retry of the same request."""

    resident: Resident
    need: NeedCategory
    service: Service
    urgency: Urgency
    summary: str
    consent: ConsentGiven
    forwarded_from: Referral | None = None

    def fingerprint(self) -> str:
        """A hash of the request, kept beside its idempotency key."""
        request = [
            self.resident.id,
            self.need.id,
            self.service.id,
            self.urgency.value,
            self.summary.strip(),
            self.consent.given_by.value,
            self.consent.covers.strip(),
            self.consent.representative_name,
            self.forwarded_from.id if self.forwarded_from else None,
        ]
        return hashlib.sha256(json.dumps(request).encode()).hexdigest()


def _replayed(user: User, idempotency_key: str | None, request: str) -> Referral | None:
    """The referral this user already sent with this key, if any; `KeyReused` when that
    was a different request (`request` is its fingerprint)."""
    if not idempotency_key:
        return None
    existing = db.session.scalar(
        select(Referral).where(
            Referral.from_user_id == user.id, Referral.idempotency_key == idempotency_key
        )
    )
    # Referrals sent before fingerprints were kept have none: a retry of those is trusted.
    if existing is not None and existing.idempotency_fingerprint not in (None, request):
        raise KeyReused("This key was already used to send a different referral")
    return existing


def send(
    user: User,
    *,
    resident: Resident,
    need: NeedCategory,
    service: Service,
    urgency: Urgency,
    summary: str,
    consent: ConsentGiven,
    idempotency_key: str | None = None,
    forwarded_from: Referral | None = None,
) -> tuple[Referral, bool]:
    """Send a referral; returns it and whether it is new.

    A repeated submission (same user, same idempotency key) returns the first referral
    instead of making a second. A second open referral of the resident to the same
    service is refused with `AlreadyOpen`, also when an identical submission wins a race:
    the unique indexes decide, and only this insert's savepoint is rolled back. A service
    that cannot take it (`why_not_send_to`) is refused with `NotReceiving`.
    """
    if not sides_possible(user):
        raise NotAllowed("Only caseworkers and coordinators make referrals")
    request = Sending(
        resident, need, service, urgency, summary, consent, forwarded_from
    ).fingerprint()
    if existing := _replayed(user, idempotency_key, request):
        return existing, False
    if why_not := why_not_send_to(service):
        raise NotReceiving(why_not)
    if existing := open_referral_for(resident.id, service.id):
        # A retry of this same request may have committed since the look above.
        if replayed := _replayed(user, idempotency_key, request):
            return replayed, False
        raise AlreadyOpen(existing)
    now = clock.now()
    referral = Referral(
        # A unique stand-in until the id is known; the reference is made from the id.
        reference=f"NEW-{uuid4().hex[:16]}",
        resident=resident,
        need=need,
        from_organisation_id=user.organisation_id,
        from_user=user,
        to_service=service,
        to_organisation_id=service.organisation_id,
        neighbourhood_id=resident.neighbourhood_id,
        urgency=urgency,
        summary=summary.strip(),
        status=S.REQUESTED,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=request if idempotency_key else None,
        forwarded_from=forwarded_from,
        created_at=now,
        sent_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:
        # Lost a race with an identical submission or another open referral: report that
        # one. (On PostgreSQL the insert waited for the winner to commit, so it is visible.)
        if existing := _replayed(user, idempotency_key, request):
            return existing, False
        if existing := open_referral_for(resident.id, service.id):
            raise AlreadyOpen(existing) from None
        raise
    referral.reference = f"REF-{now.year}-{referral.id:06d}"
    db.session.add(
        Consent(
            referral=referral,
            given_by=consent.given_by,
            representative_name=consent.representative_name,
            covers=consent.covers.strip(),
            recorded_by_id=user.id,
            recorded_at=now,
        )
    )
    event_for(
        referral,
        "sent",
        user,
        from_status=S.DRAFT,
        to_status=S.REQUESTED,
        detail={"forwarded_from": forwarded_from.id} if forwarded_from else {},
    )
    _logged(user, referral, "sent a referral")
    daily_summary.count_sent(referral)
    db.session.flush()
    return referral, True


def forward(
    referral: Referral,
    user: User,
    *,
    service: Service,
    summary: str,
    idempotency_key: str | None = None,
) -> tuple[Referral, bool]:
    """Send a declined referral's resident to another service, linked to the first.

    The declined referral's version rises with a conditional UPDATE, so two people
    forwarding it from the same page at once cannot both succeed. Its timeline, which the
    service that declined also reads, says nothing of where the resident went next.
    """
    if not may_forward(user, referral):
        if Side.REFERRER not in sides(user, referral):
            raise NotAllowed("Only the referring organisation can forward this referral")
        raise NotAllowed("Only a declined referral can be forwarded")
    if service.id == referral.to_service_id:
        raise Refused("Choose a different service from the one that declined")
    consent = referral.consent
    # send() records a consent with every referral, so a declined one always has it.
    assert consent is not None
    sending = Sending(
        resident=referral.resident,
        need=referral.need,
        service=service,
        urgency=referral.urgency,
        summary=summary or referral.summary,
        consent=ConsentGiven(consent.given_by, consent.covers, consent.representative_name),
        forwarded_from=referral,
    )
    if existing := _replayed(user, idempotency_key, sending.fingerprint()):
        return existing, False
    try:
        with db.session.begin_nested():
            _change(referral, {})
    except Stale:
        # Only forwarding changes a declined referral, and it leaves no event on it.
        raise Stale("Someone else forwarded this referral at the same moment: reload it") from None
    new, is_new = send(user, **vars(sending), idempotency_key=idempotency_key)
    db.session.refresh(referral)
    return new, is_new
