"""The demo partnership's residents and six months of referrals."""

import re
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    AccessLog,
    BankHoliday,
    CapacityStatus,
    CapacityUpdate,
    Consent,
    ContactMethod,
    DeclineReason,
    Event,
    Message,
    Outcome,
    Referral,
    ReferralStatus,
    Resident,
    Role,
    Sector,
    Service,
    UnmetNeed,
    Urgency,
    User,
)
from partnership.referrals.overdue import is_overdue
from partnership.referrals.residents import valid_nhs_number
from partnership.sample.demo import seed_demo
from partnership.sample.demo.referrals import seed_demo_referrals
from tests.conftest import empty_database

S = ReferralStatus
STAMP_OF_EVENT = {
    "sent": "sent_at",
    "opened": "opened_at",
    "accepted": "accepted_at",
    "declined": "declined_at",
    "completed": "completed_at",
    "cancelled": "cancelled_at",
}


def _seed() -> int:
    """seed_demo() plays the referrals too; how many it added is how many there are."""
    seed_demo()
    return db.session.scalar(select(func.count()).select_from(Referral))


@pytest.fixture(scope="module")
def added(_app):
    """Seeded once per database for the module: seeding plays six months of referrals."""
    with _app.app_context():
        yield _seed()
        empty_database()
        db.session.remove()


@pytest.fixture(scope="module")
def referrals(added) -> list[Referral]:
    return list(db.session.scalars(select(Referral).order_by(Referral.id)))


def _events(referral: Referral) -> list[Event]:
    return list(
        db.session.scalars(select(Event).where(Event.referral_id == referral.id).order_by(Event.id))
    )


def _table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_a_few_hundred_residents_and_referrals(added, referrals):
    assert added == len(referrals)
    assert 300 <= len(referrals) <= 600
    assert 250 <= db.session.scalar(select(func.count()).select_from(Resident)) <= 400


def test_every_status_appears(referrals):
    statuses = Counter(r.status for r in referrals)
    assert set(statuses) == set(S) - {S.DRAFT}
    assert all(statuses[status] >= 3 for status in statuses)


def test_every_decline_reason_and_outcome_appears(referrals):
    assert {r.decline_reason for r in referrals if r.status is S.REJECTED} == set(DeclineReason)
    assert {r.outcome for r in referrals if r.status is S.COMPLETED} == set(Outcome)
    other = [r for r in referrals if r.decline_reason is DeclineReason.OTHER]
    assert all(r.closing_note for r in other)
    assert all(r.closing_note for r in referrals if r.status is S.CANCELLED)


def test_seeding_again_adds_nothing(added):
    before = _table_counts()
    seed_demo()
    assert seed_demo_referrals() == 0
    assert _table_counts() == before


def test_a_run_interrupted_while_places_were_lifted_is_put_right(added):
    parcels = db.session.scalar(select(Service).where(Service.name == "Food parcels"))
    posted = parcels.places_available
    assert posted is not None
    parcels.places_available = None
    db.session.commit()
    assert seed_demo_referrals() == 0
    db.session.refresh(parcels)
    assert parcels.places_available == posted


def test_each_status_change_has_its_event_in_time_order(referrals):
    for referral in referrals:
        events = _events(referral)
        times = [e.created_at for e in events]
        assert times == sorted(times), referral.reference
        assert events[0].kind == "sent"
        assert (events[0].from_status, events[0].to_status) == (S.DRAFT, S.REQUESTED)
        status = S.REQUESTED
        for event in events[1:]:
            if event.to_status is not None:
                assert event.from_status is status, referral.reference
                status = event.to_status
        assert status is referral.status, referral.reference
        # The referral's own timestamps are those of its events.
        for event in events:
            if stamp := STAMP_OF_EVENT.get(event.kind):
                assert getattr(referral, stamp) == event.created_at, (referral.reference, stamp)
        starts = [e.created_at for e in events if e.kind in ("started", "resumed")]
        assert referral.started_at == (starts[-1] if starts else None)
        assert referral.updated_at == max(e.created_at for e in events if e.kind != "message")


def test_event_ids_increase_with_time_as_they_do_live(added):
    times = list(
        db.session.scalars(
            select(Event.created_at).where(Event.referral_id.is_not(None)).order_by(Event.id)
        )
    )
    assert times == sorted(times)


