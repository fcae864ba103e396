"""The caseworker's path joined up: "Refer to this service" from a service page or the
directory starts a referral with the need and service filled in; back links return to
where the person came from, never elsewhere; check answers shows and changes everything."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import AccessAction, CapacityStatus, Resident, Role
from partnership.referrals import draft
from tests import factories
from tests.referrals import test_making
from tests.referrals.test_making import (
    ANN_PHONE,
    NEW,
    access_rows,
    draft_of,
    readable_cookie,
    the_referral,
)

# The journey's fixtures, found by pytest under these names.
world = test_making.world
journey = test_making.journey


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def back_link(page: str) -> str:
    return re.search(r'<a href="([^"]*)" class="govuk-back-link"', page)[1]


def refer_links(page: str) -> list[str]:
    return re.findall(r'href="(/referrals/new\?[^"]*service=[^"]*)"', page)


# Where "Refer to this service" is offered


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_the_service_page_offers_to_refer_to_it(world, as_role, role):
    page = page_of(as_role(role).get(f"/services/{world.parcels.id}"))
    [link] = refer_links(page)
    assert f"service={world.parcels.id}" in link
    assert f"back=/services/{world.parcels.id}" in link
    assert "Refer to this service" in page


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_people_who_make_no_referrals_are_not_offered_it(world, as_role, role):
    client = as_role(role)
    assert refer_links(page_of(client.get(f"/services/{world.parcels.id}"))) == []
    assert refer_links(page_of(client.get("/directory"))) == []


def test_a_closed_service_is_not_offered(world, caseworker_client):
    world.parcels.capacity_status = CapacityStatus.CLOSED
    db.session.commit()
    assert refer_links(page_of(caseworker_client.get(f"/services/{world.parcels.id}"))) == []
    assert refer_links(page_of(caseworker_client.get("/directory"))) == []


def test_directory_results_and_suggestions_offer_it_with_the_need_searched_for(
    world, caseworker_client
):
    query = f"need={world.food.id}&neighbourhood={world.p.north.id}&age=70"
    page = page_of(caseworker_client.get(f"/directory?{query}"))
    links = refer_links(page)
    assert len(links) == 2  # the suggestion and the result
    for link in links:
        assert f"service={world.parcels.id}" in link and f"need={world.food.id}" in link
        assert "back=/directory?" in link
    # Each link says which service it refers to, for screen readers.
    assert 'Refer to this service<span class="govuk-visually-hidden">: Food parcels' in page
    # The service's own link comes back to this search too.
    assert f'href="/services/{world.parcels.id}?back=/directory?' in page


# The journey from a service


def start_from(journey, service, **args):
    return journey.get("", query_string={"service": service.id, **args})


def test_refer_to_this_service_asks_only_what_is_left(world, journey):
    response = start_from(journey, world.parcels, back=f"/services/{world.parcels.id}")
    assert response.headers["Location"] == f"{NEW}/resident"
    answers = draft_of(journey.client).answers
    # The service meets one need only: it is the need.
    assert (answers["service_id"], answers["need_id"]) == (world.parcels.id, world.food.id)
    page = page_of(journey.get("/resident"))
    assert "You are referring them to Food parcels, Southside Pantry" in page
    assert back_link(page) == f"/services/{world.parcels.id}"
    # Need and service are answered: on to consent.
    journey.answer("/resident", {"resident_id": world.ann.id}, "/consent")
    journey.consent()
    journey.details()
    page = page_of(journey.get("/check"))
    assert "Food parcels" in page and "Food" in page
    journey.send(journey.check_key())
    referral = the_referral()
    assert (referral.to_service_id, referral.need_id) == (world.parcels.id, world.food.id)


def test_a_service_meeting_several_needs_asks_which(world, journey):
    world.parcels.needs = [world.food, world.housing]
    db.session.commit()
    start_from(journey, world.parcels)
    assert "need_id" not in draft_of(journey.client).answers
    journey.answer("/resident", {"resident_id": world.ann.id}, "/need")
    # A need it meets keeps the service: on to consent.
    journey.answer("/need", {"need": world.housing.id}, "/consent")
    assert draft_of(journey.client).answers["service_id"] == world.parcels.id


def test_the_need_searched_for_is_taken_when_the_service_meets_it(world, journey):
    world.parcels.needs = [world.food, world.housing]
    db.session.commit()
    start_from(journey, world.parcels, need=world.housing.id)
    assert draft_of(journey.client).answers["need_id"] == world.housing.id
    # A need it does not meet is not taken.
    money = factories.need("money", "Money")
    db.session.commit()
    start_from(journey, world.parcels, need=money.id)
    assert "need_id" not in draft_of(journey.client).answers


def test_another_need_that_the_service_does_not_meet_asks_for_a_service(world, journey):
    start_from(journey, world.parcels)
    journey.answer("/resident", {"resident_id": world.ann.id}, "/consent")
    journey.answer("/need?change=1", {"need": world.housing.id}, "/service?change=1")
    assert "service_id" not in draft_of(journey.client).answers


def test_a_service_that_does_not_take_the_resident_s_age_is_not_kept(world, journey):
    world.parcels.max_age = 60  # Ann was born in 1950
    db.session.commit()
    start_from(journey, world.parcels)
    journey.answer("/resident", {"resident_id": world.ann.id}, "/service")
    page = page_of(journey.get("/service"))
    assert "Food parcels does not take people of their age" in page
    assert "service_id" not in draft_of(journey.client).answers


def test_a_new_resident_can_be_added_for_the_service(world, journey):
    start_from(journey, world.parcels)
    journey.new_resident()
    journey.get("/new-resident/same-person")  # no one like them: on to where they live
    journey.answer(
        "/new-resident/address",
        {"postcode": "m9 4dh", "neighbourhood": world.p.north.id},
        "/new-resident/contact",
    )
    journey.answer(
        "/new-resident/contact",
        {"phone": "0161 496 0000", "email": "", "preferred_contact": "phone"},
        "/new-resident/language",
    )
    journey.answer(
        "/new-resident/language",
        {"language": "English", "interpreter_needed": "no", "accessibility_needs": ""},
        "/consent",
    )


def test_the_service_chosen_first_is_offered_even_when_far_down_the_list(world, journey):
    # Twenty better services (covering Ann's neighbourhood) push it off the first page.
    far = factories.service(
        world.p.council, name="Faraway food", needs=[world.food], neighbourhoods=[world.p.south]
    )
    for number in range(22):
        factories.service(
            world.p.pantry,
            name=f"Nearby food {number}",
            needs=[world.food],
            neighbourhoods=[world.p.north],
        )
    db.session.commit()
    start_from(journey, far)
    journey.answer("/resident", {"resident_id": world.ann.id}, "/consent")
    page = page_of(journey.get("/service"))
    assert f'value="{far.id}" checked' in page


def test_a_service_that_is_not_there_is_not_found(world, journey):
    for service in ("999999", "abc", "99999999999999999999"):
        assert journey.get("", query_string={"service": service}).status_code == 404


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_the_journey_s_back_link_never_leaves_the_site(world, journey, back):
    start_from(journey, world.parcels, back=back)
    page = page_of(journey.get("/resident"))
    assert "evil" not in page
    assert back_link(page) == "/"


def test_the_draft_of_a_service_referral_lives_on_the_server(world, journey):
    start_from(journey, world.parcels, back="/directory?words=ann+smith")
    assert "ann" not in readable_cookie(journey.client).lower()
    assert draft_of(journey.client).answers[draft.CAME_FROM] == "/directory?words=ann+smith"


# Check answers


def test_check_answers_shows_everything_with_a_change_link_for_each(world, journey):
    world.ann.nhs_number = "9434765919"
    db.session.commit()
    journey.to_check(world.ann, world.food, world.parcels)
    journey.answer(
        "/details?change=1",
        {
            "urgency": "urgent",
            "summary": "Needs food",
            "phone": "+44 161 496 0777",
            "email": "ann@example.org",
            "preferred_contact": "email",
            "best_times": "Mornings",
            "language": "English",
            "interpreter_needed": "no",
            "accessibility_needs": "",
        },
        "/check",
    )
    page = page_of(journey.get("/check"))
    for shown in ("0161 496 0777", "ann@example.org", "943 476 5919", "M9 4DH", "2 January 1950"):
        assert shown in page, shown
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>(.*?)</div>', page, re.S
    )
    assert len(rows) >= 15
    for key, rest in rows:
        assert ">Change<" in rest, f"{key} has no Change link"
    check = f"back={NEW}/check"
    for part in ("date-of-birth", "nhs-number", "address"):
        assert f'href="/residents/{world.ann.id}/{part}?{check}"' in page
    for what in ("phone", "email"):
        assert (
            f'href="{NEW}/details?change=1">Change<span class="govuk-visually-hidden"> {what}'
            in page
        )


def test_a_change_to_the_record_from_check_answers_comes_back_to_it(world, journey):
    journey.to_check(world.ann, world.food, world.parcels)
    url = f"/residents/{world.ann.id}/date-of-birth?back={NEW}/check"
    page = page_of(journey.client.get(url))
    assert back_link(page) == f"{NEW}/check"
    response = journey.client.post(
        url, data={"csrf_token": journey.token, "date_of_birth": ["3", "4", "1951"]}
    )
    assert response.headers["Location"] == f"{NEW}/check"
    assert "3 April 1951" in page_of(journey.get("/check"))
    assert access_rows(world.ann, AccessAction.CHANGE) == 1


def test_contact_details_given_when_referring_update_the_record_in_normal_form(world, journey):
    journey.to_check(world.ann, world.food, world.parcels)
    journey.answer(
        "/details?change=1",
        {
            "urgency": "routine",
            "summary": "Needs food",
            "phone": "01614960999",
            "email": "",
            "preferred_contact": "phone",
            "language": "English",
            "interpreter_needed": "no",
        },
        "/check",
    )
    journey.send(journey.check_key())
    db.session.expire_all()
    assert db.session.get(Resident, world.ann.id).phone == "0161 496 0999"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "abc"}, "Enter a UK phone number, like 0161 496 0000"),
        ({"phone": ""}, "Enter a phone number, or choose another way to contact them"),
        (
            {"preferred_contact": "email", "email": ""},
            "Enter an email address, or choose another way to contact them",
        ),
        ({"email": "not an email"}, "Enter an email address in the correct format"),
    ],
)
def test_the_details_page_checks_contact_details(world, journey, changes, message):
    journey.choose(world.ann)
    journey.need(world.food)
    journey.service(world.parcels)
    journey.consent()
    data = {
        "urgency": "routine",
        "summary": "Needs food",
        "phone": ANN_PHONE,
        "email": "",
        "preferred_contact": "phone",
        "language": "English",
        "interpreter_needed": "no",
    }
    response = journey.post("/details", {**data, **changes})
    assert response.status_code == 200
    assert message in page_of(response)
    assert "details" not in draft_of(journey.client).answers


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone": "abc", "preferred_contact": "letter"}, "Enter a UK phone number"),
        ({"phone": "", "email": "", "preferred_contact": "email"}, "Enter an email address, or"),
        ({"phone": "+33 1 23 45 67 89", "preferred_contact": "phone"}, "Enter a UK phone number"),
    ],
)
def test_a_new_resident_s_contact_details_are_checked(world, journey, data, message):
    journey.new_resident()
    journey.get("/new-resident/same-person")  # no one like them: on to where they live
    journey.answer(
        "/new-resident/address",
        {"postcode": "", "neighbourhood": world.p.north.id},
        "/new-resident/contact",
    )
    response = journey.post("/new-resident/contact", data)
    assert response.status_code == 200
    assert message in page_of(response)


# Back links to where the person came from


def test_the_referral_page_goes_back_to_the_list_it_came_from(world, partnership, as_role):
    referral = factories.referral(partnership, to_service=world.parcels, resident=world.ann)
    db.session.commit()
    url = f"/referrals/{referral.id}"
    back = "/inbox?tab=closed&q=smith&page=2"
    page = page_of(as_role(Role.COORDINATOR).get(url, query_string={"back": back}))
    assert back_link(page) == f"{back}"
    # Without one: the box it is in for this side.
    assert back_link(page_of(as_role(Role.COORDINATOR).get(url))) == "/inbox"
    assert back_link(page_of(as_role(Role.CASEWORKER).get(url))) == "/outbox"


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/" + "a" * 2001,
    ],
)
def test_back_links_never_lead_off_the_site(world, partnership, as_role, back):
    referral = factories.referral(partnership, to_service=world.parcels, resident=world.ann)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    for url in (f"/referrals/{referral.id}", f"/services/{world.parcels.id}"):
        page = page_of(client.get(url, query_string={"back": back}))
        link = back_link(page)
        assert link in ("/outbox", "/directory"), (url, link)


def test_the_service_page_goes_back_to_the_search_or_referral_it_came_from(world, as_role):
    client = as_role(Role.CASEWORKER)
    url = f"/services/{world.parcels.id}"
    back = "/directory?need=1&age=70"
    assert back_link(page_of(client.get(url, query_string={"back": back}))) == back
    assert back_link(page_of(client.get(url))) == "/directory"
    # Its coordinator came from their services.
    assert back_link(page_of(as_role(Role.COORDINATOR).get(url))) == "/services"


def test_no_new_resident_s_data_is_left_behind_by_the_service_start(world, journey):
    """Starting from a service throws any earlier draft away, as starting afresh does."""
    journey.choose(world.ann)
    start_from(journey, world.parcels)
    assert "resident_id" not in draft_of(journey.client).answers
    assert db.session.scalar(select(Resident.id).where(Resident.given_name == "Bea")) is None
    assert world.ann.date_of_birth == date(1950, 1, 2)


def test_going_back_step_by_step_retraces_the_way(world, partnership, as_role):
    referral = factories.referral(partnership, to_service=world.parcels, resident=world.ann)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    search = "/outbox?q=smith"
    referral_page = page_of(client.get(f"/referrals/{referral.id}", query_string={"back": search}))
    resident_link = re.search(r'href="(/residents/\d+\?back=[^"]+)"', referral_page)[1]
    resident_page = page_of(client.get(resident_link))
    # The resident's page goes back to the referral page, which still goes back to the search.
    referral_again = back_link(resident_page)
    assert back_link(page_of(client.get(referral_again))) == search
