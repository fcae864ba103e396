"""The demo partnership's services and their capacity histories."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import CapacityStatus, CapacityUpdate, Event, Role, Service, User
from partnership.sample.demo import seed_demo
from partnership.sample.demo.services import DEMO_SERVICES, seed_demo_services
from tests.services.conftest import count


def _counts() -> tuple[int, int, int]:
    return (
        count(Service),
        count(CapacityUpdate),
        count(Event, Event.kind == "capacity"),
    )


@pytest.fixture
def demo(app):
    seed_demo()
    seed_demo_services()
    db.session.commit()
    return {s.name: s for s in db.session.scalars(select(Service))}


def test_seeding_twice_adds_nothing_the_second_time(demo):
    first = _counts()
    assert first[0] == len(DEMO_SERVICES)
    assert first[1] == first[2] == sum(d.posts for d in DEMO_SERVICES)
    seed_demo()
    assert seed_demo_services() == 0
    db.session.commit()
    assert _counts() == first


def test_every_demo_service_is_seeded_as_written(demo):
    for spec in DEMO_SERVICES:
        service = demo[spec.name]
        assert service.organisation.name == spec.organisation
        assert sorted(n.slug for n in service.needs) == sorted(spec.needs)
        # Every neighbourhood named is one the organisation serves: none was dropped.
        assert sorted(n.name for n in service.neighbourhoods) == sorted(spec.neighbourhoods)
        assert (service.min_age, service.max_age) == (spec.min_age, spec.max_age)


def test_the_demo_coordinator_has_food_parcels_with_places(demo):
    parcels = demo["Food parcels"]
    assert parcels.organisation.name == "Calder Bank Food Bank"
    assert [n.slug for n in parcels.needs] == ["food"]
    assert {n.name for n in parcels.neighbourhoods} == {"Calder Bank", "Ashbrook"}
    assert parcels.capacity_status is CapacityStatus.OPEN
    assert parcels.places_available > 0
    assert parcels.capacity_updated_by.name == "Tom Whitaker"


def test_every_capacity_is_represented(demo):
    services = demo.values()
    statuses = {s.capacity_status for s in services}
    assert statuses == set(CapacityStatus)
    assert all(s.wait_band for s in services if s.capacity_status is CapacityStatus.WAITLIST)
    assert any(s.places_available is None for s in services)
    assert any(s.places_available for s in services if s.capacity_status is CapacityStatus.OPEN)
    assert {s.min_age for s in services} >= {16, 18, 60}
    assert any(s.max_age == 25 for s in services)
    stale = [s for s in services if clock.now() - s.capacity_updated_at > timedelta(days=7)]
    assert 0 < len(stale) < len(DEMO_SERVICES) / 4


def test_each_history_is_months_of_posts_ending_in_the_capacity_shown(demo):
    now = clock.now()
    for service in demo.values():
        posts = db.session.scalars(
            select(CapacityUpdate)
            .where(CapacityUpdate.service_id == service.id)
            .order_by(CapacityUpdate.posted_at)
        ).all()
        assert 3 <= len(posts) <= 10
        assert all(now - timedelta(days=91) < p.posted_at <= now for p in posts)
        assert service.created_at < posts[0].posted_at
        latest = posts[-1]
        assert (latest.status, latest.places_available, latest.wait_band, latest.note) == (
            service.capacity_status,
            service.places_available,
            service.wait_band,
            service.capacity_note,
        )
        assert service.capacity_updated_at == latest.posted_at
        coordinators = db.session.scalars(
            select(User)
            .where(User.organisation_id == service.organisation_id, User.role == Role.COORDINATOR)
            .order_by(User.id)
        ).all()
        expected = {coordinators[0].id} if coordinators else {None}
        assert {p.posted_by_id for p in posts} == expected
    spread = db.session.scalars(select(CapacityUpdate.posted_at)).all()
    assert now - min(spread) > timedelta(days=60)