def test_consent_and_the_access_log_are_dated_with_the_referral(referrals):
    for referral in referrals:
        consent = db.session.scalar(select(Consent).where(Consent.referral_id == referral.id))
        assert consent.recorded_at == referral.sent_at
        assert consent.recorded_by_id == referral.from_user_id
        sent = db.session.scalar(
            select(AccessLog).where(
                AccessLog.referral_id == referral.id, AccessLog.what == "sent a referral"
            )
        )
        assert sent.at == referral.sent_at and sent.user_id == referral.from_user_id
    assert db.session.scalar(select(func.max(AccessLog.at))) < clock.now()


def test_timestamps_are_in_the_past_and_in_lifecycle_order(referrals):
    now = clock.now()
    for referral in referrals:
        sent = referral.sent_at
        assert referral.created_at == sent < now
        for later in (referral.opened_at, referral.declined_at, referral.cancelled_at):
            assert later is None or sent <= later < now
        steps = [referral.accepted_at, referral.started_at, referral.completed_at]
        present = [sent] + [s for s in steps if s is not None]
        assert present == sorted(present), referral.reference
        assert all(s < now for s in present)
        if referral.status is S.IN_PROGRESS or referral.status is S.ON_HOLD:
            assert referral.accepted_at and referral.started_at
        assert referral.reference == f"REF-{sent.year}-{referral.id:06d}"


def test_every_referral_goes_to_a_service_that_meets_the_need_where_the_resident_lives(
    referrals,
):
    for referral in referrals:
        service = referral.to_service
        resident = referral.resident
        assert referral.neighbourhood_id == resident.neighbourhood_id
        assert referral.need in service.needs, referral.reference
        assert referral.neighbourhood in service.neighbourhoods, referral.reference
        assert service.capacity_status is not CapacityStatus.CLOSED
        assert referral.to_organisation_id == service.organisation_id
        age = _age(resident.date_of_birth, referral.sent_at.date())
        assert service.min_age is None or age >= service.min_age
        assert service.max_age is None or age <= service.max_age


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_referrers_are_caseworkers_mostly_of_the_nhs_and_the_council(referrals):
    for referral in referrals:
        user = referral.from_user
        assert user.has_role(Role.CASEWORKER)
        assert user.organisation_id == referral.from_organisation_id
        assert referral.from_organisation_id != referral.to_organisation_id
    sectors = Counter(r.from_organisation.sector for r in referrals)
    assert sectors[Sector.NHS] + sectors[Sector.COUNCIL] > 0.6 * len(referrals)


def test_demand_is_led_by_food_money_mental_wellbeing_and_housing(referrals):
    needs = Counter(r.need.slug for r in referrals)
    top = {slug for slug, _ in needs.most_common(4)}
    assert top == {"food", "money-and-debt", "mental-wellbeing", "housing"}
    assert len(needs) >= 8


