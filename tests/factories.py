"""Building blocks for tests: services, residents and referrals made straight in the database."""

from datetime import date, timedelta
from itertools import count, product

from sqlalchemy import select

from partnership import clock, words
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    Event,
    NeedCategory,
    Referral,
    ReferralStatus,
    Resident,
    Role,
    Service,
    Urgency,
)
from partnership.referrals import daily_summary

_numbers = count(1)


def need(slug: str = "food", name: str | None = None) -> NeedCategory:
    found = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == slug))
    if found is None:
        found = NeedCategory(slug=slug, name=name or slug.replace("-", " ").capitalize())
        db.session.add(found)
        db.session.flush()
    return found


def service(organisation, *, name=None, places=None, status=CapacityStatus.OPEN, **fields):
    made = Service(
        name=name or f"Service {next(_numbers)}",
        organisation=organisation,
        capacity_status=status,
        places_available=places,
        **fields,
    )
    db.session.add(made)
    db.session.flush()
    return made


def resident(neighbourhood, organisation, **fields) -> Resident:
    values = {
        "given_name": "Ann",
        "family_name": f"Example{next(_numbers)}",
        "date_of_birth": date(1950, 1, 2),
        "neighbourhood": neighbourhood,
        "created_by_organisation": organisation,
    }
    values.update(fields)
    made = Resident(**values)
    db.session.add(made)
    db.session.flush()
    return made


def referral(
    partnership,
    *,
    to_service=None,
    status=ReferralStatus.REQUESTED,
    urgency=Urgency.ROUTINE,
    sent_days_ago: float = 0,
    **fields,
) -> Referral:
    """A referral from the partnership's surgery (its caseworker) to a pantry service."""
    to_service = to_service or service(partnership.pantry, places=5)
    sent = clock.now() - timedelta(days=sent_days_ago)
    number = next(_numbers)
    values = {
        "reference": f"REF-TEST-{number:06d}",
        "resident": fields.pop("resident", None)
        or resident(partnership.north, partnership.surgery),
        "need": need(),
        "from_organisation": partnership.surgery,
        "from_user": partnership.users[Role.CASEWORKER],
        "to_service": to_service,
        "to_organisation": to_service.organisation,
        "neighbourhood": partnership.north,
        "urgency": urgency,
        "summary": "Needs help with food this month",
        "status": status,
        "created_at": sent,
        "sent_at": None if status is ReferralStatus.DRAFT else sent,
    }
    values.update(fields)
    made = Referral(**values)
    db.session.add(made)
    db.session.flush()
    # As sending does: the dashboards' daily summary counts it in the same transaction.
    daily_summary.count_sent(made)
    return made


def events_of_every_kind(partnership) -> list[Event]:
    """An event of every kind for every pair of organisations (or none) and every
    neighbourhood (or none) of the partnership: every fact the visibility rules look at.

    Referral events point at one referral whatever ids they carry: the rules read the
    event's own copies of them, as a stream does.
    """
    referral_ = referral(partnership)
    organisations = [partnership.surgery.id, partnership.pantry.id, partnership.council.id, None]
    neighbourhoods = [partnership.north.id, partnership.south.id, None]
    made = []
    for kind, sender, recipient, neighbourhood in product(
        [*words.EVENT, "capacity"], organisations, organisations, neighbourhoods
    ):
        made.append(
            Event(
                kind=kind,
                referral_id=None if kind == "capacity" else referral_.id,
                service_id=referral_.to_service_id,
                from_organisation_id=sender,
                to_organisation_id=recipient,
                neighbourhood_id=neighbourhood,
                detail={},
            )
        )
    db.session.add_all(made)
    db.session.flush()
    return made
