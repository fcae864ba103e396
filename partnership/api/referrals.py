"""Referrals over the API: send, read, move through the lifecycle, and message.

The rules are the web's: partnership.referrals.lifecycle decides, and
partnership.access decides who sees what (404 for anyone not party, never 403).
"""

from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from partnership import clock
from partnership.access import log_access, may_see_referral, may_see_resident
from partnership.api import api
from partnership.api.auth import api_user
from partnership.api.openapi import ProblemDocument, documented
from partnership.api.schemas import (
    MessageDocument,
    MessageIn,
    MessageList,
    Party,
    ReferralDocument,
    ReferralIn,
    ReferralPage,
    ReferralQuery,
    ReferralSummary,
    TransitionIn,
)
from partnership.api.validation import json_body, query_args
from partnership.extensions import db
from partnership.models import (
    AccessAction,
    ConsentGiver,
    DeclineReason,
    NeedCategory,
    Outcome,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    Urgency,
    User,
)
from partnership.problems import Problem
from partnership.referrals import lifecycle
from partnership.referrals.messages import messages_for, post_message
from partnership.referrals.overdue import bank_holidays, is_overdue

NOT_FOUND = "There is no such referral that your organisation is party to."


def referral_for(user: User, referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None or not may_see_referral(user, referral):
        raise Problem(404, "Not found", NOT_FOUND)
    return referral


def etag(referral: Referral) -> str:
    return f'"{referral.version}"'


def summary_document(referral: Referral, user: User, holidays=None) -> dict:
    waiting = referral.status is ReferralStatus.REQUESTED
    overdue = waiting and is_overdue(
        referral.sent_at,
        referral.urgency,
        clock.today(),
        bank_holidays() if holidays is None else holidays,
    )
    return ReferralSummary(
        id=referral.id,
        reference=referral.reference,
        status=referral.status.value,
        version=referral.version,
        urgency=referral.urgency.value,
        need=referral.need.slug,
        service_id=referral.to_service_id,
        service=referral.to_service.name,
        referrer=Party(
            organisation_id=referral.from_organisation_id,
            organisation=referral.from_organisation.name,
        ),
        recipient=Party(
            organisation_id=referral.to_organisation_id,
            organisation=referral.to_organisation.name,
        ),
        neighbourhood_id=referral.neighbourhood_id,
        decline_reason=referral.decline_reason.value if referral.decline_reason else None,
        outcome=referral.outcome.value if referral.outcome else None,
        forwarded_from_id=referral.forwarded_from_id,
        created_at=referral.created_at,
        sent_at=referral.sent_at,
        opened_at=referral.opened_at,
        accepted_at=referral.accepted_at,
        declined_at=referral.declined_at,
        started_at=referral.started_at,
        completed_at=referral.completed_at,
        cancelled_at=referral.cancelled_at,
        updated_at=referral.updated_at,
        overdue=overdue,
        allowed_actions=[a.value for a in lifecycle.allowed_actions(user, referral)],
    ).model_dump(mode="json")


def full_document(referral: Referral, user: User) -> dict:
    """The referral with the resident's personal data; the caller logs the access."""
    resident = referral.resident
    document = summary_document(referral, user)
    document.update(
        summary=referral.summary,
        closing_note=referral.closing_note,
        resident={
            "id": resident.id,
            "given_name": resident.given_name,
            "family_name": resident.family_name,
            "date_of_birth": resident.date_of_birth.isoformat(),
            "nhs_number": resident.nhs_number,
            "postcode": resident.postcode,
            "neighbourhood_id": resident.neighbourhood_id,
            "phone": resident.phone,
            "email": resident.email,
            "preferred_contact": resident.preferred_contact.value,
            "language": resident.language,
            "interpreter_needed": resident.interpreter_needed,
            "accessibility_needs": resident.accessibility_needs,
        },
    )
    return ReferralDocument.model_validate(document).model_dump(mode="json")


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "Invalid values", message, errors=[{"field": field, "message": message}])