def test_residents_are_invented_with_test_nhs_numbers_and_postcodes(added):
    residents = list(db.session.scalars(select(Resident)))
    numbers = [r.nhs_number for r in residents if r.nhs_number]
    assert len(numbers) > 0.8 * len(residents)
    assert all(valid_nhs_number(n) and n.startswith("999") for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert len({(r.given_name, r.family_name, r.date_of_birth) for r in residents}) == len(
        residents
    )
    assert all(re.fullmatch(r"NV[1-6] [1-9][A-Z]{2}", r.postcode) for r in residents)
    assert all(date(1935, 1, 1) <= r.date_of_birth <= date(2008, 12, 31) for r in residents)
    assert all(r.email is None or r.email.endswith(".example") for r in residents)
    assert all(r.interpreter_needed == (r.language != "English") for r in residents)
    languages = Counter(r.language for r in residents)
    assert languages["English"] > 0.7 * len(residents)
    assert {"Urdu", "Polish", "Romanian", "Arabic"} <= set(languages)
    contact = Counter(r.preferred_contact for r in residents)
    assert set(contact) == set(ContactMethod)
    assert contact[ContactMethod.LETTER] + contact[ContactMethod.IN_PERSON] > 0.2 * len(residents)
    assert any(r.accessibility_needs for r in residents)
    assert any(r.phone is None and r.email is None for r in residents)


def test_no_service_ends_with_negative_places_or_other_than_its_latest_post(added):
    for service in db.session.scalars(select(Service)):
        latest = db.session.scalar(
            select(CapacityUpdate)
            .where(CapacityUpdate.service_id == service.id)
            .order_by(CapacityUpdate.posted_at.desc(), CapacityUpdate.id.desc())
            .limit(1)
        )
        assert service.places_available == latest.places_available, service.name
        assert service.places_available is None or service.places_available >= 0


def test_accepted_referrals_went_to_place_limited_services_too(referrals):
    accepted = [r for r in referrals if r.accepted_at is not None]
    assert any(r.to_service.places_available is not None for r in accepted)


def test_the_demo_coordinator_has_new_food_referrals_waiting(referrals):
    tom = db.session.scalar(select(User).where(User.email == "coordinator@demo.example"))
    new_food = [
        r
        for r in referrals
        if r.to_organisation_id == tom.organisation_id
        and r.status is S.REQUESTED
        and r.need.slug == "food"
        and r.neighbourhood.name in ("Calder Bank", "Ashbrook")
    ]
    assert len(new_food) >= 3
    assert any(r.opened_at is None for r in new_food)
    inbox = [r for r in referrals if r.to_organisation_id == tom.organisation_id]
    assert len({r.status for r in inbox}) >= 4


def test_the_demo_caseworker_has_sent_several(referrals):
    priya = db.session.scalar(select(User).where(User.email == "caseworker@demo.example"))
    sent = [r for r in referrals if r.from_user_id == priya.id]
    assert len(sent) >= 10
    assert {S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED, S.REJECTED} <= {
        r.status for r in sent
    }


def test_some_are_urgent_and_some_overdue_now(referrals):
    holidays = frozenset(db.session.scalars(select(BankHoliday.day)))
    today = clock.now().date()
    waiting = [r for r in referrals if r.status is S.REQUESTED]
    overdue = [r for r in waiting if is_overdue(r.sent_at, r.urgency, today, holidays)]
    assert len(overdue) >= 3
    assert len(overdue) < len(waiting)
    urgent = [r for r in referrals if r.urgency is Urgency.URGENT]
    assert 5 <= len(urgent) < 0.2 * len(referrals)


def test_some_are_assigned_within_the_receiving_organisation(referrals):
    assigned = [r for r in referrals if r.assignee_id is not None]
    assert len(assigned) >= 10
    for referral in assigned:
        assert referral.assignee.organisation_id == referral.to_organisation_id
        kinds = [e.kind for e in _events(referral)]
        assert "assigned" in kinds


def test_a_few_are_forwarded_after_a_decline(referrals):
    forwarded = [r for r in referrals if r.forwarded_from_id is not None]
    assert len(forwarded) >= 2
    for referral in forwarded:
        first = referral.forwarded_from
        assert first.status is S.REJECTED
        assert first.resident_id == referral.resident_id
        assert first.to_service_id != referral.to_service_id
        assert first.from_organisation_id == referral.from_organisation_id
        assert first.declined_at < referral.sent_at


def test_messages_pass_between_the_two_parties(referrals):
    messages = list(db.session.scalars(select(Message)))
    assert len(messages) >= 10
    by_id = {r.id: r for r in referrals}
    for message in messages:
        referral = by_id[message.referral_id]
        assert message.organisation_id in (
            referral.from_organisation_id,
            referral.to_organisation_id,
        )
        event = db.session.scalar(
            select(Event).where(
                Event.referral_id == referral.id,
                Event.kind == "message",
                Event.created_at == message.created_at,
            )
        )
        assert event is not None and event.actor_id == message.author_id
    organisations = {(m.referral_id, m.organisation_id) for m in messages}
    both_ways = Counter(referral_id for referral_id, _ in organisations)
    assert any(count == 2 for count in both_ways.values())


def test_unmet_needs_are_where_no_service_could_help(added):
    unmet = list(db.session.scalars(select(UnmetNeed)))
    assert 3 <= len(unmet) <= 40
    services = [
        s
        for s in db.session.scalars(select(Service))
        if s.capacity_status is not CapacityStatus.CLOSED
    ]
    for need in unmet:
        resident = db.session.get(Resident, need.resident_id)
        age = _age(resident.date_of_birth, need.recorded_at.date())
        assert resident.neighbourhood_id == need.neighbourhood_id
        assert need.recorded_at < clock.now()
        assert not [
            s
            for s in services
            if need.need in s.needs
            and need.neighbourhood in s.neighbourhoods
            and (s.min_age is None or age >= s.min_age)
            and (s.max_age is None or age <= s.max_age)
        ], (need.need.slug, need.neighbourhood.name)
