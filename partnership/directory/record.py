"""What the directory tells a caseworker about a service beyond its own description.

How fresh its capacity is, and its real record over the last 90 days: how fast it
usually replies to a referral and what share it accepts. Both are in words, as people
say them, and the record for a whole page comes from one grouped query.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from partnership import access, cache, clock, words
from partnership.extensions import db
from partnership.models import CapacityStatus, Referral, Service
from partnership.services.capacity import freshness_words, is_posted, is_stale, places_words
from partnership.words import plural

RECORD_PERIOD = timedelta(days=90)
# Fewer answered referrals than this say more about chance than about the service.
ENOUGH_REFERRALS = 5


# Capacity


def capacity_words(service: Service) -> str:
    """The capacity as a short phrase for a suggestion's reason: "4 places", "full"."""
    status = service.capacity_status
    if status in (CapacityStatus.OPEN, CapacityStatus.LIMITED):
        if service.places_available is None:
            return "open" if status is CapacityStatus.OPEN else "limited capacity"
        if service.places_available == 0:
            return "no places left"
        return places_words(service.places_available)
    if status is CapacityStatus.WAITLIST:
        if service.wait_band is None:
            return "waiting list"
        return f"waiting list of {words.WAIT_BAND[service.wait_band]}"
    return status.value


# The response record


class _seconds_between(FunctionElement):
    """Seconds from one timestamp to a later one, on PostgreSQL and SQLite alike."""

    type = Float()
    inherit_cache = True


@compiles(_seconds_between)
def _seconds_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(_seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def reply_time_words(seconds: float) -> str:
    """A reply time as people say it: "in under an hour", "in 5 hours", "in 1 day"."""
    if seconds < 3600:
        return "in under an hour"
    hours = round(seconds / 3600)
    if hours < 24:
        return f"in {plural(hours, 'hour')}"
    return f"in {plural(max(1, round(seconds / 86400)), 'day')}"


@dataclass(frozen=True)
class ResponseRecord:
    """A service's replies to referrals sent to it in the last 90 days."""

    answered: int = 0
    accepted: int = 0
    median_seconds: float | None = None

    @property
    def enough_data(self) -> bool:
        return self.answered >= ENOUGH_REFERRALS

    @property
    def accepted_share(self) -> float | None:
        return self.accepted / self.answered if self.enough_data else None

    @property
    def replies(self) -> str:
        """For example "usually replies in 1 day"; empty without enough data."""
        if not self.enough_data or self.median_seconds is None:
            return ""
        return f"usually replies {reply_time_words(self.median_seconds)}"

    @property
    def accepts(self) -> str:
        """For example "accepts 80% of referrals"; empty without enough data."""
        share = self.accepted_share
        if share is None:
            return ""
        return f"accepts {round(share * 100)}% of referrals"

    @property
    def summary(self) -> str:
        if not self.enough_data:
            return "not enough data yet"
        return f"{self.replies} · {self.accepts}"


def record_query(service_ids: Iterable[int] | Select, now: datetime) -> Select:
    """One row per service with answered referrals: answered, accepted, median_seconds.

    Referrals count when sent in the last 90 days and accepted or declined since. The
    median is the middle answered referral, or the mean of the middle two, found with
    window functions because SQLite has no percentile aggregate.
    """
    responded_at = func.coalesce(Referral.accepted_at, Referral.declined_at)
    seconds = _seconds_between(Referral.sent_at, responded_at)
    per_service = Referral.to_service_id
    answered = (
        select(
            Referral.to_service_id.label("service_id"),
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds, partition_by=per_service).label("position"),
            func.count().over(partition_by=per_service).label("answered"),
            func.sum(case((Referral.accepted_at.is_not(None), 1), else_=0))
            .over(partition_by=per_service)
            .label("accepted"),
        )
        .where(
            Referral.to_service_id.in_(service_ids),
            # Referrals are created as they are sent: the created_at bound lets the
            # (to_service_id, created_at) index read only the last 90 days.
            Referral.created_at >= now - RECORD_PERIOD,
            Referral.sent_at >= now - RECORD_PERIOD,
            responded_at.is_not(None),
        )
        .subquery()
    )
    middle = answered.c.position.between(
        (answered.c.answered + 1) // 2, (answered.c.answered + 2) // 2
    )
    return (
        select(
            answered.c.service_id,
            func.max(answered.c.answered).label("answered"),
            func.max(answered.c.accepted).label("accepted"),
            func.avg(answered.c.seconds).label("median_seconds"),
        )
        .where(middle)
        .group_by(answered.c.service_id)
    )


def record_from_row(answered, accepted, median_seconds) -> ResponseRecord:
    """A record from record_query's columns; a service with none has an empty record."""
    if not answered:
        return ResponseRecord()
    return ResponseRecord(int(answered), int(accepted), float(median_seconds))


def response_records(
    service_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, ResponseRecord]:
    """Each service's record, in one query however many services there are."""
    service_ids = list(service_ids)
    records = dict.fromkeys(service_ids, ResponseRecord())
    if service_ids:
        rows = db.session.execute(record_query(service_ids, now or clock.now()))
        for service_id, answered, accepted, median_seconds in rows:
            records[service_id] = record_from_row(answered, accepted, median_seconds)
    return records


def kept_response_records(
    service_ids: Iterable[int], now: datetime | None = None
) -> dict[int, ResponseRecord]:
    """Each service's record as of `now` if given (worked out afresh), else as kept in the
    shared cache (partnership/cache.py) since the last change to referrals.

    Suggestions rank every eligible service by its record: at a million referrals that was
    1,200 services and 38,000 answered referrals sorted on every search (100 ms). A record
    covers 90 days, so one kept for CACHE_SECONDS says the same; the services not kept are
    worked out together in one query.
    """
    if now:
        return response_records(service_ids, now=now)
    # Kept as plain tuples: 1,200 of them unpickle in a third of the time records take.
    kept = cache.kept_each("response-record", service_ids, _record_tuples)
    return {service_id: ResponseRecord(*values) for service_id, values in kept.items()}


def _record_tuples(service_ids: list[int]) -> dict[int, tuple[int, int, float | None]]:
    return {
        service_id: (record.answered, record.accepted, record.median_seconds)
        for service_id, record in response_records(service_ids).items()
    }


@dataclass(frozen=True)
class DirectoryEntry:
    """A service as the directory lists it."""

    service: Service
    record: ResponseRecord
    updated: str
    posted: bool
    stale: bool
    takes_referrals: bool

    @property
    def places(self) -> str:
        """The number of places, or "Not limited" for a service that does not count them."""
        places = self.service.places_available
        return "Not limited" if places is None else str(places)


def entries_for(services: list[Service], *, now: datetime | None = None) -> list[DirectoryEntry]:
    """The services as the directory lists them: with records as of `now` if given, else
    the kept ones (`kept_response_records`)."""
    ids = [service.id for service in services]
    records = kept_response_records(ids, now)
    receiving = access.receiving_organisation_ids(service.organisation_id for service in services)
    now = now or clock.now()
    return [
        DirectoryEntry(
            service=service,
            record=records[service.id],
            updated=freshness_words(service, now),
            posted=is_posted(service),
            stale=is_stale(service, now),
            takes_referrals=service.organisation_id in receiving,
        )
        for service in services
    ]
