"""Suggesting services for a resident's need, and recording the need when none can help.

The referral flow calls `suggest` to offer the best services first, and
`record_unmet_need` when no eligible service exists: that gap is what neighbourhood
dashboards count as unmet need (DESIGN section 3).
"""

import math
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from partnership import access, clock, words
from partnership.directory.record import ResponseRecord, capacity_words, kept_response_records
from partnership.directory.search import admits_age, covers, has_places_now, meets_need
from partnership.extensions import db
from partnership.models import CapacityStatus, Neighbourhood, Service, UnmetNeed
from partnership.services.capacity import freshness_words, is_posted, is_stale, unconfirmed


@dataclass(frozen=True)
class Suggestion:
    service: Service
    covers_neighbourhood: bool
    record: ResponseRecord
    reason: str
    takes_referrals: bool = True


def _reason(
    service: Service,
    neighbourhood: Neighbourhood,
    covered: bool,
    record: ResponseRecord,
    receives: bool,
    now,
) -> str:
    """Why the service is where it is in the list: "covers Harpurhey · 4 places · …"."""
    if not receives:
        why = words.no_referrals_taken(
            service.organisation.name, current_app.config["PARTNERSHIP_NAME"]
        )
        return why[0].upper() + why[1:]
    parts = [
        f"covers {neighbourhood.name}" if covered else f"does not cover {neighbourhood.name}",
        capacity_words(service),
    ]
    if not is_posted(service):
        parts.append(f"capacity {freshness_words(service, now)}")
    elif is_stale(service, now):
        parts.append(freshness_words(service, now))
    parts.append(record.replies or "no reply record yet")
    return " · ".join(parts)


def _record_rank(record: ResponseRecord) -> tuple:
    """Enough data first, then quicker median reply to the hour (halves round up), then a
    higher share accepted."""
    share, median = record.accepted_share, record.median_seconds
    if share is None or median is None:  # not enough data
        return (1, 0, 0.0)
    return (0, math.floor(median / 3600 + 0.5), -share)


def suggest(
    need_id: int,
    neighbourhood_id: int,
    age: int | None,
    *,
    limit: int = 10,
    now: datetime | None = None,
) -> list[Suggestion]:
    """Eligible services for the need and age, best first, each with its reason in words.

    Ranked by: takes referrals (its organisation has someone to receive them); covers the
    resident's neighbourhood; capacity (places now, then a waiting list, then full or
    closed); capacity posted within the last week; then the
    response record (enough data first, quicker median reply, higher share accepted).
    Freshness counts as fresh or stale, and reply time to the hour, so that what follows
    can still decide between two services that differ only by chance. An empty list
    means no eligible service: record it with `record_unmet_need`.
    """
    given_now, now = now, now or clock.now()
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        raise ValueError(f"there is no neighbourhood {neighbourhood_id}")
    eligible = [meets_need(need_id)] + ([admits_age(age)] if age is not None else [])
    # Each eligible service's standing before its record, in name order: the sort below is
    # stable, so name (then id) settles what nothing else does.
    standings = db.session.execute(
        select(
            Service.id,
            case((access.receiving_clause(Service.organisation_id), 0), else_=1),
            case((covers(neighbourhood_id), 0), else_=1),
            case(
                (has_places_now(), 0),
                (Service.capacity_status == CapacityStatus.WAITLIST, 1),
                else_=2,
            ),
            case((unconfirmed(now), 1), else_=0),
        )
        .where(*eligible)
        .order_by(Service.name, Service.id)
    ).all()
    records = kept_response_records((row[0] for row in standings), given_now)
    best = sorted(standings, key=lambda row: (*row[1:], *_record_rank(records[row[0]])))[:limit]
    services = {
        service.id: service
        for service in db.session.scalars(
            select(Service)
            .options(joinedload(Service.organisation))
            .where(Service.id.in_([row[0] for row in best]))
        )
    }
    suggestions = []
    for service_id, not_receiving, uncovered, *_ in best:
        service, covered = services[service_id], not uncovered
        record = records[service_id]
        suggestions.append(
            Suggestion(
                service=service,
                covers_neighbourhood=covered,
                record=record,
                reason=_reason(service, neighbourhood, covered, record, not not_receiving, now),
                takes_referrals=not not_receiving,
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
