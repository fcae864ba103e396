"""The directory over the API: search services, read one, post its capacity."""

from flask import jsonify
from sqlalchemy import select

from partnership import clock
from partnership.access import may_manage_service
from partnership.api import api
from partnership.api.auth import api_user
from partnership.api.openapi import ProblemDocument, documented
from partnership.api.schemas import (
    Capacity,
    CapacityPost,
    NeighbourhoodRef,
    OrganisationRef,
    ResponseRecord,
    ServiceDocument,
    ServicePage,
    ServiceQuery,
)
from partnership.api.validation import json_body, query_args
from partnership.directory.record import DirectoryEntry, entries_for
from partnership.directory.search import Filters, find_services
from partnership.extensions import db
from partnership.models import NeedCategory, Neighbourhood, Service
from partnership.problems import Problem
from partnership.services.capacity import CapacityError, post_capacity

# The capacity rules name their fields as the web form does.
API_FIELDS = {"places": "places_available"}


def service_document(entry: DirectoryEntry) -> dict:
    service, record = entry.service, entry.record
    organisation = service.organisation
    median = record.median_seconds
    return ServiceDocument(
        id=service.id,
        uuid=service.uuid,
        name=service.name,
        description=service.description,
        # The codes are checked against their Literal types as the documents are validated.
        organisation=OrganisationRef.model_validate(
            {
                "id": organisation.id,
                "uuid": organisation.uuid,
                "name": organisation.name,
                "sector": organisation.sector.value,
            }
        ),
        needs=[need.slug for need in service.needs],
        neighbourhoods=[NeighbourhoodRef(id=n.id, name=n.name) for n in service.neighbourhoods],
        min_age=service.min_age,
        max_age=service.max_age,
        eligibility_notes=service.eligibility_notes,
        contact_email=service.contact_email,
        contact_phone=service.contact_phone,
        website=service.website,
        referral_instructions=service.referral_instructions,
        takes_referrals=entry.takes_referrals,
        capacity=Capacity.model_validate(
            {
                "status": service.capacity_status.value,
                "wait_band": service.wait_band.value if service.wait_band else None,
                "places_available": service.places_available,
                "note": service.capacity_note,
                "updated_at": service.capacity_updated_at if entry.posted else None,
                "stale": entry.stale,
            }
        ),
        record=ResponseRecord(
            answered=record.answered,
            enough_data=record.enough_data,
            accepted_share=record.accepted_share,
            median_hours_to_reply=round(median / 3600, 1)
            if record.enough_data and median is not None
            else None,
        ),
    ).model_dump(mode="json")


def _filters(query: ServiceQuery) -> Filters:
    need_id = None
    if query.need:
        need_id = db.session.scalar(select(NeedCategory.id).where(NeedCategory.slug == query.need))
        if need_id is None:
            raise Problem(
                422,
                "Invalid values",
                f"There is no need called {query.need!r}",
                errors=[{"field": "need", "message": "Unknown need category"}],
            )
    if (
        query.neighbourhood is not None
        and db.session.get(Neighbourhood, query.neighbourhood) is None
    ):
        raise Problem(
            422,
            "Invalid values",
            "There is no such neighbourhood",
            errors=[{"field": "neighbourhood", "message": "Unknown neighbourhood"}],
        )
    return Filters(
        words=query.q,
        need_id=need_id,
        neighbourhood_id=query.neighbourhood,
        age=query.age,
        has_places=query.has_places,
    )


@api.get("/services")
@documented(
    "get",
    "/services",
    summary="Search the directory",
    tag="Directory",
    query=ServiceQuery,
    responses={200: ("A page of services", ServicePage), 422: ("Bad filter", ProblemDocument)},
)
def list_services():
    query = query_args(ServiceQuery)
    found = find_services(_filters(query), query.page, per_page=query.per_page)
    return jsonify(
        {
            "items": [service_document(entry) for entry in found.entries],
            "page": found.number,
            "per_page": found.per_page,
            "total": found.total,
            "pages": found.pages,
        }
    )


def _service_or_404(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None:
        raise Problem(404, "Not found", "There is no such service.")
    return service


@api.get("/services/<int:service_id>")
@documented(
    "get",
    "/services/{service_id}",
    summary="One service, with its capacity and response record",
    tag="Directory",
    responses={200: ("The service", ServiceDocument), 404: ("No such service", ProblemDocument)},
)
def get_service(service_id: int):
    service = _service_or_404(service_id)
    return jsonify(service_document(entries_for([service])[0]))


@api.put("/services/<int:service_id>/capacity")
@documented(
    "put",
    "/services/{service_id}/capacity",
    summary="Post a service's capacity (coordinators of the owning organisation)",
    tag="Directory",
    body=CapacityPost,
    responses={
        200: ("The service with its new capacity", ServiceDocument),
        400: ("The body is not JSON", ProblemDocument),
        404: ("No such service, or not yours to change", ProblemDocument),
        422: ("Values the rules do not allow", ProblemDocument),
    },
)
def put_capacity(service_id: int):
    user = api_user()
    service = db.session.get(Service, service_id)
    if service is None or not may_manage_service(user, service):
        raise Problem(404, "Not found", "There is no such service that you can change.")
    post = json_body(CapacityPost)
    try:
        post_capacity(service, user, post.status, post.places_available, post.wait_band, post.note)
    except CapacityError as error:
        db.session.rollback()
        raise Problem(
            422,
            "Invalid values",
            str(error),
            errors=[
                {"field": API_FIELDS.get(field, field), "message": message}
                for field, message in error.errors.items()
            ],
        ) from None
    db.session.commit()
    return jsonify(service_document(entries_for([service], now=clock.now())[0]))
