"""The figures, counted by the database, agree with the referrals as the test made them;
and a dashboard costs the same few queries however long its period or however many
needs and services it has."""

import statistics
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from partnership import clock
from partnership.dashboards.figures import dashboard_figures
from partnership.dashboards.periods import Period, last_weeks
from partnership.extensions import db
from partnership.models import CapacityStatus, Role, Sector
from tests import factories
from tests.dashboards.conftest import (
    ELSEWHERE,
    NO_CAPACITY,
    NO_SERVICE,
    NORTHSIDE,
    Made,
    S,
    expected_headline,
    make_referrals,
)

SECTORS = {"parcels": Sector.VCSE, "housing": Sector.COUNCIL, "link": Sector.NHS}


def test_headline_figures(northside):
    figures = dashboard_figures(northside.north, last_weeks(12))
    expected = expected_headline(NORTHSIDE + ELSEWHERE, NO_SERVICE)
    headline = figures.headline
    assert (
        (headline.made, headline.accepted, headline.declined, headline.completed)
        == (
            expected.made,
            expected.accepted,
            expected.declined,
            expected.completed,
        )
        == (22, 14, 5, 5)
    )
    assert headline.declined_for_capacity == expected.declined_for_capacity == 3
    assert sum(headline.no_suitable_service.values()) == expected.no_suitable_service == 8
    assert headline.unmet_need == 11
    assert headline.days_to_accept == pytest.approx(expected.days_to_accept)
    assert headline.days_to_complete == pytest.approx(expected.days_to_complete)
    assert (headline.timed_accepts, headline.timed_completions) == (14, 5)
    # Waiting past the due date now: the one sent 10 days ago and the one from 100 days ago,
    # which is outside the period but still overdue.
    assert headline.overdue_now == 2


def test_southside_has_its_own_figures(northside):
    south = dashboard_figures(northside.north, last_weeks(12)).headlines[northside.south.id]
    assert (south.made, south.accepted, south.overdue_now) == (2, 1, 1)


def test_weeks(northside):
    figures = dashboard_figures(northside.north, last_weeks(12))
    inside = expected_headline(NORTHSIDE + ELSEWHERE, NO_SERVICE).inside
    assert [week.starts for week in figures.weeks] == [
        clock.today() - timedelta(days=83 - 7 * n) for n in range(12)
    ]
    made = Counter(m.week() for m in inside)
    accepted = Counter(m.week() for m in inside if m.accept_after is not None)
    declined = Counter(m.week() for m in inside if m.status is S.REJECTED)
    completed = Counter(m.week() for m in inside if m.status is S.COMPLETED)
    assert [(w.made, w.accepted, w.declined, w.completed) for w in figures.weeks] == [
        (made[n], accepted[n], declined[n], completed[n]) for n in range(12)
    ]


def test_flows_by_need_service_and_sector(northside):
    figures = dashboard_figures(northside.north, last_weeks(12))
    inside = expected_headline(NORTHSIDE + ELSEWHERE, NO_SERVICE).inside
    by_need = Counter()
    by_sector = Counter()
    for flow in figures.flows:
        by_need[flow.need.slug] += flow.made
        by_sector[flow.sector] += flow.made
    slugs = {"food": "food", "housing": "housing", "money": "money-and-debt"}
    assert by_need == Counter(slugs[m.need] for m in inside)
    assert by_need == {"food": 13, "housing": 8, "money-and-debt": 1}
    assert by_sector == Counter(SECTORS[m.service] for m in inside)
    capacity = {f.need.slug: f.declined_for_capacity for f in figures.flows}
    assert capacity == {"food": 3, "housing": 0, "money-and-debt": 0}
    assert sum(m.decline_reason is NO_CAPACITY for m in inside) == 3
    services = Counter()
    for flow in figures.flows:
        services[flow.service] += flow.made
    assert services == {"Food parcels": 13, "Housing advice": 8, "Link worker": 1}


