"""The API's documents, as pydantic models: they validate requests and describe responses
in the OpenAPI document alike."""

import types
from datetime import datetime
from typing import Annotated, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from partnership.columns import LARGEST_ID
from partnership.inputs import whole_number
from partnership.models import CapacityStatus, WaitBand

CapacityStatusCode = Literal["open", "limited", "waitlist", "full", "closed"]
WaitBandCode = Literal["under-1-week", "1-4-weeks", "1-3-months", "over-3-months"]
assert set(get_args(CapacityStatusCode)) == {s.value for s in CapacityStatus}
assert set(get_args(WaitBandCode)) == {b.value for b in WaitBand}


class Strict(BaseModel):
    """A request body, read as JSON types say: "8", 8.0 and true are not integers, 8 is not
    a string, and a field the model does not name is refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _kinds(annotation) -> set[type]:
    """The plain types an annotation admits (`int | None` -> {int, NoneType})."""
    if get_origin(annotation) in (Union, types.UnionType):
        return set().union(*(_kinds(arg) for arg in get_args(annotation)))
    if get_origin(annotation) is Annotated:
        return _kinds(get_args(annotation)[0])
    return {annotation} if isinstance(annotation, type) else set()


BOOLEANS = {"true": True, "false": False}


class Query(BaseModel):
    """A query string, where every value is text: an integer is ASCII digits ("8", not
    "8.0", "+8", " 8" or "²"), a boolean is `true` or `false`; anything else is refused."""

    model_config = ConfigDict(strict=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _read_text(cls, values):
        if not isinstance(values, dict):
            return values
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        read = dict(values)
        for key, value in values.items():
            field = fields.get(key)
            if field is None or not isinstance(value, str):
                continue
            kinds = _kinds(field.annotation)
            if bool in kinds:
                read[key] = BOOLEANS.get(value, value)
            elif int in kinds and (number := whole_number(value)) is not None:
                read[key] = number
        return read


class OrganisationRef(BaseModel):
    id: int
    uuid: UUID
    name: str
    sector: Literal["nhs", "council", "vcse", "other"]


class NeighbourhoodRef(BaseModel):
    id: int
    name: str


class Capacity(BaseModel):
    status: CapacityStatusCode
    wait_band: WaitBandCode | None
    places_available: int | None = Field(description="null: the service is not place-limited")
    note: str
    updated_at: datetime | None = Field(
        description="When someone in the partnership last posted it; null: not posted yet "
        "(imported from another directory, or as a new service started)"
    )
    stale: bool = Field(description="Posted, but not for more than 7 days")


class ResponseRecord(BaseModel):
    """Replies to referrals sent in the last 90 days; the figures need 5 or more."""

    answered: int
    enough_data: bool
    accepted_share: float | None
    median_hours_to_reply: float | None


class ServiceDocument(BaseModel):
    id: int
    uuid: UUID
    name: str
    description: str
    organisation: OrganisationRef
    needs: list[str] = Field(description="Need category slugs")
    neighbourhoods: list[NeighbourhoodRef]
    min_age: int | None
    max_age: int | None
    eligibility_notes: str
    contact_email: str | None
    contact_phone: str | None
    website: str | None
    referral_instructions: str
    takes_referrals: bool = Field(
        description="false: nobody at its organisation can receive referrals yet, and "
        "POST /referrals to it answers 422"
    )
    capacity: Capacity
    record: ResponseRecord


class ServicePage(BaseModel):
    items: list[ServiceDocument]
    page: int
    per_page: int
    total: int
    pages: int


# An id sent to the API: one the id columns can hold, so a larger one is a 422, not a
# database error. Pages stop where the web's do.
RowId = Annotated[int, Field(ge=1, le=LARGEST_ID)]
LAST_PAGE = 999_999


class ServiceQuery(Query):
    q: str = Field("", max_length=200, description="Words in the name, description or organisation")
    need: str | None = Field(None, description="A need category slug, e.g. food")
    neighbourhood: RowId | None = Field(None, description="A neighbourhood id the service covers")
    age: int | None = Field(None, ge=0, le=130, description="The resident's age, for eligibility")
    has_places: bool = Field(False, description="Only services taking referrals now")
    page: int = Field(1, ge=1, le=LAST_PAGE)
    per_page: int = Field(20, ge=1, le=100)


class CapacityPost(Strict):
    """A coordinator's capacity post: status, places, wait band and a short note."""

    status: CapacityStatusCode
    places_available: int | None = Field(None, ge=0, le=9999)
    wait_band: WaitBandCode | None = None
    note: str = Field("", max_length=200)


ReferralStatusCode = Literal[
    "draft", "requested", "accepted", "in-progress", "on-hold", "rejected", "completed", "cancelled"
]
ActionCode = Literal["accept", "decline", "start", "hold", "resume", "complete", "cancel"]
DeclineReasonCode = Literal[
    "no-capacity", "not-eligible", "unable-to-contact", "resident-declined", "duplicate", "other"
]
OutcomeCode = Literal["need-met", "partly-met", "not-met", "disengaged"]


class ConsentIn(Strict):
    given_by: Literal["resident", "representative"]
    covers: str = Field(min_length=1, max_length=2000, description="What the consent covers")
    representative_name: str | None = Field(None, max_length=120)


class ReferralIn(Strict):
    """A new referral of a resident the caller's organisation may see, to a service."""

    resident_id: RowId
    need: str = Field(description="A need category slug, e.g. food")
    service_id: RowId
    urgency: Literal["routine", "urgent"] = "routine"
    summary: str = Field(min_length=1, max_length=2000)
    consent: ConsentIn


class TransitionIn(Strict):
    action: ActionCode
    reason: DeclineReasonCode | None = Field(None, description="Required to decline")
    outcome: OutcomeCode | None = Field(None, description="Required to complete")
    note: str = Field("", max_length=2000, description="Required to cancel, or with reason other")


class Party(BaseModel):
    organisation_id: int
    organisation: str


class ResidentDocument(BaseModel):
    """Personal data: only for the two party organisations; every read is logged."""

    id: int
    given_name: str
    family_name: str
    date_of_birth: str
    nhs_number: str | None
    postcode: str | None
    neighbourhood_id: int
    phone: str | None
    email: str | None
    preferred_contact: str
    language: str
    interpreter_needed: bool
    accessibility_needs: str


class ReferralSummary(BaseModel):
    """A referral without personal data or free text, as lists show it."""

    id: int
    reference: str
    status: ReferralStatusCode
    version: int
    urgency: Literal["routine", "urgent"]
    need: str
    service_id: int
    service: str
    referrer: Party
    recipient: Party
    neighbourhood_id: int
    decline_reason: DeclineReasonCode | None
    outcome: OutcomeCode | None
    forwarded_from_id: int | None
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    overdue: bool
    allowed_actions: list[ActionCode] = Field(description="What the caller may do now")


class ReferralDocument(ReferralSummary):
    summary: str
    closing_note: str
    resident: ResidentDocument


class ReferralPage(BaseModel):
    items: list[ReferralSummary]
    page: int
    per_page: int
    total: int
    pages: int


class ReferralQuery(Query):
    box: Literal["inbox", "outbox"] = "inbox"
    status: ReferralStatusCode | None = None
    page: int = Field(1, ge=1, le=LAST_PAGE)
    per_page: int = Field(25, ge=1, le=100)


class MessageIn(Strict):
    body: str = Field(min_length=1, max_length=2000)


class MessageDocument(BaseModel):
    id: int
    referral_id: int
    author: str
    organisation: str
    body: str
    created_at: datetime


class MessageList(BaseModel):
    items: list[MessageDocument]
