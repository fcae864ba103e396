"""Who may do and see what (DESIGN section 4), in one place.

Views, the API, the lifecycle, the dashboards and the live stream call these functions;
nothing else decides visibility.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Protocol

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    Event,
    Neighbourhood,
    Referral,
    Resident,
    Role,
    UnmetNeed,
    User,
)


def requires_role(*roles: Role) -> Callable:
    """The one permission decorator: signed in, active, and holding one of `roles`.

    A signed-in user without the role gets 404, as for anything that is not theirs:
    the product never confirms that a page exists to someone who may not use it.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def may_manage_service(user: User, service) -> bool:
    """Coordinators change only their own organisation's services."""
    return user.has_role(Role.COORDINATOR) and service.organisation_id == user.organisation_id


# Caseworkers and coordinators handle cases; leads and admins never see personal data.
ROLES_ON_REFERRALS = (Role.CASEWORKER, Role.COORDINATOR)


def works_on_referrals(user: User) -> bool:
    return user.active and user.role in ROLES_ON_REFERRALS


def works_on_referrals_clause():
    """The same rule as a WHERE clause over users, for lists of people to choose from."""
    return and_(User.active.is_(True), User.role.in_(ROLES_ON_REFERRALS))


def receiving_organisation_ids(organisation_ids: Iterable[int]) -> set[int]:
    """Those of the organisations that take referrals, in one query.

    A referral sent to an organisation nobody can read the inbox of would wait unseen: an
    organisation receives referrals only while it has an active caseworker or coordinator.
    """
    wanted = set(organisation_ids)
    if not wanted:
        return set()
    query = select(User.organisation_id).where(User.organisation_id.in_(wanted))
    return set(db.session.scalars(query.where(works_on_referrals_clause()).distinct()))


def receiving_clause(organisation_id):
    """The same rule as a WHERE clause on an organisation id column (Service.organisation_id)."""
    return organisation_id.in_(select(User.organisation_id).where(works_on_referrals_clause()))


def receives_referrals(organisation_id: int) -> bool:
    """Whether the organisation takes referrals (`receiving_organisation_ids`)."""
    return organisation_id in receiving_organisation_ids([organisation_id])


def party_events_clause(user: User):
    """A WHERE clause for the timeline events of referrals the user's organisation is
    party to; nothing for anyone who does not work on referrals."""
    if not works_on_referrals(user):
        return false()
    org = user.organisation_id
    return and_(
        Event.referral_id.is_not(None),
        or_(Event.from_organisation_id == org, Event.to_organisation_id == org),
    )


def may_see_unmet_need(user: User, unmet: UnmetNeed | None) -> bool:
    """A recorded unmet need names its resident: only the organisation that recorded it."""
    return (
        unmet is not None
        and works_on_referrals(user)
        and unmet.recorded_by_organisation_id == user.organisation_id
    )


def may_see_referral(user: User, referral: Referral) -> bool:
    """Details, messages and the resident: only for the two party organisations."""
    return works_on_referrals(user) and user.organisation_id in (
        referral.from_organisation_id,
        referral.to_organisation_id,
    )


def referral_or_404(user: User, referral_id: int) -> Referral:
    """The referral if the user's organisation is party to it; otherwise 404, never 403."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not may_see_referral(user, referral):
        abort(404)
    return referral


def party_referrals_clause(user: User):
    """A WHERE clause for the referrals the user's organisation is party to (referrer or
    recipient); nothing for anyone who does not work on referrals."""
    if not works_on_referrals(user):
        return false()
    org = user.organisation_id
    return or_(Referral.from_organisation_id == org, Referral.to_organisation_id == org)


def visible_residents_clause(user: User):
    """A WHERE clause for the residents this user may see: those their organisation
    recorded, or is party to a referral for."""
    if not works_on_referrals(user):
        return false()
    party = select(Referral.resident_id).where(party_referrals_clause(user))
    return or_(Resident.created_by_organisation_id == user.organisation_id, Resident.id.in_(party))


def may_see_resident(user: User, resident: Resident | None) -> bool:
    if resident is None:
        return False
    query = select(Resident.id).where(Resident.id == resident.id, visible_residents_clause(user))
    return db.session.scalar(query) is not None


def log_access(user: User, resident_id: int, action, what: str, referral_id: int | None = None):
    """Every view, export or change of a resident's data leaves a row in the access log."""
    db.session.add(
        AccessLog(
            user_id=user.id,
            resident_id=resident_id,
            referral_id=referral_id,
            action=action,
            what=what[:200],
        )
    )


def log_view_since(user: User, referral: Referral, written_at, what: str) -> None:
    """Log a view of personal data on a referral that an open page fetches again on each
    of its events, only when it shows something written (`written_at`) after the user's
    last logged view of the referral: one row per view of something new, not per event."""
    last_seen = db.session.scalar(
        # By resident first: ix_access_logs_resident_at finds a resident's few rows.
        select(func.max(AccessLog.at)).where(
            AccessLog.resident_id == referral.resident_id,
            AccessLog.user_id == user.id,
            AccessLog.referral_id == referral.id,
            AccessLog.action == AccessAction.VIEW,
        )
    )
    if last_seen is None or written_at > last_seen:
        log_access(user, referral.resident_id, AccessAction.VIEW, what, referral_id=referral.id)


