"""Making a referral as a caseworker would, over HTTP without JavaScript: find or add the
resident, choose the need and a suggested service, record consent, give the details,
check the answers and send. Every page is a plain form with post/redirect/get.
"""

import logging
import random
import re
import runpy
import zlib
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from itsdangerous.encoding import base64_decode
from sqlalchemy import func, select

from partnership import clock
from partnership.config import ROOT
from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    CapacityStatus,
    ConsentGiver,
    ContactMethod,
    DraftReferral,
    Event,
    Referral,
    ReferralStatus,
    Resident,
    Role,
    UnmetNeed,
    Urgency,
    User,
)
from partnership.referrals.draft import KEY
from tests import factories, pinned
from tests.conftest import sign_in_as
from tests.services.conftest import text

NEW = "/referrals/new"
VALID_NHS = "9434765919"
ANN_PHONE = "0161 496 0123"


@pytest.fixture
def world(partnership):
    """The partnership with a food need, the pantry's food parcels covering Northside,
    and Ann Smith, recorded by the surgery (the caseworker's organisation)."""
    food = factories.need("food", "Food")
    housing = factories.need("housing", "Housing")
    parcels = factories.service(
        partnership.pantry,
        name="Food parcels",
        places=4,
        needs=[food],
        neighbourhoods=[partnership.north],
    )
    ann = factories.resident(
        partnership.north,
        partnership.surgery,
        given_name="Ann",
        family_name="Smith",
        date_of_birth=date(1950, 1, 2),
        postcode="M9 4DH",
        phone=ANN_PHONE,
    )
    db.session.commit()
    return SimpleNamespace(
        p=partnership,
        food=food,
        housing=housing,
        parcels=parcels,
        ann=ann,
        caseworker=partnership.users[Role.CASEWORKER],
    )


