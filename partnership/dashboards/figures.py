"""The dashboard's figures, counted in the database, before suppression.

Nothing here leaves the dashboards package unsuppressed: partnership.dashboards.tables
publishes these figures through the suppression rules.

Definitions, in the words the page uses:

- **Referrals made** in a period: referrals sent in it. A referral is created and sent in
  one step, so its created_at is when it was sent, and the UK day of created_at is the day
  it is counted on.
- **Accepted, declined, completed**: of the referrals made in the period, how many have
  been accepted (at any point, even if since completed or cancelled), declined, completed.
- **Acceptance rate**: accepted ÷ answered (accepted or declined).
- **Median days to accept / to complete**: from sending, over those accepted / completed.
- **Overdue now**: referrals in the neighbourhood still waiting for a reply past their due
  date, whenever they were sent.
- **Unmet need**: referrals made in the period declined for lack of capacity, plus needs
  recorded in the period for which no suitable service could be found.

A dashboard costs a fixed number of grouped queries, however long its period and however
many needs or services it has: see `dashboard_figures`. The counts and the weekly trend
read the daily summary (partnership.referrals.daily_summary); the medians and the flows by need
and service read the referrals through ix_referrals_neighbourhood_created, which on
PostgreSQL carries every column they use.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, and_, case, func, literal_column, select, union_all

from partnership import cache, clock
from partnership.dashboards.periods import Period
from partnership.directory.record import _seconds_between
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    DeclineReason,
    NeedCategory,
    Neighbourhood,
    NeighbourhoodDay,
    Organisation,
    Referral,
    ReferralStatus,
    Sector,
    Service,
    UnmetNeed,
)
from partnership.models.services import service_neighbourhoods
from partnership.referrals import daily_summary
from partnership.referrals.overdue import bank_holidays
from partnership.referrals.queries import overdue_clause
from partnership.services.capacity import unconfirmed

DAY = 86400.0


@dataclass(frozen=True)
class Need:
    id: int
    slug: str
    name: str


@dataclass
class Headline:
    """One neighbourhood's headline figures for a period."""

    made: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0
    declined_for_capacity: int = 0
    overdue_now: int = 0
    days_to_accept: float | None = None
    days_to_complete: float | None = None
    # How many referrals each median comes from.
    timed_accepts: int = 0
    timed_completions: int = 0
    no_suitable_service: dict[Need, int] = field(default_factory=dict)

    @property
    def unmet_need(self) -> int:
        return self.declined_for_capacity + sum(self.no_suitable_service.values())


@dataclass(frozen=True)
class Week:
    starts: date
    made: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0


@dataclass(frozen=True)
class Flow:
    """Referrals made for one need to one service: the mix that demand by need, by sector
    and by service all add up from."""

    need: Need
    service_id: int
    service: str
    organisation: str
    sector: Sector
    made: int
    declined_for_capacity: int


@dataclass(frozen=True)
class Capacity:
    """The services covering a neighbourhood with one capacity status, as they are now."""

    status: CapacityStatus
    services: int
    places: int | None  # None: none of them counts places
    stale: int


@dataclass
class Figures:
    neighbourhood: Neighbourhood
    period: Period
    neighbourhoods: list[Neighbourhood]
    headlines: dict[int, Headline]
    weeks: list[Week]
    flows: list[Flow]
    capacity: list[Capacity]

    @property
    def headline(self) -> Headline:
        return self.headlines[self.neighbourhood.id]


def _made(period: Period, neighbourhood_ids: list[int]) -> list:
    """Referrals made in the neighbourhoods during the period, as WHERE clauses."""
    return [
        Referral.neighbourhood_id.in_(neighbourhood_ids),
        Referral.created_at >= period.starts_at,
        Referral.created_at < period.ends_at,
        Referral.sent_at.is_not(None),
    ]


ACCEPTED = Referral.accepted_at.is_not(None)
DECLINED = Referral.status == ReferralStatus.REJECTED
COMPLETED = Referral.status == ReferralStatus.COMPLETED
DECLINED_FOR_CAPACITY = and_(DECLINED, Referral.decline_reason == DeclineReason.NO_CAPACITY)


