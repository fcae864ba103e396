"""The lifecycle against DESIGN section 3, for every (status, action, side)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    DeclineReason,
    Event,
    Outcome,
    Referral,
    ReferralStatus,
    Role,
    Service,
    User,
)
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action, Details, Side
from tests import factories

S = ReferralStatus
REFERRER, RECIPIENT = Side.REFERRER, Side.RECIPIENT

# Written from DESIGN section 3 independently of the module's own table:
# (status, action): (new status, sides allowed)
EXPECTED = {
    (S.REQUESTED, "accept"): (S.ACCEPTED, {RECIPIENT}),
    (S.REQUESTED, "decline"): (S.REJECTED, {RECIPIENT}),
    (S.REQUESTED, "cancel"): (S.CANCELLED, {REFERRER}),
    (S.ACCEPTED, "start"): (S.IN_PROGRESS, {RECIPIENT}),
    (S.ACCEPTED, "complete"): (S.COMPLETED, {RECIPIENT}),
    (S.ACCEPTED, "cancel"): (S.CANCELLED, {REFERRER, RECIPIENT}),
    (S.IN_PROGRESS, "hold"): (S.ON_HOLD, {RECIPIENT}),
    (S.IN_PROGRESS, "complete"): (S.COMPLETED, {RECIPIENT}),
    (S.IN_PROGRESS, "cancel"): (S.CANCELLED, {REFERRER, RECIPIENT}),
    (S.ON_HOLD, "resume"): (S.IN_PROGRESS, {RECIPIENT}),
    (S.ON_HOLD, "complete"): (S.COMPLETED, {RECIPIENT}),
    (S.ON_HOLD, "cancel"): (S.CANCELLED, {REFERRER, RECIPIENT}),
}

DETAILS = {
    Action.DECLINE: Details(reason=DeclineReason.NOT_ELIGIBLE),
    Action.COMPLETE: Details(outcome=Outcome.NEED_MET),
    Action.CANCEL: Details(note="Resident moved away"),
}

CASES = [(status, action, side) for status in S for action in Action for side in Side]


@pytest.mark.parametrize(("status", "action", "side"), CASES, ids=lambda v: str(v))
def test_every_status_action_and_side(app, partnership, status, action, side):
    referral = factories.referral(partnership, status=status)
    user = (
        partnership.users[Role.CASEWORKER]
        if side is REFERRER
        else partnership.users[Role.COORDINATOR]
    )
    db.session.commit()
    expected = EXPECTED.get((status, action.value))
    if expected and side in expected[1]:
        event = lifecycle.transition(referral, user, action, DETAILS.get(action))
        db.session.commit()
        assert referral.status is expected[0]
        assert event.from_status is status and event.to_status is expected[0]
        assert referral.version == 2
    else:
        with pytest.raises(lifecycle.NotAllowed):
            lifecycle.transition(referral, user, action, DETAILS.get(action))
        db.session.rollback()
        assert db.session.get(Referral, referral.id).status is status
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_are_never_a_side(app, partnership, role):
    referral = factories.referral(partnership)
    user = partnership.users[role]
    user.organisation = partnership.pantry  # even in the receiving organisation
    db.session.commit()
    assert lifecycle.sides(user, referral) == frozenset()
    with pytest.raises(lifecycle.NotAllowed, match="not party"):
        lifecycle.transition(referral, user, Action.ACCEPT)


def test_allowed_actions_offer_exactly_the_permitted_ones(app, partnership):
    referral = factories.referral(partnership, status=S.IN_PROGRESS)
    recipient = partnership.users[Role.COORDINATOR]
    referrer = partnership.users[Role.CASEWORKER]
    assert lifecycle.allowed_actions(recipient, referral) == [
        Action.HOLD,
        Action.COMPLETE,
        Action.CANCEL,
    ]
    assert lifecycle.allowed_actions(referrer, referral) == [Action.CANCEL]
    assert lifecycle.allowed_actions(partnership.outsider, referral) == []


@pytest.mark.parametrize(
    ("action", "details", "message"),
    [
        (Action.DECLINE, Details(), "Select why"),
        (Action.DECLINE, Details(reason=DeclineReason.OTHER), "Say why"),
        (Action.ACCEPT, Details(outcome=Outcome.NEED_MET), "Only completing"),
    ],
)
def test_missing_or_misplaced_details_are_refused(app, partnership, action, details, message):
    referral = factories.referral(partnership)
    with pytest.raises(lifecycle.Incomplete, match=message):
        lifecycle.transition(referral, partnership.users[Role.COORDINATOR], action, details)


def test_complete_needs_an_outcome_and_cancel_a_reason(app, partnership):
    referral = factories.referral(partnership, status=S.ACCEPTED)
    with pytest.raises(lifecycle.Incomplete, match="outcome"):
        lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.COMPLETE)
    with pytest.raises(lifecycle.Incomplete, match="cancelled"):
        lifecycle.transition(referral, partnership.users[Role.CASEWORKER], Action.CANCEL)


def test_accept_takes_a_place_and_refuses_when_none_are_left(app, partnership):
    service = factories.service(partnership.pantry, places=1)
    first = factories.referral(partnership, to_service=service)
    second = factories.referral(partnership, to_service=service)
    db.session.commit()
    coordinator = partnership.users[Role.COORDINATOR]
    lifecycle.transition(first, coordinator, Action.ACCEPT)
    db.session.commit()
    assert db.session.get(Service, service.id).places_available == 0
    with pytest.raises(lifecycle.NoPlacesLeft, match="No places are left"):
        lifecycle.transition(second, coordinator, Action.ACCEPT)
    db.session.rollback()
    assert db.session.get(Referral, second.id).status is S.REQUESTED
    # The coordinator can still decline it for capacity.
    lifecycle.transition(
        second, coordinator, Action.DECLINE, Details(reason=DeclineReason.NO_CAPACITY)
    )
    db.session.commit()
    assert second.status is S.REJECTED and second.decline_reason is DeclineReason.NO_CAPACITY


def test_an_accept_that_takes_the_last_place_makes_the_service_full_and_says_so(app, partnership):
    service = factories.service(partnership.pantry, places=1, status=CapacityStatus.LIMITED)
    first = factories.referral(partnership, to_service=service)
    second = factories.referral(partnership, to_service=service)
    db.session.commit()
    coordinator = partnership.users[Role.COORDINATOR]
    accepted = lifecycle.transition(first, coordinator, Action.ACCEPT)
    db.session.commit()
    taken = db.session.get(Service, service.id)
    assert (taken.capacity_status, taken.places_available) == (CapacityStatus.FULL, 0)

    def capacity_events():
        return db.session.execute(
            select(Event.id, Event.detail, Event.actor_id, Event.referral_id).where(
                Event.service_id == service.id, Event.kind == "capacity"
            )
        ).all()

    # Committed with the accept, so the same notice tells open pages of both.
    [(event_id, detail, actor_id, referral_id)] = capacity_events()
    assert detail == {"status": "full", "places": 0}
    assert (actor_id, referral_id) == (coordinator.id, None)
    assert event_id < accepted.id
    # An accept refused for want of a place changes no capacity and says nothing.
    with pytest.raises(lifecycle.NoPlacesLeft):
        lifecycle.transition(second, coordinator, Action.ACCEPT)
    db.session.rollback()
    assert len(capacity_events()) == 1


def test_services_without_a_place_limit_always_accept(app, partnership):
    service = factories.service(partnership.pantry, places=None)
    referral = factories.referral(partnership, to_service=service)
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    db.session.commit()
    assert db.session.get(Service, service.id).places_available is None


def test_a_stale_version_is_refused(app, partnership):
    referral = factories.referral(partnership)
    with pytest.raises(lifecycle.Stale):
        lifecycle.transition(
            referral, partnership.users[Role.COORDINATOR], Action.ACCEPT, expected_version=7
        )


def test_opened_is_recorded_once_and_only_for_the_recipient(app, partnership):
    referral = factories.referral(partnership)
    assert lifecycle.mark_opened(referral, partnership.users[Role.CASEWORKER]) is None
    assert lifecycle.mark_opened(referral, partnership.users[Role.COORDINATOR]).kind == "opened"
    assert lifecycle.mark_opened(referral, partnership.users[Role.COORDINATOR]) is None
    db.session.commit()
    kinds = db.session.scalars(select(Event.kind).where(Event.referral_id == referral.id)).all()
    assert kinds == ["opened"]


def test_assign_only_to_the_receiving_organisations_people(app, partnership):
    referral = factories.referral(partnership)
    coordinator = partnership.users[Role.COORDINATOR]
    with pytest.raises(lifecycle.Incomplete):
        lifecycle.assign(referral, coordinator, partnership.users[Role.CASEWORKER])
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.assign(referral, partnership.users[Role.CASEWORKER], coordinator)
    event = lifecycle.assign(referral, coordinator, coordinator)
    assert referral.assignee_id == coordinator.id and event.kind == "assigned"


def _concurrent_accepts(app, referral_ids, coordinator_id):
    def accept(referral_id):
        with app.app_context():
            from partnership.models import User

            user = db.session.get(User, coordinator_id)
            referral = db.session.get(Referral, referral_id)
            try:
                lifecycle.transition(referral, user, Action.ACCEPT)
                db.session.commit()
                return "accepted"
            except lifecycle.NoPlacesLeft:
                db.session.rollback()
                return "no places"
            except (lifecycle.Stale, lifecycle.NotAllowed):
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(accept, referral_ids))


def test_twenty_concurrent_accepts_against_five_places_book_exactly_five(app, partnership):
    service = factories.service(partnership.pantry, places=5)
    ids = [factories.referral(partnership, to_service=service).id for _ in range(20)]
    coordinator_id = partnership.users[Role.COORDINATOR].id
    db.session.commit()
    outcomes = _concurrent_accepts(app, ids, coordinator_id)
    assert outcomes.count("accepted") == 5
    assert outcomes.count("no places") == 15
    db.session.expire_all()
    assert db.session.get(Service, service.id).places_available == 0
    accepted = db.session.scalar(
        select(func.count()).select_from(Referral).where(Referral.status == S.ACCEPTED)
    )
    assert accepted == 5


def test_two_people_accepting_the_last_place_at_once(app, partnership):
    service = factories.service(partnership.pantry, places=1)
    ids = [factories.referral(partnership, to_service=service).id for _ in range(2)]
    coordinator_id = partnership.users[Role.COORDINATOR].id
    db.session.commit()
    assert sorted(_concurrent_accepts(app, ids, coordinator_id)) == ["accepted", "no places"]


def test_the_same_referral_accepted_twice_at_once_succeeds_once(app, partnership):
    service = factories.service(partnership.pantry, places=3)
    referral_id = factories.referral(partnership, to_service=service).id
    coordinator_id = partnership.users[Role.COORDINATOR].id
    db.session.commit()
    outcomes = _concurrent_accepts(app, [referral_id] * 4, coordinator_id)
    assert outcomes.count("accepted") == 1
    db.session.expire_all()
    assert db.session.get(Service, service.id).places_available == 2


def test_an_assign_over_a_change_made_meanwhile_is_stale_not_a_second_version_2(app, partnership):
    """The page read version 1; another request assigned and committed version 2 since.
    The conditional UPDATE refuses, rather than writing version 2 a second time."""
    referral = factories.referral(partnership)
    coordinator = partnership.users[Role.COORDINATOR]
    db.session.commit()
    seen = db.session.get(Referral, referral.id)
    assert seen.version == 1
    # Another request's assign lands in the database; `seen` still says version 1.
    db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id)
        .values(assignee_id=coordinator.id, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(lifecycle.Stale):
        lifecycle.assign(seen, coordinator, None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).version == 2
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_two_assigns_at_once_end_with_distinct_versions(app, partnership):
    """Two requests, each in its own thread and session, assign the same referral at once.
    Each change that succeeds has a version of its own; a loser is told to reload."""
    referral_id = factories.referral(partnership).id
    coordinator_id = partnership.users[Role.COORDINATOR].id
    db.session.commit()  # and nothing read here until the threads are done
    # SQLite serialises whole transactions (BEGIN IMMEDIATE): both reads happen first
    # only on PostgreSQL.
    both_read = threading.Barrier(2) if db.engine.dialect.name == "postgresql" else None
    results: list = []

    def request(assignee_id: int | None) -> None:
        with app.app_context():
            found = db.session.get(Referral, referral_id)
            user = db.session.get(User, coordinator_id)
            assignee = db.session.get(User, assignee_id) if assignee_id else None
            if both_read:
                both_read.wait(timeout=10)
            try:
                lifecycle.assign(found, user, assignee)
                written = found.version  # before the commit expires it
                db.session.commit()
                results.append(written)
            except lifecycle.Stale:
                db.session.rollback()
                results.append("stale")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request, args=(who,)) for who in (coordinator_id, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    versions = [v for v in results if v != "stale"]
    assert len(results) == 2 and versions, results
    assert len(set(versions)) == len(versions), results
    db.session.expire_all()
    final = db.session.get(Referral, referral_id)
    assert final.version == 1 + len(versions)
    assigned = select(func.count()).select_from(Event).where(Event.kind == "assigned")
    assert db.session.scalar(assigned) == len(versions)


def test_refusals_use_the_words_on_the_page(app, partnership):
    referral = factories.referral(partnership, status=S.REJECTED)
    db.session.commit()
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.transition(referral, partnership.users[Role.CASEWORKER], Action.CANCEL)
    assert refused.value.message == "This referral is declined: it can no longer be changed"


# A stale action answers in the users' words: whose change got there first, and when.

OVERTAKEN = r"{} by {} at \d{{1,2}}:\d\d[ap]m; nothing was changed"


def overtaken(kind: str, organisation: str) -> str:
    return OVERTAKEN.format(kind, organisation)


def test_cancelling_after_the_service_declined_says_who_declined_and_when(app, partnership):
    referral = factories.referral(partnership)
    decline = Details(reason=DeclineReason.NOT_ELIGIBLE)
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.DECLINE, decline)
    db.session.commit()
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.transition(
            referral, partnership.users[Role.CASEWORKER], Action.CANCEL, Details(note="Moved")
        )
    assert re.fullmatch(overtaken("Declined", "Southside Pantry"), refused.value.message)


def test_accepting_what_a_colleague_accepted_says_so(app, partnership):
    referral = factories.referral(partnership)
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    db.session.commit()
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    assert re.fullmatch(overtaken("Accepted", "Southside Pantry"), refused.value.message)


def test_an_action_no_recent_change_took_away_keeps_its_own_reason(app, partnership):
    """Starting a declined referral was never possible: the decline is not the reason."""
    referral = factories.referral(partnership)
    decline = Details(reason=DeclineReason.NOT_ELIGIBLE)
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.DECLINE, decline)
    db.session.commit()
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.START)
    assert refused.value.message == "This referral is declined: it can no longer be changed"
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.transition(referral, partnership.users[Role.CASEWORKER], Action.ACCEPT)
    assert refused.value.message == "This referral is declined: it can no longer be changed"


def test_an_older_version_is_told_the_newest_change_since(app, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    lifecycle.mark_opened(referral, partnership.users[Role.COORDINATOR])
    db.session.commit()
    with pytest.raises(lifecycle.Stale) as refused:
        lifecycle.transition(
            referral,
            partnership.users[Role.CASEWORKER],
            Action.CANCEL,
            Details(note="Moved"),
            expected_version=1,
        )
    assert re.fullmatch(overtaken("Opened", "Southside Pantry"), refused.value.message)


def test_assigning_a_referral_the_referrer_cancelled_says_so(app, partnership):
    referral = factories.referral(partnership)
    cancel = Details(note="Moved away")
    lifecycle.transition(referral, partnership.users[Role.CASEWORKER], Action.CANCEL, cancel)
    db.session.commit()
    coordinator = partnership.users[Role.COORDINATOR]
    with pytest.raises(lifecycle.NotAllowed) as refused:
        lifecycle.assign(referral, coordinator, coordinator)
    assert re.fullmatch(overtaken("Cancelled", "Northside Surgery"), refused.value.message)


def test_a_change_beaten_to_the_row_is_told_whose_change_won(app, partnership):
    """The conditional UPDATE finds the row moved on since it was read: the words come from
    the event of the change that got there first."""
    referral = factories.referral(partnership)
    coordinator, caseworker = (
        partnership.users[Role.COORDINATOR],
        partnership.users[Role.CASEWORKER],
    )
    db.session.commit()
    seen = db.session.get(Referral, referral.id)
    assert seen.status is S.REQUESTED
    # The service's decline lands meanwhile, behind `seen`'s back: its UPDATE and its event.
    db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id)
        .values(status=S.REJECTED, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )
    lifecycle.event_for(
        seen, "declined", coordinator, from_status=S.REQUESTED, to_status=S.REJECTED
    )
    db.session.flush()
    with pytest.raises(lifecycle.Stale) as refused:
        lifecycle.transition(seen, caseworker, Action.CANCEL, Details(note="Moved away"))
    assert re.fullmatch(overtaken("Declined", "Southside Pantry"), refused.value.message)


def test_a_decline_and_a_cancel_at_once_the_loser_is_told_who_won(app, partnership):
    """Two requests in their own sessions: on PostgreSQL both read first and the UPDATE
    decides; on SQLite (serialised) the second reads the first's result. Either way one
    wins, and the other is told in words whose change it was."""
    referral_id = factories.referral(partnership).id
    coordinator_id = partnership.users[Role.COORDINATOR].id
    caseworker_id = partnership.users[Role.CASEWORKER].id
    db.session.commit()
    both_read = threading.Barrier(2) if db.engine.dialect.name == "postgresql" else None
    results: dict[str, str] = {}

    def act(who: str, user_id: int, action: Action, details: Details) -> None:
        with app.app_context():
            found = db.session.get(Referral, referral_id)
            user = db.session.get(User, user_id)
            if both_read:
                both_read.wait(timeout=10)
            try:
                lifecycle.transition(found, user, action, details)
                db.session.commit()
                results[who] = "done"
            except lifecycle.Refused as refused:
                db.session.rollback()
                results[who] = refused.message
            finally:
                db.session.remove()

    threads = [
        threading.Thread(
            target=act,
            args=(
                "service",
                coordinator_id,
                Action.DECLINE,
                Details(reason=DeclineReason.DUPLICATE),
            ),
        ),
        threading.Thread(
            target=act, args=("referrer", caseworker_id, Action.CANCEL, Details(note="Moved"))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and list(results.values()).count("done") == 1, results
    if results["service"] == "done":
        assert re.fullmatch(overtaken("Declined", "Southside Pantry"), results["referrer"])
    else:
        assert re.fullmatch(overtaken("Cancelled", "Northside Surgery"), results["service"])
