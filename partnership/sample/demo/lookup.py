"""The demo partnership as the database holds it, looked up once before the stories are
made up: its needs, neighbourhoods, organisations, open services and staff."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import (
    BankHoliday,
    CapacityStatus,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Role,
    Service,
    User,
)
from partnership.sample.demo.partners import name_key
from partnership.sample.demo.residents import NEIGHBOURHOOD_SHARE


@dataclass
class Partnership:
    """The demo partnership as it is in the database, looked up once."""

    now: datetime
    holidays: frozenset[date]
    needs: dict[str, NeedCategory]
    neighbourhoods: dict[str, Neighbourhood]
    organisations: dict[str, Organisation]
    services: list[Service]
    service_needs: dict[int, set[str]]
    service_areas: dict[int, set[str]]
    # Everyone who works on referrals, by organisation id, the first of them triaging.
    staff: dict[int, list[User]]
    served: dict[int, set[str]]


def look_up(now: datetime) -> Partnership | None:
    needs = {n.slug: n for n in db.session.scalars(select(NeedCategory))}
    neighbourhoods = {name_key(n.name): n for n in db.session.scalars(select(Neighbourhood))}
    organisations = {name_key(o.name): o for o in db.session.scalars(select(Organisation))}
    if not all(name_key(n) in neighbourhoods for n in NEIGHBOURHOOD_SHARE):
        return None
    services = list(
        db.session.scalars(
            select(Service)
            .where(Service.capacity_status != CapacityStatus.CLOSED)
            .order_by(Service.id)
        )
    )
    if not services:
        return None
    staff: dict[int, list[User]] = {}
    for user in db.session.scalars(
        select(User).where(User.active, User.role.in_([Role.CASEWORKER, Role.COORDINATOR]))
    ):
        staff.setdefault(user.organisation_id, []).append(user)
    for people in staff.values():
        # The coordinator triages; caseworkers are the colleagues work is assigned to.
        people.sort(key=lambda u: (u.role is not Role.COORDINATOR, u.id))
    return Partnership(
        now=now,
        holidays=frozenset(db.session.scalars(select(BankHoliday.day))),
        needs=needs,
        neighbourhoods=neighbourhoods,
        organisations=organisations,
        services=services,
        service_needs={s.id: {n.slug for n in s.needs} for s in services},
        service_areas={s.id: {name_key(n.name) for n in s.neighbourhoods} for s in services},
        staff=staff,
        served={o.id: {name_key(n.name) for n in o.neighbourhoods} for o in organisations.values()},
    )
