"""The capacity rules: what a coordinator may post, and taking a place without overbooking.

The web pages, the API and the demo seed all post capacity through `post_capacity`, and
accepting a referral takes a place through `take_place`; nothing else changes capacity.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, literal, or_, update

from partnership import clock, words
from partnership.extensions import db
from partnership.models import CapacityStatus, CapacityUpdate, Event, Service, User, WaitBand
from partnership.words import time_since

MAX_PLACES = 9999
MAX_NOTE = 200
WHOLE_NUMBER = re.compile(r"^-?[0-9]+$")
# Full or closed means nobody can be taken on now, whatever number is typed beside it.
NO_PLACES_STATUSES = (CapacityStatus.FULL, CapacityStatus.CLOSED)
# Open or limited promise a place: with 0 places left such a service is full. A post that
# says otherwise is refused as a slip; an accept that takes the last place makes it full.
PLACES_STATUSES = (CapacityStatus.OPEN, CapacityStatus.LIMITED)
STALE_AFTER = timedelta(days=7)


def is_posted(service: Service) -> bool:
    """Whether a person in the partnership has posted the service's capacity.

    Capacity read from an imported directory feed, or the open-and-unlimited a new service
    starts with, is a guess nobody has vouched for: only a post by someone counts.
    """
    return service.capacity_updated_by_id is not None


def freshness_words(service: Service, now: datetime) -> str:
    """How long ago, as people say it: "updated just now", "updated 2 hours ago", or
    "not posted yet" when nobody has posted it."""
    if not is_posted(service):
        return words.CAPACITY_NOT_POSTED
    return f"updated {time_since(service.capacity_updated_at, now)}"


def is_stale(service: Service, now: datetime) -> bool:
    """Posted capacity nobody has confirmed for a week: the commonest reason referrals bounce.

    Capacity never posted is not stale but unknown: `is_posted` says so.
    """
    return is_posted(service) and now - service.capacity_updated_at > STALE_AFTER


def unconfirmed(now: datetime) -> ColumnElement[bool]:
    """The services whose capacity nobody has posted in the last week, or ever, as a
    WHERE clause: they rank below confirmed ones and count on the dashboards."""
    return or_(
        Service.capacity_updated_by_id.is_(None),
        Service.capacity_updated_at < now - STALE_AFTER,
    )


class CapacityError(ValueError):
    """A capacity post broke the rules; `errors` says why, in words, by field.

    The fields are those of the post: status, places, wait_band, note.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Capacity:
    """A checked capacity post."""

    status: CapacityStatus
    places: int | None
    wait_band: WaitBand | None
    note: str