# Neighbourhood figures: the dashboards and the live counters.


def sees_every_neighbourhood(user: User) -> bool:
    """Admins see every neighbourhood's figures (never personal data)."""
    return user.role is Role.ADMIN


def led_neighbourhood_ids(user: User) -> frozenset[int]:
    """The neighbourhoods a lead leads; nobody else leads any."""
    if user.role is not Role.LEAD:
        return frozenset()
    return frozenset(n.id for n in user.neighbourhoods)


def may_see_dashboard(user: User, neighbourhood_id: int | None) -> bool:
    """The neighbourhood's leads and the partnership's admins; nobody else."""
    return may_see_figures(viewer(user), neighbourhood_id)


def dashboard_neighbourhood(user: User, neighbourhood_id: int) -> Neighbourhood | None:
    """The neighbourhood, if the user may see its dashboard; None means 404 to the caller,
    whether it does not exist or is not theirs."""
    if not may_see_dashboard(user, neighbourhood_id):
        return None
    return db.session.get(Neighbourhood, neighbourhood_id)


def dashboard_neighbourhoods(user: User) -> list[Neighbourhood]:
    """The neighbourhoods whose dashboards the user may open, by name."""
    seen = viewer(user)
    query = select(Neighbourhood).order_by(Neighbourhood.name, Neighbourhood.id)
    if not seen.every_neighbourhood:
        query = query.where(Neighbourhood.id.in_(seen.neighbourhood_ids))
    return list(db.session.scalars(query))


# Live events.


@dataclass(frozen=True)
class Viewer:
    """What the rules need to know of a user, read once when a live stream opens, so that
    the relay's thread can apply them without the database. The stream re-reads the user
    every heartbeat and ends if they are no longer allowed."""

    user_id: int
    organisation_id: int
    works_on_referrals: bool
    every_neighbourhood: bool
    neighbourhood_ids: frozenset[int]


def viewer(user: User) -> Viewer:
    return Viewer(
        user_id=user.id,
        organisation_id=user.organisation_id,
        works_on_referrals=works_on_referrals(user),
        every_neighbourhood=sees_every_neighbourhood(user),
        neighbourhood_ids=led_neighbourhood_ids(user),
    )


def may_see_figures(seen: Viewer, neighbourhood_id: int | None) -> bool:
    """A neighbourhood's figures: its leads and every admin."""
    if seen.every_neighbourhood:
        return True
    return neighbourhood_id is not None and neighbourhood_id in seen.neighbourhood_ids


def figures_branches(seen: Viewer, neighbourhood_id) -> list[ColumnElement[bool]]:
    """may_see_figures as WHERE clauses over a neighbourhood id column: one holds exactly
    when the figures may be seen (none for someone who sees no neighbourhood's)."""
    if seen.every_neighbourhood:
        return [true()]
    return [neighbourhood_id == n for n in sorted(seen.neighbourhood_ids)]


class EventFacts(Protocol):
    """The ids of a live event that the rules look at (partnership.live.relay.LiveEvent)."""

    @property
    def referral_id(self) -> int | None: ...
    @property
    def from_organisation_id(self) -> int | None: ...
    @property
    def to_organisation_id(self) -> int | None: ...
    @property
    def neighbourhood_id(self) -> int | None: ...


def may_see_event(seen: Viewer, event: EventFacts) -> bool:
    """A live event: the party organisations see the referral's; leads and admins learn
    that their neighbourhoods' figures moved; capacity changes are directory data, open
    to every signed-in user."""
    if event.referral_id is None:
        return True
    if seen.works_on_referrals:
        return seen.organisation_id in (event.from_organisation_id, event.to_organisation_id)
    return may_see_figures(seen, event.neighbourhood_id)


def visible_event_branches(seen: Viewer) -> list[ColumnElement[bool]]:
    """may_see_event as WHERE clauses over events, line for line: an event may be seen
    exactly when one of them holds (tests/test_access.py checks every case against the
    function). Kept apart rather than joined by OR because each is one index's (column,
    id) range: the newest N visible events then cost at most N index entries a branch,
    however few of the table's events the viewer may see, or how long ago
    (partnership.live.stream's replay)."""
    capacity = Event.referral_id.is_(None)
    if seen.works_on_referrals:
        org = seen.organisation_id
        return [capacity, Event.from_organisation_id == org, Event.to_organisation_id == org]
    return [capacity, *figures_branches(seen, Event.neighbourhood_id)]


def visible_events_clause(seen: Viewer) -> ColumnElement[bool]:
    """The events this viewer may see, as one WHERE clause."""
    return or_(*visible_event_branches(seen))
