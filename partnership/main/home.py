"""What each role sees first when they sign in."""

from collections.abc import Hashable, Mapping
from typing import cast

from sqlalchemy import func, or_, select

from partnership.dashboards.suppression import count, withhold
from partnership.extensions import db
from partnership.models import (
    ACTIVE_STATUSES,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Referral,
    ReferralStatus,
    User,
)
from partnership.models.organisations import organisation_neighbourhoods
from partnership.models.services import service_neighbourhoods


def _status_counts(*conditions) -> dict[ReferralStatus, int]:
    rows = db.session.execute(
        select(Referral.status, func.count()).where(*conditions).group_by(Referral.status)
    )
    counts = dict.fromkeys(ReferralStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def referral_summary(organisation_id: int) -> dict:
    """Counts of the organisation's referrals, received and sent, by status."""
    return {
        "received": _status_counts(Referral.to_organisation_id == organisation_id),
        "sent": _status_counts(Referral.from_organisation_id == organisation_id),
    }


def neighbourhood_overview(neighbourhoods: list[Neighbourhood]) -> list[dict]:
    """For a lead: each neighbourhood's partners and open referrals, as suppressed aggregates."""
    overview = []
    for neighbourhood in neighbourhoods:
        organisations = db.session.scalar(
            select(func.count())
            .select_from(organisation_neighbourhoods)
            .where(organisation_neighbourhoods.c.neighbourhood_id == neighbourhood.id)
        )
        services = db.session.scalar(
            select(func.count())
            .select_from(service_neighbourhoods)
            .where(service_neighbourhoods.c.neighbourhood_id == neighbourhood.id)
        )
        counts = _status_counts(Referral.neighbourhood_id == neighbourhood.id)
        overview.append(
            {
                "neighbourhood": neighbourhood,
                "organisations": organisations,
                "services": services,
                **_published_referrals(counts),
            }
        )
    return overview


def _published_referrals(counts: dict[ReferralStatus, int]) -> dict[str, int | str]:
    """The neighbourhood's referrals waiting, active and completed, through the dashboard's
    suppression rules (partnership.dashboards.suppression), so a lead reads "<5" here for
    exactly what the dashboard withholds. The three are shown side by side with no total,
    so, like the dashboard's headline counts, only the primary rule can apply."""
    cells = {
        "waiting": counts[ReferralStatus.REQUESTED],
        "active": sum(counts[s] for s in ACTIVE_STATUSES),
        "completed": counts[ReferralStatus.COMPLETED],
    }
    # withhold only reads the keys; Mapping's key type is invariant, so name it as it takes them.
    hidden = withhold(cast(Mapping[Hashable, int], cells))
    return {name: count(value, withheld=name in hidden) for name, value in cells.items()}


def partnership_summary() -> dict[str, int]:
    """For an admin: the size of the partnership's structure."""

    def count(model, *conditions):
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))

    return {
        "neighbourhoods": count(Neighbourhood),
        "organisations": count(Organisation),
        "active_users": count(User, User.active.is_(True)),
        "deactivated_users": count(User, or_(User.active.is_(False))),
        "needs": count(NeedCategory),
    }
