"""Our directory as Open Referral UK (v3 UK profile) documents: services, pages, the API root.

What is published is directory data only: services, their organisation, needs, areas,
eligibility, contact details and capacity. Never referrals, residents, users or the free
text a coordinator types beside a capacity post.

Fields the UK profile has no place for travel as additional properties. HSDS conformance
lets a publication use properties of its own where none of the standard's fits, and its
schemas (the UK profile's compiled ones too) never set `additionalProperties: false`, so
such a document still validates:

- `phones`, `eligibility_description` and `application_process` are HSDS 3.0 service
  fields that the UK profile leaves out; we publish them in their HSDS shape rather than
  invent names for the same thing.
- `partnership_capacity` carries live capacity, which neither HSDS 3.0 nor the UK profile
  describes. It is named for us so that it can never collide with a field a later version
  of the standard adds.

List items carry the needs, areas and phones too (HSDS lists "need not" include child
arrays, and may), so that walking the pages gives a complete feed that
`flask directory import` takes back.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from partnership.extensions import db
from partnership.inputs import containing
from partnership.models import CapacityStatus, NeedCategory, Organisation, Service
from partnership.openreferral.taxonomy import (
    derived_id,
    need_term,
    need_term_id,
    sector_term,
)
from partnership.services.capacity import is_posted

HSDS_VERSION = "3.0"
PROFILE = "https://github.com/OpenReferralUK/uk-profile"
DEFAULT_PER_PAGE = 50
MOST_PER_PAGE = 100
LONGEST_SEARCH = 200
ONS_GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"


class BadQuery(ValueError):
    """A query parameter we cannot use; the message says which and why, in words."""


@dataclass(frozen=True)
class ServiceQuery:
    """The filters and page of `GET /services`, read and checked."""

    words: tuple[str, ...] = ()
    need_term: UUID | None = None
    organisation: UUID | None = None
    modified_after: datetime | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def api_info() -> dict:
    """The `/` endpoint: which standard and profile this API speaks."""
    return {"version": HSDS_VERSION, "profile": PROFILE}


def read_service_query(args) -> ServiceQuery:
    """Check the query string of `GET /services`; raises BadQuery for values we cannot use."""
    search = args.get("search", "").strip()
    if len(search) > LONGEST_SEARCH:
        raise BadQuery(f"search must be {LONGEST_SEARCH} characters or fewer")
    per_page = _whole_number(args, "per_page", DEFAULT_PER_PAGE)
    return ServiceQuery(
        words=tuple(search.split()),
        need_term=_uuid(args, "taxonomy_term_id"),
        organisation=_uuid(args, "organization_id"),
        modified_after=_datetime(args, "modified_after"),
        page=_whole_number(args, "page", 1),
        per_page=min(per_page, MOST_PER_PAGE),
    )


def _whole_number(args, name: str, default: int) -> int:
    value = args.get(name, "").strip()
    if not value:
        return default
    if not value.isdecimal() or int(value) < 1:
        raise BadQuery(f"{name} must be a whole number from 1, not {value!r}")
    return int(value)


def _uuid(args, name: str) -> UUID | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise BadQuery(f"{name} must be a UUID, not {value!r}") from None


def _datetime(args, name: str) -> datetime | None:
    # An unescaped "+01:00" in a query string arrives as " 01:00".
    value = args.get(name, "").strip().replace(" ", "+")
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadQuery(
            f"{name} must be an ISO 8601 date or date and time, like 2026-03-01T09:00:00Z, "
            f"not {value!r}"
        ) from None


def services_page(query: ServiceQuery) -> dict:
    """One page of services matching the query, with the paging fields the standard asks for."""
    matching = _filtered(select(Service.id), query)
    total = db.session.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
    offset = (query.page - 1) * query.per_page
    services: Sequence[Service] = []
    if offset < total:  # past the end there is nothing to fetch, however far past
        services = db.session.scalars(
            _with_children(_filtered(select(Service), query))
            .order_by(Service.name, Service.id)
            .limit(query.per_page)
            .offset(offset)
        ).all()
    total_pages = math.ceil(total / query.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": query.page,
        "size": len(services),
        "first_page": query.page == 1,
        "last_page": query.page >= total_pages,
        "empty": not services,
        "contents": [service_document(service) for service in services],
    }


def _filtered(statement: Select, query: ServiceQuery) -> Select:
    for word in query.words:
        statement = statement.where(
            or_(
                containing(Service.name, word),
                containing(Service.description, word),
            )
        )
    if query.need_term is not None:
        statement = statement.where(Service.needs.any(NeedCategory.slug.in_(_slugs(query))))
    if query.organisation is not None:
        statement = statement.where(
            Service.organisation.has(Organisation.uuid == query.organisation)
        )
    if query.modified_after is not None:
        statement = statement.where(Service.updated_at >= query.modified_after)
    return statement


def _slugs(query: ServiceQuery) -> list[str]:
    """The need slugs whose published term id is the one asked for (none if unknown)."""
    slugs = db.session.scalars(select(NeedCategory.slug))
    return [slug for slug in slugs if need_term_id(slug) == query.need_term]


def _with_children(statement: Select) -> Select:
    return statement.options(
        joinedload(Service.organisation),
        selectinload(Service.needs),
        selectinload(Service.neighbourhoods),
    )


def find_service(service_id: str) -> Service | None:
    """The service with this public id, or None for an unknown or malformed one."""
    try:
        uuid = UUID(service_id)
    except ValueError:
        return None
    return db.session.scalar(_with_children(select(Service).where(Service.uuid == uuid)))


def service_document(service: Service) -> dict:
    """One service in the UK profile's shape (validates against its service.json)."""
    service_id = str(service.uuid)
    document: dict[str, object] = {
        "id": service_id,
        "organization_id": str(service.organisation.uuid),
        "name": service.name,
        "description": service.description,
        "status": _status(service.capacity_status),
        "last_modified": _timestamp(service.updated_at),
        "organization": organisation_document(service.organisation),
        "attributes": [
            {
                "id": str(derived_id("attribute", service_id, need.slug)),
                "link_id": service_id,
                "taxonomy_term_id": str(need_term_id(need.slug)),
                "taxonomy_term": need_term(need),
            }
            for need in service.needs
        ],
        "service_areas": [
            _service_area(service_id, neighbourhood) for neighbourhood in service.neighbourhoods
        ],
        "partnership_capacity": capacity_document(service),
    }
    optional = {
        "url": service.website,
        "email": service.contact_email,
        "minimum_age": service.min_age,
        "maximum_age": service.max_age,
        "eligibility_description": service.eligibility_notes,
        "application_process": service.referral_instructions,
    }
    document.update({key: value for key, value in optional.items() if value not in (None, "")})
    if service.contact_phone:
        document["phones"] = [
            {
                "id": str(derived_id("phone", service_id)),
                "service_id": service_id,
                "number": service.contact_phone,
            }
        ]
    return document