def _places(value) -> int | None:
    """A whole number of places, or None for a service not limited by places."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("Enter places as a whole number, like 3")
    if isinstance(value, int | float):
        number = int(value)
    else:
        text = str(value).strip().replace(",", "")
        if not WHOLE_NUMBER.match(text):
            raise ValueError("Enter places as a whole number, like 3")
        number = int(text)
    if number < 0:
        raise ValueError("Places cannot be less than 0")
    if number > MAX_PLACES:
        raise ValueError(f"Places must be {MAX_PLACES:,} or fewer")
    return number


def _choice(enum_class, value):
    if isinstance(value, enum_class):
        return value
    try:
        return enum_class((value or "").strip())
    except (ValueError, AttributeError):
        return None


def check_capacity(status, places, wait_band, note) -> Capacity:
    """Check a capacity post as typed or sent; raise CapacityError listing every problem.

    `places` may be a number or text (empty means not limited by places); `status` and
    `wait_band` their values ("waitlist", "1-4-weeks") or members.
    """
    errors = {}
    checked_status = _choice(CapacityStatus, status)
    if checked_status is None:
        errors["status"] = "Select the service's capacity now"
    checked_places = None
    try:
        checked_places = _places(places)
    except ValueError as error:
        errors["places"] = str(error)
    band = None
    if wait_band not in (None, ""):
        band = _choice(WaitBand, wait_band)
        if band is None:
            errors["wait_band"] = "Select how long the wait is"
    if checked_status is CapacityStatus.WAITLIST and band is None:
        errors.setdefault("wait_band", "Select how long the wait is for the waiting list")
    elif checked_status is not None and checked_status is not CapacityStatus.WAITLIST and band:
        errors.setdefault("wait_band", "Give a wait only for a waiting list")
    if checked_status in NO_PLACES_STATUSES and checked_places:
        word = words.CAPACITY_STATUS[checked_status].lower()
        errors.setdefault(
            "places",
            f"A {word} service has no places: select Open or Limited, or enter 0",
        )
    if checked_status in PLACES_STATUSES and checked_places == 0:
        errors.setdefault(
            "places", "With 0 places the service is full: select Full, or enter the places left"
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Note must be {MAX_NOTE} characters or fewer"
    if errors:
        raise CapacityError(errors)
    return Capacity(checked_status, checked_places, band, note)


def post_capacity(
    service: Service,
    user: User | None,
    status,
    places,
    wait_band=None,
    note: str = "",
    *,
    at: datetime | None = None,
    starting: bool = False,
) -> CapacityUpdate:
    """Set the service's capacity, append it to its history and raise the live event.

    All three writes go into the caller's transaction, which commits them together (the
    event row is the outbox of DESIGN section 5). `at` backdates a post, for the demo.
    A post without a `user` (an import), or the state a new service is `starting` in, goes
    into the history but leaves the capacity not posted yet (`is_posted`).
    Raises CapacityError, having written nothing, when the post breaks a rule.
    """
    capacity = check_capacity(status, places, wait_band, note)
    at = at or clock.now()
    service.capacity_status = capacity.status
    service.places_available = capacity.places
    service.wait_band = capacity.wait_band
    service.capacity_note = capacity.note
    service.capacity_updated_at = at
    service.capacity_updated_by = None if starting else user
    posted = CapacityUpdate(
        service=service,
        status=capacity.status,
        places_available=capacity.places,
        wait_band=capacity.wait_band,
        note=capacity.note,
        posted_by=user,
        posted_at=at,
    )
    db.session.add(posted)
    db.session.flush()
    # Ids, a status and a number only: the note is free text and stays out of the outbox.
    db.session.add(
        Event(
            kind="capacity",
            created_at=at,
            service_id=service.id,
            actor_id=user.id if user else None,
            detail={"status": capacity.status.value, "places": capacity.places},
        )
    )
    return posted


def close_service(service: Service, user: User) -> CapacityUpdate:
    """Closing is a capacity post: the directory shows it at once and the history keeps it."""
    places = None if service.places_available is None else 0
    return post_capacity(service, user, CapacityStatus.CLOSED, places, None, "Service closed")


def take_place(service_id: int, actor: User | None = None) -> bool:
    """Take one place for an accepted referral, inside the caller's transaction.

    One conditional UPDATE, so two people accepting the last place at once cannot both
    have it: the database lets exactly one through. A service not limited by places
    (NULL) always has room, and NULL - 1 stays NULL. Taking the last place of an open or
    limited service makes it full, as a post of 0 places would have to say. A change of
    places raises a capacity event, as a post does, so that open pages show it. False
    means no places are left.
    """
    last_place = and_(Service.capacity_status.in_(PLACES_STATUSES), Service.places_available == 1)
    status_type = Service.__table__.c.capacity_status.type
    taken = db.session.execute(
        update(Service)
        .where(
            Service.id == service_id,
            or_(Service.places_available.is_(None), Service.places_available > 0),
        )
        .values(
            places_available=Service.places_available - 1,
            capacity_status=case(
                (last_place, literal(CapacityStatus.FULL, status_type)),
                else_=Service.capacity_status,
            ),
        )
        .returning(Service.capacity_status, Service.places_available)
        .execution_options(synchronize_session="fetch")
    ).first()
    if taken is None:
        return False
    status, places = taken
    if places is not None:
        # Ids, a status and a number only, like a post's event.
        db.session.add(
            Event(
                kind="capacity",
                service_id=service_id,
                actor_id=actor.id if actor else None,
                detail={"status": CapacityStatus(status).value, "places": places},
            )
        )
    return True


def capacity_words(status: CapacityStatus, places: int | None, wait_band: WaitBand | None) -> str:
    """A post in a few words, as a coordinator would say it: "Open, 3 places"."""
    said = words.CAPACITY_STATUS[status]
    if status is CapacityStatus.WAITLIST and wait_band:
        said += f", wait {words.WAIT_BAND[wait_band]}"
    # "0 places" says nothing more than full, closed or a waiting list already does.
    if places and status not in NO_PLACES_STATUSES:
        said += f", {places_words(places)}"
    return said


def places_words(places: int | None) -> str:
    if places is None:
        return "not limited by places"
    return "1 place" if places == 1 else f"{places:,} places"
