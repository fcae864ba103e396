"""The visibility rules of partnership.access (DESIGN section 4), as plain functions.

The dashboards' neighbourhoods, the live relay's filter and the lifecycle's sides all ask
these; their pages and streams are tested through HTTP in tests/dashboards, tests/live and
tests/referrals.
"""

from itertools import combinations, product

import pytest
from sqlalchemy import select

from partnership import access
from partnership.extensions import db
from partnership.live.relay import LiveEvent
from partnership.models import Event, Neighbourhood, Role
from partnership.referrals import lifecycle
from tests import factories

WHO = ["caseworker", "coordinator", "lead", "admin", "outsider"]


def person(partnership, who: str):
    return partnership.outsider if who == "outsider" else partnership.users[Role(who)]


def _event(partnership, referral, **fields) -> LiveEvent:
    values = dict(
        id=1,
        kind="accepted",
        referral_id=referral.id,
        service_id=referral.to_service_id,
        from_organisation_id=referral.from_organisation_id,
        to_organisation_id=referral.to_organisation_id,
        neighbourhood_id=referral.neighbourhood_id,
        to_status="accepted",
    )
    values.update(fields)
    return LiveEvent(**values)


# The lead's neighbourhoods: dashboards and live counters alike.


@pytest.mark.parametrize(
    ("who", "north", "south"),
    [
        ("caseworker", False, False),
        ("coordinator", False, False),
        ("outsider", False, False),
        ("lead", True, False),  # leads Northside only
        ("admin", True, True),
    ],
)
def test_who_may_see_a_neighbourhoods_dashboard(app, partnership, who, north, south):
    user = person(partnership, who)
    assert access.may_see_dashboard(user, partnership.north.id) is north
    assert access.may_see_dashboard(user, partnership.south.id) is south
    assert (access.dashboard_neighbourhood(user, partnership.north.id) is not None) is north
    expected = [n for n, sees in ((partnership.north, north), (partnership.south, south)) if sees]
    assert access.dashboard_neighbourhoods(user) == expected


def test_a_neighbourhood_that_does_not_exist_is_nobodys(app, partnership):
    admin = partnership.users[Role.ADMIN]
    assert access.dashboard_neighbourhood(admin, 999_999) is None
    assert not access.may_see_dashboard(partnership.users[Role.LEAD], None)


def test_a_lead_of_two_neighbourhoods_sees_both_by_name(app, partnership):
    lead = partnership.users[Role.LEAD]
    east = Neighbourhood(name="Eastside", ons_code="E05000003")
    lead.neighbourhoods = [partnership.north, east]
    db.session.add(east)
    db.session.commit()
    assert access.dashboard_neighbourhoods(lead) == [east, partnership.north]
    assert access.may_see_dashboard(lead, east.id)
    assert not access.may_see_dashboard(lead, partnership.south.id)


def test_a_role_that_leads_nothing_leads_nothing_even_if_it_once_did(app, partnership):
    """Neighbourhoods left on a user whose role changed from lead give them nothing."""
    coordinator = partnership.users[Role.COORDINATOR]
    coordinator.neighbourhoods = [partnership.north]
    db.session.commit()
    assert not access.may_see_dashboard(coordinator, partnership.north.id)
    assert access.viewer(coordinator).neighbourhood_ids == frozenset()


# Live events: the relay's and the stream's filter.


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("caseworker", True),  # the referrer's organisation
        ("coordinator", True),  # the recipient's
        ("outsider", False),  # party to nothing
        ("lead", True),  # Northside's lead: counters only (see partnership.live.stream)
        ("admin", True),  # every neighbourhood's counters
    ],
)
def test_who_may_see_a_referral_event(app, partnership, who, sees):
    referral = factories.referral(partnership)
    seen = access.viewer(person(partnership, who))
    assert access.may_see_event(seen, _event(partnership, referral)) is sees