class Journey:
    """A signed-in client that answers the pages, sending the CSRF token as a browser does."""

    def __init__(self, client):
        self.client = client
        self.token = client.csrf_token(f"{NEW}/resident")

    def get(self, path: str, **kwargs):
        return self.client.get(NEW + path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(
            NEW + path, data={"csrf_token": self.token, **(data or {})}, **kwargs
        )

    def answer(self, path: str, data: dict, goes_to: str):
        response = self.post(path, data)
        assert response.status_code == 302, text(response)[:2000]
        assert response.headers["Location"] == NEW + goes_to
        return response

    def choose(self, resident: Resident):
        return self.answer("/resident", {"resident_id": resident.id}, "/need")

    def need(self, need):
        return self.answer("/need", {"need": need.id}, "/service")

    def service(self, service):
        return self.answer("/service", {"service": service.id}, "/consent")

    def consent(self, **changes):
        data = {
            "given_by": "resident",
            "covers": "Sharing needs and contact details",
            "confirmed": "y",
        }
        return self.answer("/consent", {**data, **changes}, "/details")

    def details(self, **changes):
        data = {
            "urgency": "routine",
            "summary": "Lost her job and has no food until payday.",
            "phone": ANN_PHONE,
            "email": "",
            "preferred_contact": "phone",
            "best_times": "",
            "language": "English",
            "interpreter_needed": "no",
            "accessibility_needs": "",
        }
        return self.answer("/details", {**data, **changes}, "/check")

    def to_check(self, resident: Resident, need, service):
        self.choose(resident)
        self.need(need)
        self.service(service)
        self.consent()
        self.details()

    def check_key(self) -> str:
        page = self.get("/check")
        assert page.status_code == 200
        return re.search(
            r'name="idempotency_key"[^>]*value="([0-9a-f]+)"', page.get_data(as_text=True)
        )[1]

    def send(self, key: str):
        return self.post("/send", {"idempotency_key": key})

    def new_resident(self, *, given="Bea", family="Jones", born=("3", "4", "1961"), nhs=""):
        self.answer(
            "/new-resident/name",
            {"given_name": given, "family_name": family},
            "/new-resident/date-of-birth",
        )
        self.answer(
            "/new-resident/date-of-birth", {"date_of_birth": list(born)}, "/new-resident/nhs-number"
        )
        return self.answer(
            "/new-resident/nhs-number", {"nhs_number": nhs}, "/new-resident/same-person"
        )

    def rest_of_new_resident(self, neighbourhood):
        self.answer(
            "/new-resident/address",
            {"postcode": "m9 4dh", "neighbourhood": neighbourhood.id},
            "/new-resident/contact",
        )
        self.answer(
            "/new-resident/contact",
            {"phone": "0161 496 0000", "email": "", "preferred_contact": "phone"},
            "/new-resident/language",
        )
        return self.answer(
            "/new-resident/language",
            {"language": "English", "interpreter_needed": "no", "accessibility_needs": ""},
            "/need",
        )


@pytest.fixture
def journey(world, caseworker_client) -> Journey:
    return Journey(caseworker_client)


def count(model, *conditions) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def access_rows(resident: Resident, action: AccessAction) -> int:
    return count(AccessLog, AccessLog.resident_id == resident.id, AccessLog.action == action)


def the_referral() -> Referral:
    db.session.expire_all()
    [referral] = db.session.scalars(select(Referral)).all()
    return referral


def draft_of(client) -> DraftReferral | None:
    """The draft on the server that this browser's session points at."""
    with client.session_transaction() as session:
        draft_id = session.get(KEY)
    db.session.expire_all()
    return db.session.get(DraftReferral, draft_id) if draft_id is not None else None


def put_draft(client, user, answers: dict) -> None:
    """As a request that read the draft before another changed it would see it: these
    answers in the browser's draft, which is started again if it has gone."""
    draft = draft_of(client)
    if draft is None:
        draft = DraftReferral(user_id=user.id, organisation_id=user.organisation_id)
        db.session.add(draft)
    draft.answers = answers
    db.session.commit()
    with client.session_transaction() as session:
        session[KEY] = draft.id


def readable_cookie(client) -> str:
    """The session cookie as anyone who copies it can read it, without the secret key:
    base64 of JSON, zlib-compressed first when it starts with a dot."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    compressed = cookie.value.startswith(".")
    payload = base64_decode(cookie.value.removeprefix(".").split(".")[0])
    return (zlib.decompress(payload) if compressed else payload).decode()


# The whole journey


def test_an_existing_resident_is_referred_from_search_to_sent(world, journey):
    assert journey.get("").headers["Location"] == f"{NEW}/resident"
    found = text(journey.get("/resident", query_string={"q": "smith"}))
    assert "Ann Smith" in found and "2 January 1950" in found

    journey.choose(world.ann)
    assert "Food" in text(journey.get("/need"))
    journey.need(world.food)
    page = text(journey.get("/service"))
    assert "Food parcels, Southside Pantry" in page
    assert "covers Northside · 4 places" in page
    journey.service(world.parcels)
    journey.consent()
    journey.details(urgency="urgent")

    check = text(journey.get("/check"))
    for words in ("Check your answers", "Ann Smith", "Food parcels", "Urgent", "Lost her job"):
        assert words in check
    response = journey.send(journey.check_key())
    assert response.status_code == 302

    referral = the_referral()
    assert response.headers["Location"] == f"{NEW}/sent/{referral.id}"
    assert referral.status is ReferralStatus.REQUESTED
    assert referral.resident_id == world.ann.id
    assert referral.need_id == world.food.id
    assert referral.to_service_id == world.parcels.id
    assert referral.to_organisation_id == world.p.pantry.id
    assert referral.from_organisation_id == world.p.surgery.id
    assert referral.from_user_id == world.caseworker.id
    assert referral.neighbourhood_id == world.p.north.id
    assert referral.urgency is Urgency.URGENT
    assert referral.consent.given_by is ConsentGiver.RESIDENT
    assert referral.consent.covers == "Sharing needs and contact details"
    assert count(Event, Event.referral_id == referral.id, Event.kind == "sent") == 1

    sent = journey.get(f"/sent/{referral.id}")
    assert "Referral sent" in text(sent) and referral.reference in text(sent)
    assert f'href="/referrals/{referral.id}"' in sent.get_data(as_text=True)
    # The answers are gone: a new referral starts from the beginning.
    with journey.client.session_transaction() as session:
        assert KEY not in session
    assert count(DraftReferral) == 0
    assert journey.get("").headers["Location"] == f"{NEW}/resident"


def test_a_new_resident_is_added_and_referred(world, journey):
    journey.get("/resident", query_string={"q": "Jones"})
    journey.new_resident(nhs="943 476 5919")
    # Nobody matches, so the same-person page passes straight on.
    assert (
        journey.get("/new-resident/same-person").headers["Location"]
        == f"{NEW}/new-resident/address"
    )
    journey.rest_of_new_resident(world.p.north)

    added = db.session.scalar(select(Resident).where(Resident.family_name == "Jones"))
    assert added.given_name == "Bea"
    assert added.date_of_birth == date(1961, 4, 3)
    assert added.nhs_number == VALID_NHS
    assert added.postcode == "M9 4DH"
    assert added.neighbourhood_id == world.p.north.id
    assert added.phone == "0161 496 0000"
    assert added.preferred_contact is ContactMethod.PHONE
    assert added.created_by_organisation_id == world.p.surgery.id
    assert access_rows(added, AccessAction.CHANGE) == 1

    journey.need(world.food)
    journey.service(world.parcels)
    journey.consent(given_by="representative", representative_name="Sam Jones, son")
    journey.details(language="Polish", interpreter_needed="yes", best_times="Mornings")
    journey.send(journey.check_key())

    referral = the_referral()
    assert referral.resident_id == added.id
    assert referral.neighbourhood_id == world.p.north.id
    assert referral.status is ReferralStatus.REQUESTED
    assert referral.consent.given_by is ConsentGiver.REPRESENTATIVE
    assert referral.consent.representative_name == "Sam Jones, son"
    assert referral.summary.endswith("Best times to contact them: Mornings")
    # The details page's changes went onto the resident's record, logged as a change.
    db.session.expire_all()
    added = db.session.get(Resident, added.id)
    assert (added.language, added.interpreter_needed) == ("Polish", True)
    assert access_rows(added, AccessAction.CHANGE) == 3  # added, changed, referral sent


def test_refer_this_resident_starts_with_them(world, journey):
    response = journey.get("", query_string={"resident": world.ann.id})
    assert response.headers["Location"] == f"{NEW}/need"
    journey.need(world.food)
    journey.service(world.parcels)
    journey.consent()
    journey.details()
    journey.send(journey.check_key())
    assert the_referral().resident_id == world.ann.id


# Duplicates


def test_a_matching_nhs_number_warns_and_the_existing_resident_can_be_used(world, journey):
    world.ann.nhs_number = VALID_NHS
    db.session.commit()
    journey.new_resident(given="Annie", family="Smyth", nhs=VALID_NHS)
    page = journey.get("/new-resident/same-person")
    assert page.status_code == 200
    assert "Is this the same person?" in text(page) and "Ann Smith" in text(page)
    assert access_rows(world.ann, AccessAction.VIEW) == 1

    journey.answer("/new-resident/same-person", {"resident_id": world.ann.id}, "/need")
    assert count(Resident) == 1
    journey.need(world.food)
    journey.service(world.parcels)
    journey.consent()
    journey.details()
    journey.send(journey.check_key())
    assert the_referral().resident_id == world.ann.id


def test_a_matching_name_and_birth_date_warns_and_can_be_someone_new(world, journey):
    journey.new_resident(given="ann", family="SMITH", born=("2", "1", "1950"))
    assert "Ann Smith" in text(journey.get("/new-resident/same-person"))
    journey.answer("/new-resident/same-person", {"resident_id": ""}, "/new-resident/address")
    journey.rest_of_new_resident(world.p.north)
    assert count(Resident) == 2


def test_no_warning_reveals_a_resident_the_user_may_not_see(world, journey):
    hidden = factories.resident(
        world.p.south,
        world.p.council,
        given_name="Bea",
        family_name="Jones",
        date_of_birth=date(1961, 4, 3),
        nhs_number=VALID_NHS,
    )
    db.session.commit()
    journey.new_resident(nhs=VALID_NHS)
    response = journey.get("/new-resident/same-person")
    assert response.headers["Location"] == f"{NEW}/new-resident/address"
    assert access_rows(hidden, AccessAction.VIEW) == 0
    journey.rest_of_new_resident(world.p.north)
    assert count(Resident) == 3  # Ann, the council's Bea untouched, and the new Bea
    assert count(Resident, Resident.created_by_organisation_id == world.p.surgery.id) == 2


def test_adding_the_same_resident_twice_from_one_form_adds_them_once(world, journey):
    journey.new_resident()
    journey.get("/new-resident/same-person")
    journey.answer(
        "/new-resident/address",
        {"postcode": "", "neighbourhood": world.p.north.id},
        "/new-resident/contact",
    )
    journey.answer(
        "/new-resident/contact",
        {"phone": "", "email": "", "preferred_contact": "letter"},
        "/new-resident/language",
    )
    before = draft_of(journey.client).answers
    language = {"language": "English", "interpreter_needed": "no", "accessibility_needs": ""}
    journey.answer("/new-resident/language", language, "/need")
    # A second press that arrives once the first has finished goes on from there...
    journey.answer("/new-resident/language", language, "/need")
    # ...and one that read the draft before the first came back is asked about the match.
    put_draft(journey.client, world.caseworker, before)
    journey.answer("/new-resident/language", language, "/new-resident/same-person")
    assert count(Resident, Resident.family_name == "Jones") == 1


# NHS numbers


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9434765918", "This is not a valid NHS number: check it for a mistyped digit"),
        ("94347A5919", "NHS number must only include numbers, like 943 476 5919"),
        ("nine four three", "NHS number must only include numbers, like 943 476 5919"),
        ("943476591", "NHS number must be 10 digits, like 943 476 5919"),
    ],
)
def test_an_nhs_number_must_be_real(world, journey, typed, message):
    journey.answer(
        "/new-resident/name",
        {"given_name": "Bea", "family_name": "Jones"},
        "/new-resident/date-of-birth",
    )
    journey.answer(
        "/new-resident/date-of-birth",
        {"date_of_birth": ["3", "4", "1961"]},
        "/new-resident/nhs-number",
    )
    response = journey.post("/new-resident/nhs-number", {"nhs_number": typed})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert text(response).count(message) == 2  # in the summary and by the field
    assert "<title>Error:" in response.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "943-476-5919", ""])
def test_a_valid_or_empty_nhs_number_is_accepted(world, journey, typed):
    journey.new_resident(nhs=typed)
    assert draft_of(journey.client).answers["new_resident"]["nhs_number"] == (
        VALID_NHS if typed else None
    )


# Sending once, and only once


def test_a_double_submission_sends_one_referral(world, journey):
    journey.to_check(world.ann, world.food, world.parcels)
    key = journey.check_key()
    answers = draft_of(journey.client).answers
    first = journey.send(key)
    # The second press arrives after the first cleared the answers...
    second = journey.send(key)
    # ...or reads the draft before the first press deleted it.
    put_draft(journey.client, world.caseworker, answers)
    third = journey.send(key)
    referral = the_referral()
    for response in (first, second, third):
        assert response.headers["Location"] == f"{NEW}/sent/{referral.id}"
    assert count(Event, Event.kind == "sent") == 1
    assert count(DraftReferral) == 0


def test_a_second_open_referral_to_the_same_service_is_refused_with_a_link(world, journey):
    first = factories.referral(world.p, to_service=world.parcels, resident=world.ann)
    db.session.commit()
    journey.to_check(world.ann, world.food, world.parcels)
    response = journey.send(journey.check_key())
    assert response.status_code == 409
    assert (
        f"{first.reference} already refers this resident to this service and is still open"
        in text(response)
    )
    assert f'href="/referrals/{first.id}"' in response.get_data(as_text=True)
    assert count(Referral) == 1
    # Refused, the answers are kept to put right.
    assert draft_of(journey.client).answers["service_id"] == world.parcels.id


def test_a_service_that_closed_meanwhile_is_refused_clearly(world, journey):
    journey.to_check(world.ann, world.food, world.parcels)
    key = journey.check_key()
    world.parcels.capacity_status = CapacityStatus.CLOSED
    db.session.commit()
    response = journey.send(key)
    assert response.status_code == 409
    assert "Food parcels is closed to referrals" in text(response)
    assert count(Referral) == 0


NOBODY_AT_PANTRY = (
    "Food parcels takes no referrals through North Valley Partnership: nobody at Southside "
    "Pantry can receive them yet. Contact the service directly, or choose another service"
)


def test_a_service_nobody_can_receive_referrals_for_says_so_and_is_a_form_error(world, journey):
    world.p.users[Role.COORDINATOR].active = False
    db.session.commit()
    journey.choose(world.ann)
    journey.need(world.food)
    page = text(journey.get("/service"))
    assert (
        "Food parcels, Southside Pantry Takes no referrals through North Valley Partnership: "
        "nobody at Southside Pantry can receive them yet"
    ) in page

    response = journey.post("/service", {"service": world.parcels.id})

    assert response.status_code == 200
    assert "<title>Error:" in response.get_data(as_text=True)
    assert text(response).count(NOBODY_AT_PANTRY) == 2  # in the summary and by the field
    assert "service_id" not in draft_of(journey.client).answers


def test_a_service_whose_people_left_meanwhile_is_refused_at_send_with_the_reason(world, journey):
    journey.to_check(world.ann, world.food, world.parcels)
    key = journey.check_key()
    world.p.users[Role.COORDINATOR].active = False
    db.session.commit()
    response = journey.send(key)
    assert NOBODY_AT_PANTRY in text(response)
    summary = re.search(
        r'<div class="govuk-error-summary".*?</ul>', response.get_data(as_text=True), re.S
    ).group(0)
    assert 'href="/referrals/new/service?change=1"' in summary
    assert count(Referral) == 0
    assert count(Event) == 0


def test_no_suitable_service_records_unmet_need_and_sends_nothing(world, journey):
    journey.choose(world.ann)
    journey.answer("/need", {"need": world.housing.id}, "/service")
    page = text(journey.get("/service"))
    assert "No open service in the partnership meets housing needs" in page
    response = journey.post("/service", {"service": "none"})
    unmet = db.session.scalar(select(UnmetNeed))
    assert response.headers["Location"] == f"{NEW}/no-suitable-service/{unmet.id}"
    assert (unmet.need_id, unmet.neighbourhood_id) == (world.housing.id, world.p.north.id)
    assert unmet.recorded_by_organisation_id == world.p.surgery.id
    assert unmet.resident_id == world.ann.id
    assert "recorded for the partnership's figures" in text(
        journey.get(f"/no-suitable-service/{unmet.id}")
    )
    assert count(Referral) == 0
    assert count(DraftReferral) == 0
    assert journey.get("").headers["Location"] == f"{NEW}/resident"


# Each page's questions


def _to_new_resident_dates(journey, _world=None):
    journey.answer(
        "/new-resident/name",
        {"given_name": "Bea", "family_name": "Jones"},
        "/new-resident/date-of-birth",
    )


def _to_consent(journey, world):
    journey.choose(world.ann)
    journey.need(world.food)
    journey.service(world.parcels)


def _to_details(journey, world):
    _to_consent(journey, world)
    journey.consent()


# Two days ahead, so that no time zone can make it today.
SOON = pinned.TODAY + timedelta(days=2)
DETAILS = {
    "urgency": "routine",
    "summary": "Needs food",
    "phone": ANN_PHONE,
    "preferred_contact": "phone",
    "language": "English",
    "interpreter_needed": "no",
}


@pytest.mark.parametrize(
    ("before", "path", "data", "messages"),
    [
        (
            None,
            "/new-resident/name",
            {},
            ["Enter the resident's first name", "Enter the resident's last name"],
        ),
        (
            None,
            "/new-resident/name",
            {"given_name": " ", "family_name": "Jones"},
            ["Enter the resident's first name"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {"date_of_birth": ["31", "2", "1950"]},
            ["Date of birth must be a real date"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {"date_of_birth": [str(SOON.day), str(SOON.month), str(SOON.year)]},
            ["Date of birth must be in the past"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {"date_of_birth": ["3", "", "1961"]},
            ["Date of birth must include a month"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {"date_of_birth": ["", "", ""]},
            ["Enter the resident's date of birth"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {},
            ["Enter the resident's date of birth"],
        ),
        (
            _to_new_resident_dates,
            "/new-resident/date-of-birth",
            {"date_of_birth": ["3", "4", "61"]},
            ["Year must include 4 numbers"],
        ),
        (None, "/resident", {}, ["Choose a resident from the list, or add a new resident"]),
        (lambda j, w: j.choose(w.ann), "/need", {}, ["Select what they need help with"]),
        (
            lambda j, w: j.choose(w.ann),
            "/need",
            {"need": "999999"},
            ["Select what they need help with"],
        ),
        (
            lambda j, w: (j.choose(w.ann), j.need(w.food)),
            "/service",
            {},
            ["Select a service, or that no service is suitable"],
        ),
        (
            _to_consent,
            "/consent",
            {"given_by": "resident", "covers": "Sharing"},
            ["Confirm that consent was given"],
        ),
        (
            _to_consent,
            "/consent",
            {"confirmed": "y"},
            ["Select who gave consent", "Enter what the consent covers"],
        ),
        (
            _to_consent,
            "/consent",
            {"given_by": "representative", "covers": "All", "confirmed": "y"},
            ["Enter the name of the person who gave consent"],
        ),
        (_to_details, "/details", {**DETAILS, "summary": ""}, ["Enter why you are referring them"]),
        (
            _to_details,
            "/details",
            {**DETAILS, "summary": "x" * 2001},
            ["Why you are referring them must be 2,000 characters or fewer"],
        ),
        (
            _to_details,
            "/details",
            {**DETAILS, "urgency": ""},
            ["Select how urgent the referral is"],
        ),
    ],
)
def test_missing_or_wrong_answers_are_explained_in_words(
    world, journey, before, path, data, messages
):
    if before is not None:
        before(journey, world)
    response = journey.post(path, data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    for message in messages:
        assert message in page
    assert "<title>Error:" in response.get_data(as_text=True)


def test_a_summary_of_exactly_2000_characters_is_accepted(world, journey):
    _to_details(journey, world)
    journey.details(summary="x" * 2000)


def test_the_date_typed_is_shown_back_as_typed(world, journey):
    _to_new_resident_dates(journey)
    response = journey.post("/new-resident/date-of-birth", {"date_of_birth": ["31", "2", "1950"]})
    page = response.get_data(as_text=True)
    assert 'value="31"' in page and 'value="1950"' in page


# Order of the pages


@pytest.mark.parametrize("path", ["/need", "/service", "/consent", "/details", "/check"])
def test_a_later_page_with_nothing_answered_goes_back_to_the_resident(world, journey, path):
    assert journey.get(path).headers["Location"] == f"{NEW}/resident"
    if path != "/check":
        assert journey.post(path, {}).headers["Location"] == f"{NEW}/resident"


def test_a_later_page_goes_to_the_first_unanswered_one(world, journey):
    journey.choose(world.ann)
    journey.need(world.food)
    assert journey.get("/details").headers["Location"] == f"{NEW}/service"
    assert journey.get("/check").headers["Location"] == f"{NEW}/service"
    assert journey.post("/send", {"idempotency_key": "abc"}).headers["Location"] == f"{NEW}/service"
    _to_new_resident_dates(journey)
    assert (
        journey.get("/new-resident/address").headers["Location"]
        == f"{NEW}/new-resident/date-of-birth"
    )
    assert journey.get("/need").headers["Location"] == f"{NEW}/new-resident/date-of-birth"


def test_back_links_go_to_the_previous_page(world, journey):
    journey.choose(world.ann)
    assert f'href="{NEW}/resident"' in journey.get("/need").get_data(as_text=True)
    journey.need(world.food)
    assert f'href="{NEW}/need"' in journey.get("/service").get_data(as_text=True)


def test_a_change_from_check_answers_comes_back_to_check_answers(world, journey):
    other = factories.service(
        world.p.council,
        name="Community larder",
        needs=[world.housing],
        neighbourhoods=[world.p.north],
    )
    db.session.commit()
    journey.to_check(world.ann, world.food, world.parcels)
    assert f'href="{NEW}/consent?change=1"' in journey.get("/check").get_data(as_text=True)
    journey.answer(
        "/consent?change=1",
        {"given_by": "resident", "covers": "Everything", "confirmed": "y"},
        "/check",
    )
    # Another need means another service: asked for, then back to check answers.
    journey.answer("/need?change=1", {"need": world.housing.id}, "/service?change=1")
    assert f'href="{NEW}/check"' in journey.get("/service?change=1").get_data(as_text=True)
    journey.answer("/service?change=1", {"service": other.id}, "/check")
    assert "Community larder" in text(journey.get("/check"))


def test_start_again_throws_the_answers_away(world, journey):
    journey.choose(world.ann)
    assert count(DraftReferral) == 1
    response = journey.post("/start-again")
    assert response.headers["Location"] == f"{NEW}/resident"
    assert journey.get("/need").headers["Location"] == f"{NEW}/resident"
    assert count(DraftReferral) == 0


# Who may make referrals, and of whom


PAGES = [
    "",
    "/resident",
    "/new-resident/name",
    "/new-resident/date-of-birth",
    "/new-resident/nhs-number",
    "/new-resident/same-person",
    "/new-resident/address",
    "/new-resident/contact",
    "/new-resident/language",
    "/need",
    "/service",
    "/consent",
    "/details",
    "/check",
]
POST_ONLY = ["/send", "/start-again"]


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_find_no_page_at_all(world, as_role, role):
    client = as_role(role)
    token = client.csrf_token("/")
    for path in PAGES:
        assert client.get(NEW + path).status_code == 404, path
    for path in PAGES[1:] + POST_ONLY:
        assert client.post(NEW + path, data={"csrf_token": token}).status_code == 404, path
    assert client.get(f"{NEW}/no-suitable-service/1").status_code == 404


def test_coordinators_can_make_referrals(world, coordinator_client):
    assert coordinator_client.get(f"{NEW}/resident").status_code == 200


def test_a_resident_the_user_may_not_see_is_not_found(world, journey):
    hidden = factories.resident(
        world.p.south, world.p.council, given_name="Hidden", family_name="Person"
    )
    db.session.commit()
    assert journey.get("", query_string={"resident": hidden.id}).status_code == 404
    assert journey.get("", query_string={"resident": "nobody"}).status_code == 404
    assert journey.post("/resident", {"resident_id": hidden.id}).status_code == 404
    assert "Hidden" not in text(journey.get("/resident", query_string={"q": "hidden"}))
    assert access_rows(hidden, AccessAction.VIEW) == 0


def test_a_resident_shared_through_a_referral_can_be_referred_on(world, as_role):
    # The pantry receives a referral for Ann: its coordinator may now refer her elsewhere.
    factories.referral(world.p, to_service=world.parcels, resident=world.ann)
    db.session.commit()
    pantry = Journey(as_role(Role.COORDINATOR))
    assert (
        pantry.get("", query_string={"resident": world.ann.id}).headers["Location"] == f"{NEW}/need"
    )


def test_a_confirmation_is_only_for_the_referrer(world, journey, as_role):
    journey.to_check(world.ann, world.food, world.parcels)
    journey.send(journey.check_key())
    referral = the_referral()
    pantry = as_role(Role.COORDINATOR)
    assert pantry.get(f"{NEW}/sent/{referral.id}").status_code == 404
    assert as_role(Role.LEAD).get(f"{NEW}/sent/{referral.id}").status_code == 404


# The access log


def test_search_results_log_one_view_of_each_resident_shown(world, journey):
    other = factories.resident(world.p.north, world.p.surgery, given_name="Al", family_name="Smith")
    db.session.commit()
    journey.get("/resident", query_string={"q": "smith"})
    assert access_rows(world.ann, AccessAction.VIEW) == 1
    assert access_rows(other, AccessAction.VIEW) == 1


def test_each_page_showing_the_resident_logs_one_view(world, journey):
    journey.choose(world.ann)
    journey.need(world.food)
    journey.service(world.parcels)
    journey.consent()
    assert access_rows(world.ann, AccessAction.VIEW) == 0
    journey.get("/details")
    assert access_rows(world.ann, AccessAction.VIEW) == 1
    journey.details()
    journey.get("/check")
    assert access_rows(world.ann, AccessAction.VIEW) == 2
    journey.get("/check")
    assert access_rows(world.ann, AccessAction.VIEW) == 3
    rows = db.session.scalars(
        select(AccessLog).where(AccessLog.resident_id == world.ann.id).order_by(AccessLog.id)
    ).all()
    assert {row.user_id for row in rows} == {world.caseworker.id}


def test_a_draft_left_by_someone_else_in_the_browser_is_not_used(world, journey, as_role):
    journey.choose(world.ann)
    with journey.client.session_transaction() as session:
        draft_id = session[KEY]
    pantry = as_role(Role.COORDINATOR)
    with pantry.session_transaction() as session:
        session[KEY] = draft_id
    assert pantry.get(f"{NEW}/need").headers["Location"] == f"{NEW}/resident"
    assert count(DraftReferral) == 1


def test_no_one_else_can_carry_on_with_a_draft(world, journey, app):
    """Not even a colleague in the same organisation, holding the draft's id."""
    journey.to_check(world.ann, world.food, world.parcels)
    theirs = draft_of(journey.client)
    colleague = User(
        email="colleague@example.org",
        name="Col League",
        organisation=world.p.surgery,
        role=Role.CASEWORKER,
        password_hash="x",
    )
    db.session.add(colleague)
    db.session.commit()
    other = Journey(sign_in_as(app.test_client(), colleague))
    with other.client.session_transaction() as session:
        session[KEY] = theirs.id
    for path in ("/need", "/service", "/consent", "/details", "/check"):
        assert other.get(path).headers["Location"] == f"{NEW}/resident", path
    assert "Ann Smith" not in text(other.get("/resident"))
    assert other.send("a" * 32).headers["Location"] == f"{NEW}/resident"
    assert count(Referral) == 0
    # Their answers start a draft of their own; the first one is untouched.
    other.answer(
        "/new-resident/name",
        {"given_name": "Cal", "family_name": "Reed"},
        "/new-resident/date-of-birth",
    )
    mine = draft_of(other.client)
    assert mine.id != theirs.id and mine.user_id == colleague.id
    assert draft_of(journey.client).answers == theirs.answers
    journey.send(journey.check_key())
    assert the_referral().from_user_id == world.caseworker.id


# Nothing about the resident in the cookie


SECRETS = [
    "Beatrix",
    "Quennell",
    "1961-04-03",
    VALID_NHS,
    "943 476 5919",
    "M9 4DH",
    "0161 496 0777",
    "bea.quennell@example.net",
    "Kurdish",
    "Uses a wheelchair",
    "Evicted last week and sleeping at a friend's",
    "Weekday mornings",
    "Sam Quennell, son",
    "Sharing her housing history",
]


def test_no_cookie_ever_holds_what_was_typed_about_the_resident(world, journey):
    """Decoded as an attacker would, after every question page."""
    client = journey.client

    def cookie_after(response):
        assert response.status_code in (200, 302), response.status_code
        readable = readable_cookie(client)
        assert '"_user_id"' in readable  # it did decode
        for secret in SECRETS:
            assert secret.lower() not in readable.lower(), secret
        return response

    pages = [
        ("/resident", None),
        ("/new-resident/name", {"given_name": "Beatrix", "family_name": "Quennell"}),
        ("/new-resident/date-of-birth", {"date_of_birth": ["3", "4", "1961"]}),
        ("/new-resident/nhs-number", {"nhs_number": "943 476 5919"}),
        ("/new-resident/same-person", {"resident_id": ""}),
        ("/new-resident/address", {"postcode": "m9 4dh", "neighbourhood": world.p.north.id}),
        (
            "/new-resident/contact",
            {
                "phone": "0161 496 0777",
                "email": "bea.quennell@example.net",
                "preferred_contact": "phone",
            },
        ),
        (
            "/new-resident/language",
            {
                "language": "Kurdish",
                "interpreter_needed": "yes",
                "accessibility_needs": "Uses a wheelchair",
            },
        ),
        ("/need", {"need": world.food.id}),
        ("/service", {"service": world.parcels.id}),
        (
            "/consent",
            {
                "given_by": "representative",
                "representative_name": "Sam Quennell, son",
                "covers": "Sharing her housing history",
                "confirmed": "y",
            },
        ),
        (
            "/details",
            {
                **DETAILS,
                "phone": "0161 496 0777",
                "email": "bea.quennell@example.net",
                "summary": "Evicted last week and sleeping at a friend's",
                "best_times": "Weekday mornings",
                "language": "Kurdish",
                "interpreter_needed": "yes",
                "accessibility_needs": "Uses a wheelchair",
            },
        ),
    ]
    for path, answers in pages:
        cookie_after(journey.get(path))
        if answers is not None:
            cookie_after(journey.post(path, answers))
    page = text(cookie_after(journey.get("/check")))
    assert "Evicted last week" in page and "Beatrix Quennell" in page
    # The answers are on the server, under the id the cookie holds.
    assert draft_of(client).answers["details"]["summary"].startswith("Evicted")
    cookie_after(journey.send(journey.check_key()))
    assert the_referral().resident.family_name == "Quennell"


def test_a_draft_answered_lately_is_not_abandoned(world, journey, app, clock_at, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 11 * 60)
    started = clock.now()
    journey.choose(world.ann)
    # Within a session's lifetime, an answer marks the draft as in use.
    clock_at.move_to(started + timedelta(hours=10))
    journey.need(world.food)

    def remove_abandoned(day_later: int) -> str:
        clock_at.move_to(started + timedelta(days=day_later, hours=6))
        runner = app.test_cli_runner()
        return runner.invoke(args=["drafts", "remove-abandoned", "--days", "1"]).output

    assert remove_abandoned(1).startswith("Removed 0 ")
    assert remove_abandoned(2).startswith("Removed 1 ")
    assert count(DraftReferral) == 0


def test_long_answers_in_any_script_are_kept_whole(world, journey):
    """Text that compresses badly once had to be shortened to fit in the cookie."""
    _to_details(journey, world)
    letters = random.Random(4).choices([chr(c) for c in range(0x4E00, 0x9FFF)], k=2000)
    scattered = "".join(letters)
    journey.answer(
        "/details",
        {**DETAILS, "summary": scattered, "accessibility_needs": scattered[:500]},
        "/check",
    )
    assert scattered in journey.get("/check").get_data(as_text=True)
    journey.send(journey.check_key())
    assert the_referral().summary == scattered


@pytest.mark.parametrize("number", ["99999999999999999999", "-1", "1e3"])
def test_an_id_that_cannot_be_a_resident_is_not_found(world, journey, number):
    assert journey.get("", query_string={"resident": number}).status_code == 404
    assert journey.post("/resident", {"resident_id": number}).status_code == 404
    assert journey.get(f"/sent/{number}").status_code == 404
    assert journey.get(f"/no-suitable-service/{number}").status_code == 404


def test_an_overlong_send_key_goes_back_to_check_and_sends_nothing(world, journey):
    """The key's column holds 64 characters: a longer one is refused by the form, never
    by the database (a 500 on PostgreSQL)."""
    journey.to_check(world.ann, world.food, world.parcels)
    response = journey.send("a" * 65)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{NEW}/check"
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


# Logs: no resident's name, NHS number or postcode in any of them. Search terms ride in
# query strings (and in next=); gunicorn's request lines and the app's logs are checked.

PERSONAL = ("Smith", "smith", VALID_NHS, "M9 4DH", "M9+4DH", "M9%204DH", "Lost her job")
# The format gunicorn is started with (`make serve`).
ACCESS_LOG_FORMAT = runpy.run_path(str(ROOT / "partnership" / "gunicorn.conf.py"))[
    "access_log_format"
]


def gunicorn_line(response) -> str:
    """The line gunicorn's access log, configured as in production, writes for a response."""
    config = Config()
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    environ = dict(response.request.environ)
    query = environ.get("QUERY_STRING", "")
    environ["RAW_URI"] = environ["PATH_INFO"] + ("?" + query if query else "")
    headers = [(name.upper(), value) for name, value in response.request.headers.items()]
    atoms = Logger(config).atoms(
        SimpleNamespace(status=response.status, sent=0, headers=[]),
        SimpleNamespace(headers=headers),
        environ,
        timedelta(milliseconds=3),
    )
    return ACCESS_LOG_FORMAT % atoms


def test_the_referral_journey_leaves_no_personal_data_in_any_log(world, journey, caplog):
    world.ann.nhs_number = VALID_NHS
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    lines = []
    for q in ("Smith", VALID_NHS, "M9 4DH"):
        response = journey.get("/resident", query_string={"q": q})
        assert "Ann Smith" in response.get_data(as_text=True)  # the search did find her
        assert f"q={q.replace(' ', '+')}" in response.request.environ["QUERY_STRING"]
        lines.append(gunicorn_line(response))
    journey.to_check(world.ann, world.food, world.parcels)
    sent = journey.send(journey.check_key())
    assert sent.status_code == 302
    lines.append(gunicorn_line(sent))
    referral_page = journey.client.get(sent.headers["Location"])
    lines.append(gunicorn_line(referral_page))

    logged = "\n".join([caplog.text, *lines])
    assert "GET /referrals/new/resident" in logged
    for words in PERSONAL:
        assert words not in logged, words
    for what in db.session.scalars(select(AccessLog.what)):
        for words in PERSONAL:
            assert words not in what