def test_capacity_now(northside):
    capacity = {
        row.status: row for row in dashboard_figures(northside.north, last_weeks(4)).capacity
    }
    assert [status for status in capacity] == list(CapacityStatus)
    assert (capacity[CapacityStatus.OPEN].services, capacity[CapacityStatus.OPEN].places) == (1, 6)
    assert capacity[CapacityStatus.LIMITED].services == 0
    assert capacity[CapacityStatus.WAITLIST].places is None
    assert (capacity[CapacityStatus.FULL].places, capacity[CapacityStatus.FULL].stale) == (0, 1)
    assert capacity[CapacityStatus.CLOSED].services == 1


def test_capacity_nobody_has_posted_counts_as_stale(northside):
    """Imported just now, say: nobody vouches for it, so it is no more current than old."""
    northside.services["housing"].capacity_updated_by = None
    db.session.commit()
    capacity = {
        row.status: row for row in dashboard_figures(northside.north, last_weeks(4)).capacity
    }
    assert capacity[CapacityStatus.WAITLIST].stale == 1
    assert capacity[CapacityStatus.OPEN].stale == 0


def test_a_period_between_two_dates(northside):
    # Days 45 to 21 ago inclusive: four weeks, the last one four days long.
    period = Period(clock.today() - timedelta(days=45), clock.today() - timedelta(days=21))
    figures = dashboard_figures(northside.north, period)
    inside = [m for m in NORTHSIDE if 21 <= m.days_ago <= 45]
    assert figures.headline.made == len(inside) == 7
    assert figures.headline.accepted == sum(m.accept_after is not None for m in inside)
    assert figures.headline.days_to_accept == pytest.approx(
        statistics.median(m.accept_after for m in inside if m.accept_after is not None)
    )
    assert [w.made for w in figures.weeks] == [
        sum((45 - m.days_ago) // 7 == n for m in inside) for n in range(4)
    ]
    # No suitable service: days 23, 30, 37 and 44 ago.
    assert sum(figures.headline.no_suitable_service.values()) == 4


@contextmanager
def counted_queries():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _queries_for(neighbourhood, period) -> int:
    with counted_queries() as statements:
        dashboard_figures(neighbourhood, period)
    return len(statements)


def test_a_dashboard_costs_the_same_few_queries_however_much_it_shows(northside):
    few = _queries_for(northside.north, last_weeks(4))
    # Eight on PostgreSQL, where the medians come with the counts; nine on SQLite.
    assert few == _queries_for(northside.north, last_weeks(52)) <= 9
    # Many more needs, services and neighbourhoods: still the same queries.
    for number in range(8):
        service = factories.service(northside.council, name=f"Extra service {number}")
        need = factories.need(f"extra-{number}", f"Extra need {number}")
        make_referrals(
            northside,
            [Made(number + 2, f"extra-{number}", "extra", S.REQUESTED)],
            {"extra": service},
            {f"extra-{number}": need},
        )
    db.session.commit()
    assert _queries_for(northside.north, last_weeks(52)) == few


def test_the_comparison_is_kept_until_what_it_counts_changes_but_counts_its_own_afresh(
    partnership, monkeypatch
):
    from datetime import date

    from partnership.dashboards import figures
    from partnership.dashboards.periods import Period

    calls = []

    def counted(period, ids, on):
        calls.append(list(ids))
        return {i: figures.Headline(made=100 * len(calls) + i) for i in ids}

    monkeypatch.setattr(figures, "headlines", counted)
    period, on = Period(date(2026, 9, 1), date(2026, 11, 23)), date(2026, 11, 24)
    first = figures.comparison_headlines(period, [1, 2, 3], on, own=2)
    first[1].made = -1  # a page changing what it was given changes nothing kept
    second = figures.comparison_headlines(period, [1, 2, 3], on, own=3)
    assert calls == [[1, 2, 3], [3]]
    assert second[1].made == 101  # kept from the first count
    assert second[3].made == 203  # counted afresh

    # A commit that writes nothing counted (a user's name) keeps it ...
    partnership.users[Role.LEAD].name = "Lee Renamed"
    db.session.commit()
    figures.comparison_headlines(period, [1, 2, 3], on, own=1)
    assert calls[-1] == [1]
    # ... one that writes what it counts (a referral) forgets it.
    factories.referral(partnership)
    db.session.commit()
    figures.comparison_headlines(period, [1, 2, 3], on, own=1)
    assert calls[-1] == [1, 2, 3]