@api.post("/referrals")
@documented(
    "post",
    "/referrals",
    summary=(
        "Send a referral (honours Idempotency-Key: a retry returns the first referral; "
        "the same key with different values is 422)"
    ),
    tag="Referrals",
    body=ReferralIn,
    headers={"Idempotency-Key": "Any unique string up to 64 characters, reused on retries"},
    responses={
        201: ("Sent", ReferralSummary),
        200: ("Already sent with this Idempotency-Key", ReferralSummary),
        400: ("The body is not JSON", ProblemDocument),
        409: ("An open referral of this resident to this service exists", ProblemDocument),
        422: (
            "Values the rules do not allow, or an Idempotency-Key reused with other values",
            ProblemDocument,
        ),
    },
)
def create_referral():
    user = api_user()
    if not lifecycle.sides_possible(user):
        raise Problem(404, "Not found", "Only caseworkers and coordinators make referrals.")
    body = json_body(ReferralIn)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 64:
        raise _invalid("Idempotency-Key", "Idempotency-Key must be 1 to 64 characters")
    resident = db.session.get(Resident, body.resident_id)
    if not may_see_resident(user, resident):
        # The same answer whether the resident exists or not.
        raise _invalid("resident_id", "No resident with this id that your organisation may see")
    need = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == body.need))
    if need is None:
        raise _invalid("need", f"There is no need called {body.need!r}")
    service = db.session.get(Service, body.service_id)
    if service is None:
        raise _invalid("service_id", "There is no such service")
    try:
        referral, is_new = lifecycle.send(
            user,
            resident=resident,
            need=need,
            service=service,
            urgency=Urgency(body.urgency),
            summary=body.summary,
            consent=lifecycle.ConsentGiven(
                ConsentGiver(body.consent.given_by),
                body.consent.covers,
                body.consent.representative_name,
            ),
            idempotency_key=key,
        )
    except lifecycle.AlreadyOpen as refused:
        db.session.rollback()
        raise Problem(
            409,
            "Already open",
            refused.message,
            existing=url_for("api.get_referral", referral_id=refused.existing.id),
        ) from None
    except lifecycle.KeyReused:
        db.session.rollback()
        raise _invalid(
            "Idempotency-Key",
            "This Idempotency-Key already sent a referral with different values: "
            "use a new key for a new referral",
        ) from None
    except lifecycle.Refused as refused:
        db.session.rollback()
        raise _invalid("service_id", refused.message) from None
    db.session.commit()
    response = jsonify(summary_document(referral, user))
    response.status_code = 201 if is_new else 200
    response.headers["Location"] = url_for("api.get_referral", referral_id=referral.id)
    response.headers["ETag"] = etag(referral)
    return response


@api.get("/referrals/<int:referral_id>")
@documented(
    "get",
    "/referrals/{referral_id}",
    summary="One referral with the resident's details (parties only; every read is logged)",
    tag="Referrals",
    responses={
        200: ("The referral; its ETag is its version", ReferralDocument),
        404: ("No such referral, or not party to it", ProblemDocument),
    },
)
def get_referral(referral_id: int):
    user = api_user()
    referral = referral_for(user, referral_id)
    # As on the web: the first read by the receiving organisation tells the referrer.
    lifecycle.mark_opened(referral, user)
    document = full_document(referral, user)
    log_access(
        user,
        referral.resident_id,
        AccessAction.VIEW,
        f"API GET /referrals/{referral.id}",
        referral_id=referral.id,
    )
    db.session.commit()
    response = jsonify(document)
    response.headers["ETag"] = etag(referral)
    return response