def _number_of(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


STEPS = {
    "accept": (Referral.accepted_at, ACCEPTED),
    "complete": (Referral.completed_at, and_(COMPLETED, Referral.completed_at.is_not(None))),
}


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _counts(period: Period, ids: list[int], headlines: dict[int, Headline]) -> None:
    """Every neighbourhood's counts from the daily summary: neighbourhoods × days rows."""
    rows = db.session.execute(
        select(
            NeighbourhoodDay.neighbourhood_id,
            *[func.sum(getattr(NeighbourhoodDay, name)) for name in daily_summary.COUNTS],
        )
        .where(
            NeighbourhoodDay.neighbourhood_id.in_(ids),
            NeighbourhoodDay.day >= period.start,
            NeighbourhoodDay.day <= period.end,
        )
        .group_by(NeighbourhoodDay.neighbourhood_id)
    )
    for neighbourhood_id, *counts in rows:
        headline = headlines[neighbourhood_id]
        for name, value in zip(daily_summary.COUNTS, counts, strict=True):
            setattr(headline, name, int(value or 0))


def _medians(period: Period, ids: list[int], headlines: dict[int, Headline]) -> None:
    """Median days to accept and to complete for every neighbourhood, from PostgreSQL's
    percentile aggregate over the referrals themselves (a median needs every value; the
    dashboards' index carries them, so only the index is read). The median of an even
    number of values is the mean of the middle two, as `_medians_by_window` finds it."""
    columns = []
    for moment, condition in STEPS.values():
        seconds = _seconds_between(Referral.sent_at, moment)
        columns += [
            _number_of(condition),
            func.percentile_cont(0.5).within_group(seconds).filter(condition),
        ]
    rows = db.session.execute(
        select(Referral.neighbourhood_id, *columns)
        .where(*_made(period, ids))
        .group_by(Referral.neighbourhood_id)
    )
    for neighbourhood_id, *middle in rows:
        _set_medians(headlines[neighbourhood_id], "accept", *middle[:2])
        _set_medians(headlines[neighbourhood_id], "complete", *middle[2:])


def _set_medians(headline: Headline, step: str, timed: int, seconds: float | None) -> None:
    days = None if seconds is None else float(seconds) / DAY
    if step == "accept":
        headline.timed_accepts, headline.days_to_accept = timed, days
    else:
        headline.timed_completions, headline.days_to_complete = timed, days


def _medians_by_window(period: Period, ids: list[int], headlines: dict[int, Headline]) -> None:
    """Median days to accept and to complete for every neighbourhood, in one query, where
    there is no percentile aggregate (SQLite): the middle value, or the mean of the middle
    two, found with window functions (as partnership.directory.record does)."""
    ranked_steps: list[Select] = []
    for step, (moment, condition) in STEPS.items():
        seconds = _seconds_between(Referral.sent_at, moment)
        within = Referral.neighbourhood_id
        ranked_steps.append(
            select(
                Referral.neighbourhood_id.label("neighbourhood_id"),
                literal_column(f"'{step}'").label("step"),
                seconds.label("seconds"),
                func.row_number().over(partition_by=within, order_by=seconds).label("position"),
                func.count().over(partition_by=within).label("timed"),
            ).where(*_made(period, ids), condition)
        )
    ranked = union_all(*ranked_steps).subquery()
    middle = ranked.c.position.between((ranked.c.timed + 1) // 2, (ranked.c.timed + 2) // 2)
    rows = db.session.execute(
        select(
            ranked.c.neighbourhood_id,
            ranked.c.step,
            func.max(ranked.c.timed),
            func.avg(ranked.c.seconds),
        )
        .where(middle)
        .group_by(ranked.c.neighbourhood_id, ranked.c.step)
    )
    for neighbourhood_id, step, timed, seconds in rows:
        _set_medians(headlines[neighbourhood_id], step, timed, seconds)


def _overdue(on: date, ids: list[int], headlines: dict[int, Headline]) -> None:
    rows = db.session.execute(
        select(Referral.neighbourhood_id, func.count())
        .where(Referral.neighbourhood_id.in_(ids), overdue_clause(on, bank_holidays()))
        .group_by(Referral.neighbourhood_id)
    )
    for neighbourhood_id, overdue in rows:
        headlines[neighbourhood_id].overdue_now = overdue


def _no_suitable_service(period: Period, ids: list[int], headlines: dict[int, Headline]) -> None:
    rows = db.session.execute(
        select(
            UnmetNeed.neighbourhood_id,
            NeedCategory.id,
            NeedCategory.slug,
            NeedCategory.name,
            func.count(),
        )
        .join(NeedCategory, UnmetNeed.need_id == NeedCategory.id)
        .where(
            UnmetNeed.neighbourhood_id.in_(ids),
            UnmetNeed.recorded_at >= period.starts_at,
            UnmetNeed.recorded_at < period.ends_at,
        )
        .group_by(UnmetNeed.neighbourhood_id, NeedCategory.id, NeedCategory.slug, NeedCategory.name)
    )
    for neighbourhood_id, need_id, slug, name, recorded in rows:
        headlines[neighbourhood_id].no_suitable_service[Need(need_id, slug, name)] = recorded


def headlines(period: Period, neighbourhood_ids: list[int], on: date) -> dict[int, Headline]:
    """Each neighbourhood's headline figures, however many neighbourhoods: five queries
    with the bank holidays."""
    found = {neighbourhood_id: Headline() for neighbourhood_id in neighbourhood_ids}
    if neighbourhood_ids:
        _counts(period, neighbourhood_ids, found)
        if _on_postgresql():  # an aggregate for medians
            _medians(period, neighbourhood_ids, found)
        else:
            _medians_by_window(period, neighbourhood_ids, found)
        _overdue(on, neighbourhood_ids, found)
        _no_suitable_service(period, neighbourhood_ids, found)
    return found


def weeks(period: Period, neighbourhood_id: int) -> list[Week]:
    """Referrals made each week, and how many of them were accepted, declined, completed:
    the period's days from the daily summary, added up by week (weeks start on the
    period's first day)."""
    names = ("made", "accepted", "declined", "completed")
    rows = db.session.execute(
        select(NeighbourhoodDay.day, *[getattr(NeighbourhoodDay, name) for name in names]).where(
            NeighbourhoodDay.neighbourhood_id == neighbourhood_id,
            NeighbourhoodDay.day >= period.start,
            NeighbourhoodDay.day <= period.end,
        )
    )
    by_week: dict[int, list[int]] = {}
    for day, *counts in rows:
        week = by_week.setdefault((day - period.start).days // 7, [0] * len(names))
        for position, value in enumerate(counts):
            week[position] += value
    return [
        Week(starts, *by_week.get(number, (0, 0, 0, 0)))
        for number, starts in enumerate(period.week_starts())
    ]


def flows(period: Period, neighbourhood_id: int) -> list[Flow]:
    """Referrals made by need and receiving service, with the service's organisation and
    sector: one query that demand by need, by sector and by service are all summed from.
    It groups on ids first and joins the names to the groups, not to every referral."""
    grouped = (
        select(
            Referral.need_id,
            Referral.to_service_id,
            Referral.to_organisation_id,
            func.count().label("made"),
            _number_of(DECLINED_FOR_CAPACITY).label("for_capacity"),
        )
        .where(*_made(period, [neighbourhood_id]))
        .group_by(Referral.need_id, Referral.to_service_id, Referral.to_organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            NeedCategory.id,
            NeedCategory.slug,
            NeedCategory.name,
            Service.id,
            Service.name,
            Organisation.name,
            Organisation.sector,
            grouped.c.made,
            grouped.c.for_capacity,
        )
        .join(NeedCategory, grouped.c.need_id == NeedCategory.id)
        .join(Service, grouped.c.to_service_id == Service.id)
        .join(Organisation, grouped.c.to_organisation_id == Organisation.id)
    )
    return [
        Flow(Need(need_id, slug, need), service_id, service, organisation, sector, made, full)
        for need_id, slug, need, service_id, service, organisation, sector, made, full in rows
    ]


def capacity(neighbourhood_id: int, now: datetime) -> list[Capacity]:
    """The services covering the neighbourhood now, by capacity status (every status)."""
    rows = db.session.execute(
        select(
            Service.capacity_status,
            func.count(),
            func.sum(Service.places_available),
            _number_of(unconfirmed(now)),
        )
        .join(service_neighbourhoods, service_neighbourhoods.c.service_id == Service.id)
        .where(service_neighbourhoods.c.neighbourhood_id == neighbourhood_id)
        .group_by(Service.capacity_status)
    )
    found = {status: (services, places, stale) for status, services, places, stale in rows}
    return [
        Capacity(status, *found.get(status, (0, None, 0)))
        for status in CapacityStatus  # in order: open, limited, waitlist, full, closed
    ]


def all_neighbourhoods() -> list[Neighbourhood]:
    return list(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))


def comparison_headlines(period: Period, ids: list[int], on: date, own: int) -> dict[int, Headline]:
    """Every neighbourhood's headline figures for the comparison table, the others' kept in
    the shared cache (partnership/cache.py) until a change to what they count.

    Over a million referrals the all-neighbourhood counts are most of a dashboard's time
    (about 220 ms for 12 weeks, 1.1 s for 52 on PostgreSQL), and every lead's dashboard
    asks the same question. The page's own neighbourhood is always counted afresh.
    """
    counted_now = False

    def count() -> dict[int, Headline]:
        nonlocal counted_now
        counted_now = True
        return headlines(period, ids, on)

    figures = cache.kept_figures("comparison", (period.start, period.end, on, tuple(ids)), count)
    if not counted_now:
        figures.update(headlines(period, [own], on))
    return figures


def dashboard_figures(neighbourhood: Neighbourhood, period: Period) -> Figures:
    """Everything one dashboard shows, in eight queries on PostgreSQL (nine on SQLite): the
    neighbourhoods, their headline figures, the weeks, the flows and the capacity."""
    now = clock.now()
    neighbourhoods = all_neighbourhoods()
    ids = [n.id for n in neighbourhoods]
    on = clock.today()
    figures_by_id = comparison_headlines(period, ids, on, neighbourhood.id)
    return Figures(
        neighbourhood=neighbourhood,
        period=period,
        neighbourhoods=neighbourhoods,
        headlines=figures_by_id,
        weeks=weeks(period, neighbourhood.id),
        flows=flows(period, neighbourhood.id),
        capacity=capacity(neighbourhood.id, now),
    )


def headline_figures(neighbourhood: Neighbourhood, period: Period) -> Headline:
    """The headline figures alone, for the live counters."""
    return headlines(period, [neighbourhood.id], clock.today())[neighbourhood.id]
