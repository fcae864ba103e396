"""In-app notifications: what happened on my organisation's referrals since I last looked.

A notification is a timeline event on a referral the user's organisation is party to,
made by someone other than the user. Event ids are global and increasing, so one number
on the user, the newest event they have seen, splits read from unread.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, union_all, update
from sqlalchemy.orm import aliased

from partnership import access, clock, words
from partnership.access import works_on_referrals
from partnership.extensions import db
from partnership.models import Event, Organisation, Referral, User
from partnership.referrals.queries import ago

LATEST = 50
# The badge says "99+" from 99 on, so counting further is wasted work.
BADGE_CAP = 100


def _theirs(user: User) -> list:
    """Events on referrals the user's organisation is party to, not made by the user."""
    return [
        access.party_events_clause(user),
        or_(Event.actor_id.is_(None), Event.actor_id != user.id),
    ]


def unread_count(user: User, cap: int | None = None) -> int:
    """How many notifications the user has not seen; stops counting at `cap` if given."""
    if not works_on_referrals(user):
        return 0
    # Two range scans, one on each organisation index, rather than an OR that makes the
    # database read every event (a full scan over millions of events on a busy inbox).
    organisation = user.organisation_id
    seen = [Event.id > user.notifications_seen_event_id] if user.notifications_seen_event_id else []
    mine = [
        Event.referral_id.is_not(None),
        or_(Event.actor_id.is_(None), Event.actor_id != user.id),
        *seen,
    ]
    received = select(Event.id).where(Event.to_organisation_id == organisation, *mine)
    sent = select(Event.id).where(
        Event.from_organisation_id == organisation,
        Event.to_organisation_id != organisation,  # counted once when both sides are ours
        *mine,
    )
    if cap is not None:
        # Newest first, so each is a backward scan of its (organisation, id) index that
        # stops at the cap: without an order PostgreSQL chose a sequential scan of the
        # events table for a busy organisation (8 ms against 0.3 ms at 5 million events).
        received = received.order_by(Event.id.desc()).limit(cap)
        sent = sent.order_by(Event.id.desc()).limit(cap)
    both = union_all(received.subquery().select(), sent.subquery().select()).subquery()
    total = db.session.scalar(select(func.count()).select_from(both)) or 0
    return min(total, cap) if cap is not None else total


def notification_count(user) -> int:
    """The number for the navigation's notification badge: 0 for anyone signed out or not
    working on referrals, and at most BADGE_CAP."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user, cap=BADGE_CAP)


@dataclass(frozen=True)
class Notification:
    event_id: int
    referral_id: int
    words: str
    at: datetime
    ago: str
    unread: bool


def latest_notifications(user: User, limit: int = LATEST) -> list[Notification]:
    """The user's latest notifications in words, newest first."""
    if not works_on_referrals(user):
        return []
    Actor = aliased(User)
    ActorOrganisation = aliased(Organisation)
    rows = db.session.execute(
        select(
            Event.id,
            Event.kind,
            Event.created_at,
            Event.detail,
            Event.referral_id,
            Referral.reference,
            ActorOrganisation.name.label("by"),
        )
        .join(Referral, Referral.id == Event.referral_id)
        .outerjoin(Actor, Actor.id == Event.actor_id)
        .outerjoin(ActorOrganisation, ActorOrganisation.id == Actor.organisation_id)
        .where(*_theirs(user))
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    seen = user.notifications_seen_event_id
    now = clock.now()
    return [
        Notification(
            event_id=row.id,
            referral_id=row.referral_id,
            words=describe(row.kind, row.reference, row.by, row.detail or {}, user),
            at=row.created_at,
            ago=ago(row.created_at, now),
            unread=seen is None or row.id > seen,
        )
        for row in rows
    ]


def describe(kind: str, reference: str, by: str | None, detail: dict, user: User) -> str:
    """An event as a sentence, naming organisations, never residents."""
    by_whom = f" by {by}" if by else ""
    if kind == "message":
        return f"New message on {reference}" + (f" from {by}" if by else "")
    if kind == "assigned":
        assignee = detail.get("assignee_id")
        if assignee is None:
            return f"{reference} was unassigned{by_whom}"
        if assignee == user.id:
            return f"{reference} was assigned to you{by_whom}"
        return f"{reference} was assigned{by_whom}"
    said = f"{reference} {words.event_sentence(kind)}{by_whom}"
    if kind == "completed" and detail.get("outcome") in words.OUTCOME:
        said += f": {words.OUTCOME[detail['outcome']].lower()}"
    if kind == "declined" and detail.get("reason") in words.DECLINE_REASON:
        said += f": {words.DECLINE_REASON[detail['reason']].lower()}"
    return said


def mark_all_seen(user: User, up_to: int | None = None) -> None:
    """Everything up to event `up_to` (by default the newest) is now read; never moves back.

    The notifications page passes the newest event it showed, so that an event arriving
    while it renders stays unread. Commits, so the badge drops on the next page.
    """
    if not works_on_referrals(user):
        return
    if up_to is None:
        up_to = db.session.scalar(select(func.max(Event.id)).where(*_theirs(user)))
    if up_to is None:
        return
    db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(
                User.notifications_seen_event_id.is_(None),
                User.notifications_seen_event_id < up_to,
            ),
        )
        .values(notifications_seen_event_id=up_to)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
