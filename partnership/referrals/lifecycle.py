"""The referral lifecycle (DESIGN section 3): which side may do what, from which status.

The web pages and the API both move referrals only through `transition`, `mark_opened`,
`assign` and `forward` here. Each writes the referral's change and its timeline event in
the caller's transaction; the caller commits. Statuses are FHIR R4 Task.status values.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import update

from partnership import access, clock
from partnership.dashboards import daily
from partnership.extensions import db
from partnership.models import (
    DeclineReason,
    Event,
    Outcome,
    Referral,
    ReferralStatus,
    Role,
    User,
)
from partnership.services.capacity import take_place

S = ReferralStatus


class Side(enum.StrEnum):
    REFERRER = "referrer"
    RECIPIENT = "recipient"


class Action(enum.StrEnum):
    SEND = "send"
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SEND: "Send",
    Action.ACCEPT: "Accept",
    Action.DECLINE: "Decline",
    Action.START: "Start",
    Action.HOLD: "Put on hold",
    Action.RESUME: "Resume",
    Action.COMPLETE: "Complete",
    Action.CANCEL: "Cancel",
}

BOTH = frozenset(Side)
REFERRER = frozenset({Side.REFERRER})
RECIPIENT = frozenset({Side.RECIPIENT})

# (from status, action) -> (to status, the sides that may do it)
TRANSITIONS: dict[tuple[ReferralStatus, Action], tuple[ReferralStatus, frozenset[Side]]] = {
    (S.DRAFT, Action.SEND): (S.REQUESTED, REFERRER),
    (S.REQUESTED, Action.ACCEPT): (S.ACCEPTED, RECIPIENT),
    (S.REQUESTED, Action.DECLINE): (S.REJECTED, RECIPIENT),
    (S.ACCEPTED, Action.START): (S.IN_PROGRESS, RECIPIENT),
    (S.IN_PROGRESS, Action.HOLD): (S.ON_HOLD, RECIPIENT),
    (S.ON_HOLD, Action.RESUME): (S.IN_PROGRESS, RECIPIENT),
    (S.ACCEPTED, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.IN_PROGRESS, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.ON_HOLD, Action.COMPLETE): (S.COMPLETED, RECIPIENT),
    (S.DRAFT, Action.CANCEL): (S.CANCELLED, REFERRER),
    (S.REQUESTED, Action.CANCEL): (S.CANCELLED, REFERRER),
    # Once accepted, either side may cancel, with a reason.
    (S.ACCEPTED, Action.CANCEL): (S.CANCELLED, BOTH),
    (S.IN_PROGRESS, Action.CANCEL): (S.CANCELLED, BOTH),
    (S.ON_HOLD, Action.CANCEL): (S.CANCELLED, BOTH),
}

TERMINAL = frozenset({S.REJECTED, S.COMPLETED, S.CANCELLED})

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
        if status == referral.status and user_sides & permitted and action is not Action.SEND
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
        raise NotAllowed(_why_not(referral, action, user_sides))
    if expected_version is not None and expected_version != referral.version:
        raise Stale("The referral has changed since you loaded it: reload it and try again")
    _check_details(action, details)
    to_status = rule[0]
    from_status = referral.status
    now = clock.now()
    counted_before = daily.tally(referral)

    values = {"status": to_status, "version": Referral.version + 1, "updated_at": now}
    if stamp := STAMPS.get(to_status):
        values[stamp] = now
    if action is Action.DECLINE:
        values["decline_reason"] = details.reason
    if action is Action.COMPLETE:
        values["outcome"] = details.outcome
    if details.note.strip() and action in (Action.DECLINE, Action.COMPLETE, Action.CANCEL):
        values["closing_note"] = details.note.strip()
    with db.session.begin_nested():
        changed = db.session.execute(
            update(Referral)
            .where(
                Referral.id == referral.id,
                Referral.status == from_status,
                Referral.version == referral.version,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise Stale("Someone else changed this referral at the same moment: reload it")
        if action is Action.ACCEPT and not take_place(referral.to_service_id):
            raise NoPlacesLeft(
                "No places are left on this service. Update its capacity, or decline the "
                "referral with the reason 'no capacity'."
            )
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
    daily.count_change(counted_before, daily.tally(referral))
    return event


PAST = {
    Action.SEND: "sent",
    Action.ACCEPT: "accepted",
    Action.DECLINE: "declined",
    Action.START: "started",
    Action.HOLD: "held",
    Action.RESUME: "resumed",
    Action.COMPLETE: "completed",
    Action.CANCEL: "cancelled",
}


def _why_not(referral: Referral, action: Action, user_sides: frozenset[Side]) -> str:
    status = referral.status.value.replace("-", " ")
    if not user_sides:
        return "Your organisation is not party to this referral"
    if referral.status in TERMINAL:
        return f"This referral is {status}: it can no longer be changed"
    rule = TRANSITIONS.get((referral.status, action))
    if rule is None:
        return f"A referral that is {status} cannot be {PAST[action]}"
    if Side.RECIPIENT in rule[1]:
        return "Only the receiving organisation can do that"
    return "Only the referring organisation can do that"


def mark_opened(referral: Referral, user: User) -> Event | None:
    """The first time the recipient opens a referral, the referrer's timeline says so."""
    if Side.RECIPIENT not in sides(user, referral) or referral.opened_at is not None:
        return None
    now = clock.now()
    changed = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.opened_at.is_(None))
        .values(opened_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return None
    referral.opened_at = now
    return event_for(referral, "opened", user)


def assign(referral: Referral, user: User, assignee: User | None) -> Event:
    """The receiving organisation gives the referral to one of its own people (or no one)."""
    if Side.RECIPIENT not in sides(user, referral):
        raise NotAllowed("Only the receiving organisation can assign this referral")
    if referral.status in TERMINAL:
        raise NotAllowed("A closed referral cannot be assigned")
    if assignee is not None and (
        assignee.organisation_id != referral.to_organisation_id
        or not assignee.active
        or not assignee.has_role(Role.CASEWORKER)
    ):
        raise Incomplete("Choose someone in your organisation who works on referrals")
    referral.assignee_id = assignee.id if assignee else None
    referral.version += 1
    return event_for(referral, "assigned", user, detail={"assignee_id": referral.assignee_id})
