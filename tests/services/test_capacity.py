"""The capacity rules, the post that records them, and taking places without overbooking."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import CapacityStatus, CapacityUpdate, Event, Role, Service, WaitBand
from partnership.services.capacity import (
    CapacityError,
    capacity_words,
    check_capacity,
    close_service,
    freshness_words,
    is_posted,
    is_stale,
    post_capacity,
    take_place,
)
from tests.services.conftest import count, reload, written


@pytest.mark.parametrize(
    ("places", "expected"),
    [
        (3, 3),
        ("3", 3),
        (" 12 ", 12),
        ("1,200", 1200),
        (0.0, 0),
        (9999, 9999),
        ("", None),
        (None, None),
    ],
)
def test_places_are_whole_numbers_or_empty_for_not_limited(places, expected):
    assert check_capacity("open" if expected != 0 else "full", places, None, "").places == expected


@pytest.mark.parametrize(
    ("places", "message"),
    [
        ("-1", "Places cannot be less than 0"),
        (-4, "Places cannot be less than 0"),
        ("three", "Enter places as a whole number, like 3"),
        ("3.5", "Enter places as a whole number, like 3"),
        (3.5, "Enter places as a whole number, like 3"),
        ("1e3", "Enter places as a whole number, like 3"),
        (True, "Enter places as a whole number, like 3"),
        ("10000", "Places must be 9,999 or fewer"),
    ],
)
def test_places_out_of_range_or_not_numbers_are_refused_in_words(places, message):
    with pytest.raises(CapacityError) as refused:
        check_capacity("open", places, None, "")
    assert refused.value.errors == {"places": message}


def test_a_waiting_list_needs_its_wait_and_nothing_else_has_one():
    with pytest.raises(CapacityError) as refused:
        check_capacity("waitlist", None, "", "")
    assert refused.value.errors == {"wait_band": "Select how long the wait is for the waiting list"}
    with pytest.raises(CapacityError) as refused:
        check_capacity("open", 3, "1-4-weeks", "")
    assert refused.value.errors == {"wait_band": "Give a wait only for a waiting list"}
    with pytest.raises(CapacityError) as refused:
        check_capacity("waitlist", None, "a-while", "")
    assert refused.value.errors == {"wait_band": "Select how long the wait is"}
    checked = check_capacity("waitlist", None, "1-3-months", "")
    assert checked.wait_band is WaitBand.ONE_TO_3_MONTHS


@pytest.mark.parametrize("status", ["full", "closed"])
def test_full_or_closed_means_no_places_or_not_place_limited(status):
    assert check_capacity(status, "0", None, "").places == 0
    assert check_capacity(status, "", None, "").places is None
    with pytest.raises(CapacityError) as refused:
        check_capacity(status, "5", None, "")
    assert refused.value.errors == {
        "places": f"A {status} service has no places: select Open or Limited, or enter 0"
    }


@pytest.mark.parametrize("status", ["open", "limited"])
def test_open_with_no_places_left_is_refused_as_a_slip(status):
    with pytest.raises(CapacityError) as refused:
        check_capacity(status, "0", None, "")
    assert "select Full" in refused.value.errors["places"]


def test_status_must_be_one_we_know_and_the_note_short():
    with pytest.raises(CapacityError) as refused:
        check_capacity("maybe", "3", None, "x" * 201)
    assert refused.value.errors == {
        "status": "Select the service's capacity now",
        "note": "Note must be 200 characters or fewer",
    }
    assert check_capacity("open", "3", None, "  " + "x" * 200 + " ").note == "x" * 200


def test_a_post_sets_capacity_appends_history_and_raises_the_event_in_one_transaction(services):
    coordinator = services.users[Role.COORDINATOR]
    post_capacity(services.parcels, coordinator, "waitlist", "", "1-4-weeks", "Back on Monday")
    # Nothing is committed yet: the caller's transaction holds all three writes together.
    db.session.rollback()
    assert written(services.parcels) == (0, 0)
    assert reload(services.parcels).capacity_status is CapacityStatus.OPEN

    parcels = reload(services.parcels)
    posted = post_capacity(parcels, coordinator, "waitlist", "", "1-4-weeks", "Back on Monday")
    db.session.commit()
    parcels = reload(parcels)
    assert parcels.capacity_status is CapacityStatus.WAITLIST
    assert parcels.wait_band is WaitBand.ONE_TO_4_WEEKS
    assert parcels.places_available is None
    assert parcels.capacity_note == "Back on Monday"
    assert parcels.capacity_updated_by_id == coordinator.id
    assert parcels.capacity_updated_at == posted.posted_at
    update = db.session.get(CapacityUpdate, posted.id)
    assert (update.status, update.wait_band, update.note) == (
        CapacityStatus.WAITLIST,
        WaitBand.ONE_TO_4_WEEKS,
        "Back on Monday",
    )
    event = db.session.scalars(db.select(Event).where(Event.service_id == parcels.id)).one()
    assert event.kind == "capacity"
    assert event.actor_id == coordinator.id
    # A status and a number only: the note is free text and never travels in events.
    assert event.detail == {"status": "waitlist", "places": None}


def test_a_refused_post_writes_nothing(services):
    with pytest.raises(CapacityError):
        post_capacity(services.parcels, services.users[Role.COORDINATOR], "open", "-1", None, "")
    assert services.parcels.places_available == 10
    db.session.commit()
    assert written(services.parcels) == (0, 0)
    assert reload(services.parcels).places_available == 10


def test_closing_keeps_a_place_limited_service_place_limited(services):
    coordinator = services.users[Role.COORDINATOR]
    close_service(services.parcels, coordinator)
    close_service(services.advice, services.council_coordinator)
    db.session.commit()
    assert reload(services.parcels).capacity_status is CapacityStatus.CLOSED
    assert reload(services.parcels).places_available == 0
    assert reload(services.advice).places_available is None
    assert written(services.parcels) == (1, 1)


def test_take_place_takes_one_and_never_goes_below_zero(services):
    parcels = services.parcels
    parcels.places_available = 2
    db.session.commit()
    assert take_place(parcels.id) is True
    assert parcels.places_available == 1  # the caller's copy follows the database
    assert take_place(parcels.id) is True
    assert take_place(parcels.id) is False
    db.session.commit()
    assert reload(parcels).places_available == 0


def test_a_service_not_limited_by_places_always_has_room(services):
    services.parcels.places_available = None
    db.session.commit()
    assert all(take_place(services.parcels.id) for _ in range(3))
    db.session.commit()
    assert reload(services.parcels).places_available is None


def test_take_place_on_a_service_that_is_not_there_takes_nothing(services):
    assert take_place(services.parcels.id + 1000) is False


@pytest.mark.parametrize("status", [CapacityStatus.OPEN, CapacityStatus.LIMITED])
def test_taking_the_last_place_of_an_open_or_limited_service_makes_it_full(services, status):
    parcels = services.parcels
    parcels.capacity_status, parcels.places_available = status, 1
    db.session.commit()
    assert take_place(parcels.id) is True
    db.session.commit()
    taken = reload(parcels)
    assert (taken.capacity_status, taken.places_available) == (CapacityStatus.FULL, 0)
    # Said as the posting rules say it: full, never "Limited, 0 places".
    assert capacity_words(taken.capacity_status, taken.places_available, None) == "Full"


@pytest.mark.parametrize(
    ("status", "places", "band"),
    [
        (CapacityStatus.OPEN, 2, None),
        (CapacityStatus.OPEN, 1, None),
        (CapacityStatus.LIMITED, 3, None),
        (CapacityStatus.LIMITED, 1, None),
        (CapacityStatus.WAITLIST, 1, WaitBand.ONE_TO_4_WEEKS),
        (CapacityStatus.WAITLIST, 2, WaitBand.ONE_TO_4_WEEKS),
    ],
)
def test_a_place_taken_leaves_capacity_a_coordinator_could_have_posted(
    services, status, places, band
):
    """One rule for 0 places: whatever an accept leaves, the posting rules accept too."""
    parcels = services.parcels
    parcels.capacity_status, parcels.places_available, parcels.wait_band = status, places, band
    db.session.commit()
    assert take_place(parcels.id) is True
    db.session.commit()
    taken = reload(parcels)
    assert taken.places_available == places - 1
    check_capacity(taken.capacity_status, taken.places_available, taken.wait_band, "")
    if places > 1 or status is CapacityStatus.WAITLIST:
        assert taken.capacity_status is status


def test_each_place_taken_raises_a_capacity_event_with_the_count_left(services):
    parcels, coordinator = services.parcels, services.users[Role.COORDINATOR]
    parcels.places_available = 2
    db.session.commit()
    assert take_place(parcels.id, coordinator) and take_place(parcels.id, coordinator)
    assert take_place(parcels.id, coordinator) is False
    db.session.commit()
    events = db.session.scalars(
        db.select(Event).where(Event.service_id == parcels.id).order_by(Event.id)
    ).all()
    # Ids, a status and a number: what a post's event carries, and nothing of the referral.
    assert [(e.kind, e.detail, e.actor_id, e.referral_id) for e in events] == [
        ("capacity", {"status": "open", "places": 1}, coordinator.id, None),
        ("capacity", {"status": "full", "places": 0}, coordinator.id, None),
    ]


def test_a_service_not_limited_by_places_raises_no_capacity_event_when_one_is_taken(services):
    services.parcels.places_available = None
    db.session.commit()
    assert take_place(services.parcels.id)
    db.session.commit()
    assert written(services.parcels) == (0, 0)


THREADS = 16
ATTEMPTS = 3


def test_sixteen_people_racing_for_ten_places_book_exactly_ten(app, services):
    """Each thread has its own app context, session and connection, and commits what it
    books, as sixteen coordinators accepting referrals at the same moment would."""
    service_id = services.parcels.id
    assert services.parcels.places_available == 10
    db.session.close()  # hold no transaction (on SQLite, no write lock) while they race
    start = threading.Barrier(THREADS)
    booked, refused, failures = [], [], []

    def coordinator():
        with app.app_context():
            try:
                start.wait()
                for _ in range(ATTEMPTS):
                    if take_place(service_id):
                        db.session.commit()
                        booked.append(1)
                    else:
                        db.session.rollback()
                        refused.append(1)
            except Exception as error:  # noqa: BLE001  (reported below, not lost in a thread)
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=coordinator) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(booked) == 10
    assert len(refused) == THREADS * ATTEMPTS - 10
    assert db.session.get(Service, service_id).places_available == 0
    assert count(Service, Service.places_available < 0) == 0
    # The last place made it full, and each place taken told open pages so, once.
    assert db.session.get(Service, service_id).capacity_status is CapacityStatus.FULL
    assert written(services.parcels) == (0, 10)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(seconds=10), "updated just now"),
        (timedelta(minutes=1), "updated 1 minute ago"),
        (timedelta(minutes=5, seconds=30), "updated 5 minutes ago"),
        (timedelta(hours=1), "updated 1 hour ago"),
        (timedelta(hours=2, minutes=59), "updated 2 hours ago"),
        (timedelta(days=1), "updated 1 day ago"),
        (timedelta(days=3, hours=4), "updated 3 days ago"),
    ],
)
def test_freshness_in_words(ago, words):
    now = clock.now()
    assert freshness_words(_posted(now - ago), now) == words


def _posted(at, by: int | None = 1) -> Service:
    return Service(capacity_updated_at=at, capacity_updated_by_id=by)


def test_capacity_is_stale_after_7_days():
    now = clock.now()
    assert not is_stale(_posted(now - timedelta(days=7)), now)
    assert is_stale(_posted(now - timedelta(days=7, minutes=1)), now)


def test_capacity_nobody_posted_is_not_posted_yet_however_recent():
    """An import or a new service sets the capacity, but no person has vouched for it."""
    now = clock.now()
    for at in (now, now - timedelta(days=30)):
        never = _posted(at, by=None)
        assert not is_posted(never)
        assert freshness_words(never, now) == "not posted yet"
        # Not stale, which says a post has aged: unknown, which the pages say instead.
        assert not is_stale(never, now)


def test_a_post_without_a_person_or_as_a_service_starts_leaves_it_not_posted(services):
    parcels, coordinator = services.parcels, services.users[Role.COORDINATOR]
    post_capacity(parcels, coordinator, "open", 3, None, "")
    assert is_posted(parcels)

    post_capacity(parcels, None, "closed", 0, None, "Imported")
    assert not is_posted(parcels)

    post_capacity(parcels, coordinator, "open", None, None, "Service added", starting=True)
    assert not is_posted(parcels)
    # The history still says who added it.
    assert (
        db.session.scalars(
            select(CapacityUpdate.posted_by_id).order_by(CapacityUpdate.id.desc())
        ).first()
        == coordinator.id
    )