def test_a_lead_sees_no_event_from_a_neighbourhood_they_do_not_lead(app, partnership):
    referral = factories.referral(partnership, neighbourhood=partnership.south)
    lead, admin = partnership.users[Role.LEAD], partnership.users[Role.ADMIN]
    event = _event(partnership, referral)
    assert not access.may_see_event(access.viewer(lead), event)
    assert access.may_see_event(access.viewer(admin), event)


def test_capacity_events_reach_every_signed_in_user(app, partnership):
    capacity = LiveEvent(2, "capacity", None, 3, None, None, None, None)
    for who in WHO:
        assert access.may_see_event(access.viewer(person(partnership, who)), capacity)


@pytest.mark.parametrize("who", WHO)
def test_the_dashboards_and_the_live_counters_agree(app, partnership, who):
    user = person(partnership, who)
    seen = access.viewer(user)
    for neighbourhood in (partnership.north, partnership.south):
        assert access.may_see_figures(seen, neighbourhood.id) == access.may_see_dashboard(
            user, neighbourhood.id
        )


@pytest.mark.parametrize("who", WHO)
def test_a_referral_event_reaches_exactly_those_who_may_see_the_referral_or_its_figures(
    app, partnership, who
):
    user = person(partnership, who)
    referral = factories.referral(partnership)
    expected = access.may_see_referral(user, referral) or access.may_see_dashboard(
        user, referral.neighbourhood_id
    )
    assert access.may_see_event(access.viewer(user), _event(partnership, referral)) is expected


def every_viewer(partnership) -> list[access.Viewer]:
    """Each fixture user as the rules see them, and every other combination of the facts
    a viewer carries over the partnership's organisations and neighbourhoods (some no user
    can hold, such as an admin who works on referrals: the rule's two forms agree on those
    too)."""
    users = [*partnership.users.values(), partnership.outsider]
    organisations = [partnership.surgery.id, partnership.pantry.id, partnership.council.id]
    hoods = [partnership.north.id, partnership.south.id]
    led = [frozenset(chosen) for size in range(3) for chosen in combinations(hoods, size)]
    viewers = {access.viewer(user) for user in users}
    for organisation, works, every, neighbourhoods in product(
        organisations, (True, False), (True, False), led
    ):
        viewers.add(access.Viewer(0, organisation, works, every, neighbourhoods))
    return sorted(viewers, key=repr)


def test_the_sql_clause_selects_exactly_the_events_may_see_event_accepts(app, partnership):
    """One rule in two forms: the relay filters in Python, the replay in SQL."""
    made = factories.events_of_every_kind(partnership)
    events = [LiveEvent.from_row(row) for row in made]
    ids = [row.id for row in made]
    seen_sets = set()
    for seen in every_viewer(partnership):
        expected = {event.id for event in events if access.may_see_event(seen, event)}
        query = select(Event.id).where(Event.id.in_(ids), access.visible_events_clause(seen))
        assert set(db.session.scalars(query)) == expected, seen
        seen_sets.add(frozenset(expected))
    # Not vacuous: each organisation's workers, each choice of led neighbourhoods (none
    # leaves capacity posts only) and every neighbourhood see different sets.
    assert len(seen_sets) == 3 + 4 + 1
    assert frozenset(ids) in seen_sets


# The lifecycle's sides: only those who may see the referral act on it.


@pytest.mark.parametrize("who", WHO)
def test_the_lifecycle_gives_sides_only_to_those_who_may_see_the_referral(app, partnership, who):
    user = person(partnership, who)
    referral = factories.referral(partnership)
    assert bool(lifecycle.sides(user, referral)) is access.may_see_referral(user, referral)
    assert lifecycle.sides_possible(user) is access.works_on_referrals(user)


def test_a_lead_in_a_party_organisation_still_acts_on_nothing(app, partnership):
    """The council is party to this referral, but its lead and admin see figures only."""
    referral = factories.referral(partnership, from_organisation=partnership.council)
    assert lifecycle.sides(partnership.outsider, referral) == {lifecycle.Side.REFERRER}
    for role in (Role.LEAD, Role.ADMIN):
        user = partnership.users[role]
        assert not access.may_see_referral(user, referral)
        assert lifecycle.sides(user, referral) == frozenset()