def _expected_version(referral: Referral) -> int | None:
    """The version an If-Match header names (ETags are the quoted version)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if str(referral.version) in versions:
        return referral.version
    raise Problem(
        412,
        "Precondition failed",
        "The referral has changed since you read it: get it again and retry.",
        current_version=referral.version,
    )


@api.post("/referrals/<int:referral_id>/transitions")
@documented(
    "post",
    "/referrals/{referral_id}/transitions",
    summary="Accept, decline, start, hold, resume, complete or cancel (honours If-Match)",
    tag="Referrals",
    body=TransitionIn,
    headers={"If-Match": "The ETag from your last read; 412 if the referral changed since"},
    responses={
        200: ("The referral after the change", ReferralSummary),
        400: ("The body is not JSON", ProblemDocument),
        404: ("No such referral, or not party to it", ProblemDocument),
        409: ("Not allowed in this status or for your side, or no places left", ProblemDocument),
        412: ("The referral changed since the If-Match version", ProblemDocument),
        422: ("Values the rules do not allow", ProblemDocument),
    },
)
def transition_referral(referral_id: int):
    user = api_user()
    referral = referral_for(user, referral_id)
    body = json_body(TransitionIn)
    expected = _expected_version(referral)
    details = lifecycle.Details(
        reason=DeclineReason(body.reason) if body.reason else None,
        outcome=Outcome(body.outcome) if body.outcome else None,
        note=body.note,
    )
    try:
        lifecycle.transition(
            referral, user, lifecycle.Action(body.action), details, expected_version=expected
        )
    except lifecycle.Stale as refused:
        db.session.rollback()
        status = 412 if expected is not None else 409
        raise Problem(status, "Changed meanwhile", refused.message) from None
    except lifecycle.NoPlacesLeft as refused:
        db.session.rollback()
        raise Problem(409, "No places left", refused.message) from None
    except lifecycle.NotAllowed as refused:
        db.session.rollback()
        raise Problem(
            409,
            "Not allowed",
            refused.message,
            allowed_actions=[a.value for a in lifecycle.allowed_actions(user, referral)],
        ) from None
    except lifecycle.Incomplete as refused:
        db.session.rollback()
        raise _invalid(
            "reason" if "reason" in refused.message else "note", refused.message
        ) from None
    db.session.commit()
    response = jsonify(summary_document(referral, user))
    response.headers["ETag"] = etag(referral)
    return response


def message_document(message) -> dict:
    return MessageDocument(
        id=message.id,
        referral_id=message.referral_id,
        author=message.author.name,
        organisation=message.organisation.name,
        body=message.body,
        created_at=message.created_at,
    ).model_dump(mode="json")


@api.get("/referrals/<int:referral_id>/messages")
@documented(
    "get",
    "/referrals/{referral_id}/messages",
    summary="The messages between the two organisations, oldest first (every read is logged)",
    tag="Referrals",
    responses={
        200: ("The messages", MessageList),
        404: ("No such referral, or not party to it", ProblemDocument),
    },
)
def list_messages(referral_id: int):
    user = api_user()
    referral = referral_for(user, referral_id)
    items = [message_document(m) for m in messages_for(referral)]
    log_access(
        user,
        referral.resident_id,
        AccessAction.VIEW,
        f"API GET /referrals/{referral.id}/messages",
        referral_id=referral.id,
    )
    db.session.commit()
    return jsonify({"items": items})


@api.post("/referrals/<int:referral_id>/messages")
@documented(
    "post",
    "/referrals/{referral_id}/messages",
    summary="Send a message to the other organisation on the referral",
    tag="Referrals",
    body=MessageIn,
    responses={
        201: ("The message", MessageDocument),
        400: ("The body is not JSON", ProblemDocument),
        404: ("No such referral, or not party to it", ProblemDocument),
        422: ("An empty or over-long message", ProblemDocument),
    },
)
def send_message(referral_id: int):
    user = api_user()
    referral = referral_for(user, referral_id)
    body = json_body(MessageIn)
    try:
        message = post_message(referral, user, body.body)
    except lifecycle.Incomplete as refused:
        db.session.rollback()
        raise _invalid("body", refused.message) from None
    db.session.commit()
    response = jsonify(message_document(message))
    response.status_code = 201
    return response


@api.get("/referrals")
@documented(
    "get",
    "/referrals",
    summary="Referrals your organisation received (box=inbox) or sent (box=outbox), newest first",
    tag="Referrals",
    query=ReferralQuery,
    responses={200: ("A page of referrals", ReferralPage), 422: ("Bad filter", ProblemDocument)},
)
def list_referrals():
    """Lists carry no personal data, so reading them writes no access-log row."""
    user = api_user()
    query = query_args(ReferralQuery)
    if not lifecycle.sides_possible(user):
        raise Problem(404, "Not found", "Only caseworkers and coordinators have referrals.")
    party = Referral.to_organisation_id if query.box == "inbox" else Referral.from_organisation_id
    where = [party == user.organisation_id, Referral.status != ReferralStatus.DRAFT]
    if query.status:
        where.append(Referral.status == ReferralStatus(query.status))
    total = db.session.scalar(select(func.count()).select_from(Referral).where(*where))
    pages = max(1, -(-total // query.per_page))
    page = min(query.page, pages)
    rows = db.session.scalars(
        select(Referral)
        .where(*where)
        .options(
            joinedload(Referral.need),
            joinedload(Referral.to_service),
            joinedload(Referral.from_organisation),
            joinedload(Referral.to_organisation),
        )
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(query.per_page)
        .offset((page - 1) * query.per_page)
    )
    holidays = bank_holidays()
    return jsonify(
        {
            "items": [summary_document(r, user, holidays) for r in rows],
            "page": page,
            "per_page": query.per_page,
            "total": total,
            "pages": pages,
        }
    )
