"""Finding services: the directory's filters as conditions, and its pages of results.

The conditions are plain SQLAlchemy expressions on Service so that the API and the
suggestions filter exactly as the directory page does.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from partnership.directory.record import DirectoryEntry, entries_for
from partnership.extensions import db
from partnership.inputs import containing
from partnership.models import CapacityStatus, Organisation, Service
from partnership.models.services import service_needs, service_neighbourhoods

PER_PAGE = 20
# More words than this add nothing but a slower query.
MAX_WORDS = 8


@dataclass(frozen=True)
class Filters:
    """What a caseworker is looking for. None or empty means "any"."""

    words: str = ""
    need_id: int | None = None
    neighbourhood_id: int | None = None
    age: int | None = None
    has_places: bool = False


def has_places_now():
    """Taking referrals now: open or limited, and not out of places."""
    return and_(
        Service.capacity_status.in_([CapacityStatus.OPEN, CapacityStatus.LIMITED]),
        or_(Service.places_available.is_(None), Service.places_available > 0),
    )


def meets_need(need_id: int):
    return exists().where(
        service_needs.c.service_id == Service.id, service_needs.c.need_id == need_id
    )


def covers(neighbourhood_id: int):
    return exists().where(
        service_neighbourhoods.c.service_id == Service.id,
        service_neighbourhoods.c.neighbourhood_id == neighbourhood_id,
    )


def admits_age(age: int):
    """An open end of the age range (null) admits everyone on that side."""
    return and_(
        or_(Service.min_age.is_(None), Service.min_age <= age),
        or_(Service.max_age.is_(None), Service.max_age >= age),
    )


def matches_words(words: str):
    """Every word appears in the service's name or description or its organisation's name."""
    conditions = [
        or_(
            containing(Service.name, word),
            containing(Service.description, word),
            Service.organisation.has(containing(Organisation.name, word)),
        )
        for word in words.split()[:MAX_WORDS]
    ]
    return and_(*conditions)


def conditions(filters: Filters) -> list:
    """The WHERE clauses for `filters`, for any select() of Service."""
    where = []
    if filters.words.strip():
        where.append(matches_words(filters.words))
    if filters.need_id is not None:
        where.append(meets_need(filters.need_id))
    if filters.neighbourhood_id is not None:
        where.append(covers(filters.neighbourhood_id))
    if filters.age is not None:
        where.append(admits_age(filters.age))
    if filters.has_places:
        where.append(has_places_now())
    return where


@dataclass(frozen=True)
class ResultsPage:
    entries: list[DirectoryEntry]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def find_services(
    filters: Filters, page: int = 1, *, per_page: int = PER_PAGE, now: datetime | None = None
) -> ResultsPage:
    """One page of services matching `filters`, by name, each with its record.

    A page past the end shows the last page, so a link kept from a longer list still works.
    """
    where = conditions(filters)
    total = db.session.execute(select(func.count()).select_from(Service).where(*where)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    number = min(max(page, 1), pages)
    services = db.session.scalars(
        select(Service)
        .where(*where)
        .options(joinedload(Service.organisation))
        .order_by(Service.name, Service.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return ResultsPage(
        entries=entries_for(list(services), now=now),
        total=total,
        number=number,
        per_page=per_page,
    )