def _status(capacity: CapacityStatus) -> str:
    """A closed service may reopen: "temporarily closed" rather than "defunct"."""
    return "temporarily closed" if capacity is CapacityStatus.CLOSED else "active"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _service_area(service_id: str, neighbourhood) -> dict:
    area = {
        "id": str(derived_id("service-area", service_id, neighbourhood.name.lower())),
        "service_id": service_id,
        "name": neighbourhood.name,
    }
    if neighbourhood.ons_code:
        area["uri"] = ONS_GEOGRAPHY + neighbourhood.ons_code
    return area


def organisation_document(organisation: Organisation) -> dict:
    """The organisation, with its ODS code or charity number and its sector as a term."""
    organisation_id = str(organisation.uuid)
    identifiers: list[tuple[str, str | None, str]] = []
    if organisation.ods_code:
        identifiers.append(("ODS code", None, organisation.ods_code))
    if organisation.charity_number:
        number = organisation.charity_number
        identifiers.append(("Charity number", _charity_scheme(number), number))
    term = sector_term(organisation.sector)
    document = {
        "id": organisation_id,
        "name": organisation.name,
        "description": "",
        "attributes": [
            {
                "id": str(derived_id("attribute", organisation_id, "sector")),
                "link_id": organisation_id,
                "taxonomy_term_id": term["id"],
                "taxonomy_term": term,
            }
        ],
    }
    if identifiers:
        document["organization_identifiers"] = [
            {
                "id": str(derived_id("identifier", organisation_id, kind)),
                "organization_id": organisation_id,
                "identifier_type": kind,
                "identifier": value,
            }
            | ({"identifier_scheme": scheme} if scheme else {})
            for kind, scheme, value in identifiers
        ]
    return document


def _charity_scheme(number: str) -> str:
    """org-id.guide's register codes: England and Wales, Scotland, Northern Ireland."""
    if number.startswith("SC"):
        return "GB-SC"
    if number.startswith("NIC"):
        return "GB-NIC"
    return "GB-CHC"


def capacity_document(service: Service) -> dict:
    """Live capacity: the status, places (null when not place-limited) and wait band."""
    return {
        "status": service.capacity_status.value,
        "places_available": service.places_available,
        "wait_band": service.wait_band.value if service.wait_band else None,
        # Null until someone in the partnership posts it (an import's is not a post).
        "updated": _timestamp(service.capacity_updated_at) if is_posted(service) else None,
    }
