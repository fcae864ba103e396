"""Suggesting services for a resident's need, and recording the need when none can help.

The referral flow calls `suggest` to offer the best services first, and
`record_unmet_need` when no eligible service exists: that gap is what neighbourhood
dashboards count as unmet need (DESIGN section 3).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from partnership.columns import utcnow
from partnership.directory.record import (
    ENOUGH_REFERRALS,
    STALE_AFTER,
    ResponseRecord,
    capacity_words,
    freshness_words,
    is_stale,
    record_from_row,
    record_query,
)
from partnership.directory.search import admits_age, covers, has_places_now, meets_need
from partnership.extensions import db
from partnership.models import CapacityStatus, Neighbourhood, Service, UnmetNeed


@dataclass(frozen=True)
class Suggestion:
    service: Service
    covers_neighbourhood: bool
    record: ResponseRecord
    reason: str


def _reason(
    service: Service, neighbourhood: Neighbourhood, covered: bool, record: ResponseRecord, now
) -> str:
    """Why the service is where it is in the list: "covers Harpurhey · 4 places · …"."""
    parts = [
        f"covers {neighbourhood.name}" if covered else f"does not cover {neighbourhood.name}",
        capacity_words(service),
    ]
    if is_stale(service.capacity_updated_at, now):
        parts.append(freshness_words(service.capacity_updated_at, now))
    parts.append(record.replies or "no reply record yet")
    return " · ".join(parts)


def suggest(
    need_id: int,
    neighbourhood_id: int,
    age: int | None,
    *,
    limit: int = 10,
    now: datetime | None = None,
) -> list[Suggestion]:
    """Eligible services for the need and age, best first, each with its reason in words.

    Ranked by: covers the resident's neighbourhood; capacity (places now, then a waiting
    list, then full or closed); capacity confirmed within the last week; then the
    response record (enough data first, quicker median reply, higher share accepted).
    Freshness counts as fresh or stale, and reply time to the hour, so that what follows
    can still decide between two services that differ only by chance. An empty list
    means no eligible service: record it with `record_unmet_need`.
    """
    now = now or utcnow()
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        raise ValueError(f"there is no neighbourhood {neighbourhood_id}")
    eligible = [meets_need(need_id)] + ([admits_age(age)] if age is not None else [])
    record = record_query(select(Service.id).where(*eligible), now).subquery()
    covered = case((covers(neighbourhood_id), 1), else_=0)
    enough = func.coalesce(record.c.answered, 0) >= ENOUGH_REFERRALS
    rows = db.session.execute(
        select(
            Service,
            covered.label("covered"),
            record.c.answered,
            record.c.accepted,
            record.c.median_seconds,
        )
        .outerjoin(record, record.c.service_id == Service.id)
        .where(*eligible)
        .options(joinedload(Service.organisation))
        .order_by(
            covered.desc(),
            case(
                (has_places_now(), 0),
                (Service.capacity_status == CapacityStatus.WAITLIST, 1),
                else_=2,
            ),
            case((Service.capacity_updated_at < now - STALE_AFTER, 1), else_=0),
            case((enough, 0), else_=1),
            case((enough, func.round(record.c.median_seconds / 3600)), else_=None),
            case((enough, record.c.accepted * 1.0 / record.c.answered), else_=None).desc(),
            Service.name,
            Service.id,
        )
        .limit(limit)
    )
    suggestions = []
    for service, is_covered, answered, accepted, median_seconds in rows:
        service_record = record_from_row(answered, accepted, median_seconds)
        suggestions.append(
            Suggestion(
                service=service,
                covers_neighbourhood=bool(is_covered),
                record=service_record,
                reason=_reason(service, neighbourhood, bool(is_covered), service_record, now),
            )
        )
    return suggestions


def record_unmet_need(
    need_id: int, neighbourhood_id: int, organisation_id: int, resident_id: int | None = None
) -> UnmetNeed:
    """Count a need no eligible service could meet. The caller commits with its own work."""
    unmet = UnmetNeed(
        need_id=need_id,
        neighbourhood_id=neighbourhood_id,
        recorded_by_organisation_id=organisation_id,
        resident_id=resident_id,
    )
    db.session.add(unmet)
    return unmet
