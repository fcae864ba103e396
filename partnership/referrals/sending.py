"""Making and forwarding referrals: one per submission, one open per resident and service."""

from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partnership import clock
from partnership.access import log_access
from partnership.extensions import db
from partnership.models import (
    OPEN_STATUSES,
    AccessAction,
    CapacityStatus,
    Consent,
    ConsentGiver,
    NeedCategory,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    Urgency,
    User,
)
from partnership.referrals import daily_summary as daily
from partnership.referrals.lifecycle import Refused, Side, event_for, sides


class AlreadyOpen(Refused):
    """The resident already has an open referral to this service; `existing` is it."""

    def __init__(self, existing: Referral):
        super().__init__(
            f"{existing.reference} already refers this resident to this service and is still open"
        )
        self.existing = existing


@dataclass
class ConsentGiven:
    given_by: ConsentGiver
    covers: str
    representative_name: str | None = None


def open_referral_for(resident_id: int, service_id: int) -> Referral | None:
    return db.session.scalar(
        select(Referral).where(
            Referral.resident_id == resident_id,
            Referral.to_service_id == service_id,
            Referral.status.in_(OPEN_STATUSES),
        )
    )


def _replayed(user: User, idempotency_key: str | None) -> Referral | None:
    if not idempotency_key:
        return None
    return db.session.scalar(
        select(Referral).where(
            Referral.from_user_id == user.id, Referral.idempotency_key == idempotency_key
        )
    )


def send_referral(
    user: User,
    *,
    resident: Resident,
    need: NeedCategory,
    service: Service,
    urgency: Urgency,
    summary: str,
    consent: ConsentGiven,
    idempotency_key: str | None = None,
    forwarded_from: Referral | None = None,
) -> tuple[Referral, bool]:
    """Send a referral; returns it and whether it is new.

    A repeated submission (same user, same idempotency key) returns the first referral
    instead of making a second. A second open referral of the resident to the same
    service is refused with `AlreadyOpen`. Commits.
    """
    if existing := _replayed(user, idempotency_key):
        return existing, False
    if service.capacity_status is CapacityStatus.CLOSED:
        raise Refused(f"{service.name} is closed to referrals")
    if existing := open_referral_for(resident.id, service.id):
        raise AlreadyOpen(existing)
    now = clock.now()
    referral = Referral(
        # A unique stand-in until the id is known; the reference is made from the id.
        reference=f"NEW-{uuid4().hex[:16]}",
        resident=resident,
        need=need,
        from_organisation_id=user.organisation_id,
        from_user=user,
        to_service=service,
        to_organisation_id=service.organisation_id,
        neighbourhood_id=resident.neighbourhood_id,
        urgency=urgency,
        summary=summary.strip(),
        status=ReferralStatus.REQUESTED,
        idempotency_key=idempotency_key,
        forwarded_from=forwarded_from,
        created_at=now,
        sent_at=now,
    )
    db.session.add(referral)
    try:
        db.session.flush()
    except IntegrityError:
        # Lost a race with an identical submission or another open referral: report that one.
        db.session.rollback()
        if existing := _replayed(user, idempotency_key):
            return existing, False
        if existing := open_referral_for(resident.id, service.id):
            raise AlreadyOpen(existing) from None
        raise
    referral.reference = f"REF-{now.year}-{referral.id:06d}"
    db.session.add(
        Consent(
            referral=referral,
            given_by=consent.given_by,
            representative_name=consent.representative_name,
            covers=consent.covers.strip(),
            recorded_by_id=user.id,
            recorded_at=now,
        )
    )
    event_for(
        referral,
        "sent",
        user,
        from_status=ReferralStatus.DRAFT,
        to_status=ReferralStatus.REQUESTED,
        detail={"forwarded_from": forwarded_from.id} if forwarded_from else {},
    )
    log_access(user, resident.id, AccessAction.CHANGE, "sent a referral", referral_id=referral.id)
    daily.count_sent(referral)
    db.session.commit()
    return referral, True


def forward(
    referral: Referral,
    user: User,
    *,
    service: Service,
    summary: str,
    idempotency_key: str | None = None,
) -> tuple[Referral, bool]:
    """Send a declined referral's resident to another service, linked to the first."""
    from partnership.referrals.lifecycle import NotAllowed, may_forward

    if not may_forward(user, referral):
        if Side.REFERRER not in sides(user, referral):
            raise NotAllowed("Only the referring organisation can forward this referral")
        raise NotAllowed("Only a declined referral can be forwarded")
    if service.id == referral.to_service_id:
        raise Refused("Choose a different service from the one that declined")
    consent = referral.consent
    return send_referral(
        user,
        resident=referral.resident,
        need=referral.need,
        service=service,
        urgency=referral.urgency,
        summary=summary or referral.summary,
        consent=ConsentGiven(consent.given_by, consent.covers, consent.representative_name),
        idempotency_key=idempotency_key,
        forwarded_from=referral,
    )
