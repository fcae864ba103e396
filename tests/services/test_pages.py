"""Coordinators post capacity and manage their services; everyone signed in sees a service."""

import re

import pytest
from markupsafe import escape

from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    Event,
    Neighbourhood,
    Role,
    Service,
    WaitBand,
)
from partnership.services.capacity import post_capacity
from tests.conftest import sign_in_as
from tests.services.conftest import count, form_action, reload, text, written

HTMX = {"HX-Request": "true"}


def hx_post_url(page: str, service: Service) -> str:
    urls = re.findall(r'hx-post="([^"]+)"', page)
    mine = [u.replace("&amp;", "&") for u in urls if f"/services/{service.id}/capacity" in u]
    assert mine, f"no htmx capacity form for {service.name}"
    return mine[0]


# Done when: a coordinator posts "3 places" from their home page.


def test_coordinator_posts_three_places_from_the_home_page_without_javascript(
    services, coordinator_client
):
    home = coordinator_client.get("/").get_data(as_text=True)
    action = form_action(home, services.parcels)
    assert action == f"/services/{services.parcels.id}/capacity?next=/"

    response = coordinator_client.post_form(
        action, {"status": "open", "places": "3", "wait_band": "", "note": ""}, form_page="/"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Posted capacity for Food parcels: Open, 3 places" in text(coordinator_client.get("/"))

    page = text(coordinator_client.get(f"/services/{services.parcels.id}"))
    assert "Open 3 places" in page
    assert "Updated just now by Cora Ordinator" in page
    assert reload(services.parcels).places_available == 3
    assert written(services.parcels) == (1, 1)


def test_with_htmx_the_post_sends_back_the_row_in_place(services, coordinator_client):
    home = coordinator_client.get("/").get_data(as_text=True)
    url = hx_post_url(home, services.parcels)
    assert f'hx-target="#service-row-{services.parcels.id}"' in home

    response = coordinator_client.post_form(
        url,
        {"status": "limited", "places": "2", "wait_band": "", "note": "Urgent only"},
        form_page="/",
        headers=HTMX,
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(
        f'<tbody class="govuk-table__body" id="service-row-{services.parcels.id}"'
    )
    assert "<html" not in fragment
    assert "Posted: Limited, 2 places" in text(response)
    assert "Updated just now by Cora Ordinator" in text(response)
    assert reload(services.parcels).capacity_status is CapacityStatus.LIMITED
    assert written(services.parcels) == (1, 1)


def test_with_htmx_the_service_page_gets_its_capacity_and_history_back(
    services, coordinator_client
):
    page_url = f"/services/{services.parcels.id}"
    page = coordinator_client.get(page_url).get_data(as_text=True)
    url = hx_post_url(page, services.parcels)

    response = coordinator_client.post_form(
        url,
        {"status": "waitlist", "places": "", "wait_band": "1-3-months", "note": "Busy"},
        form_page=page_url,
        headers=HTMX,
    )
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<section id="service-capacity-{services.parcels.id}"')
    words = text(response)
    assert "Waiting list: 1 to 3 months" in words
    assert "Waiting list, wait 1 to 3 months Busy Cora Ordinator" in words  # the history row


def test_every_post_adds_one_to_the_history_and_raises_one_event(services, coordinator_client):
    url = f"/services/{services.parcels.id}/capacity"
    for number, places in enumerate(["5", "4", "0"], start=1):
        status = "full" if places == "0" else "open"
        coordinator_client.post_form(
            url, {"status": status, "places": places, "note": "secret note"}, form_page=url
        )
        assert written(services.parcels) == (number, number)
    events = db.session.scalars(
        db.select(Event).where(Event.service_id == services.parcels.id).order_by(Event.id)
    ).all()
    assert [e.detail for e in events] == [
        {"status": "open", "places": 5},
        {"status": "open", "places": 4},
        {"status": "full", "places": 0},
    ]
    page = text(coordinator_client.get(f"/services/{services.parcels.id}"))
    assert page.count("secret note") == 4  # three history rows and the note shown now


def test_the_history_shows_the_latest_twenty_posts(services, caseworker_client):
    coordinator = services.users[Role.COORDINATOR]
    for places in range(1, 26):
        post_capacity(services.parcels, coordinator, "open", places, None, f"post {places}")
    db.session.commit()
    page = caseworker_client.get(f"/services/{services.parcels.id}").get_data(as_text=True)
    notes = re.findall(r"<td class=\"govuk-table__cell\">post (\d+)</td>", page)
    assert notes == [str(n) for n in range(25, 5, -1)]


# Bad input: a clear message, status 200, nothing written.

BAD_POSTS = [
    ({"status": "open", "places": "-2"}, "places", "Places cannot be less than 0"),
    ({"status": "open", "places": "three"}, "places", "Enter places as a whole number, like 3"),
    (
        {"status": "waitlist", "places": "", "wait_band": ""},
        "wait_band",
        "Select how long the wait is for the waiting list",
    ),
    (
        {"status": "open", "places": "3", "note": "x" * 201},
        "note",
        "Note must be 200 characters or fewer",
    ),
    ({"places": "3"}, "status", "Select the service's capacity now"),
    (
        {"status": "full", "places": "4"},
        "places",
        "A full service has no places: select Open or Limited, or enter 0",
    ),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_POSTS)
def test_bad_capacity_without_javascript_comes_back_with_an_error_summary(
    services, coordinator_client, data, field, message
):
    url = f"/services/{services.parcels.id}/capacity?next=/"
    response = coordinator_client.post_form(url, data, form_page="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in page
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.DOTALL).group(0)
    assert str(escape(message)) in summary
    assert f'href="#{field}"' in summary
    assert f'action="/services/{services.parcels.id}/capacity?next=/"' in page
    assert written(services.parcels) == (0, 0)
    assert reload(services.parcels).places_available == 10


@pytest.mark.parametrize(("data", "field", "message"), BAD_POSTS)
def test_bad_capacity_with_htmx_comes_back_in_place_with_the_error(
    services, coordinator_client, data, field, message
):
    url = f"/services/{services.parcels.id}/capacity?next=/&partial=row"
    response = coordinator_client.post_form(url, data, form_page="/", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith("<tbody")
    error = re.search(
        rf'<p id="{field}-{services.parcels.id}-error" class="govuk-error-message">(.*?)</p>',
        fragment,
        re.DOTALL,
    )
    assert error, fragment
    assert str(escape(message)) in error.group(1)
    assert written(services.parcels) == (0, 0)
    # An error summary lists it, linking to the field: focus goes there (app.mjs).
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', fragment, re.DOTALL)
    assert summary, fragment
    assert f'href="#{field}-{services.parcels.id}"' in summary.group(0)
    assert "There is a problem with the capacity for Food parcels" in summary.group(0)


def test_capacity_posted_with_htmx_comes_back_marked_to_take_focus(services, coordinator_client):
    for partial in ("row", "summary"):
        url = f"/services/{services.parcels.id}/capacity?next=/&partial={partial}"
        data = {"status": "limited", "places": "3"}
        fragment = coordinator_client.post_form(url, data, form_page="/", headers=HTMX).get_data(
            as_text=True
        )
        status = re.search(r"<p [^>]*role=\"status\"[^>]*>Posted: Limited, 3 places</p>", fragment)
        assert status, fragment
        assert 'tabindex="-1" data-app-focus' in status.group(0)
        assert "govuk-error-summary" not in fragment


def test_bad_capacity_on_the_service_page_with_htmx_has_an_error_summary(
    services, coordinator_client
):
    url = f"/services/{services.parcels.id}/capacity?partial=summary"
    page = f"/services/{services.parcels.id}"
    response = coordinator_client.post_form(
        url, {"status": "open", "places": "lots"}, form_page=page, headers=HTMX
    )
    fragment = response.get_data(as_text=True)
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', fragment, re.DOTALL)
    assert summary, fragment
    assert 'href="#places"' in summary.group(0)


def test_a_wait_left_over_in_the_form_does_not_stop_a_service_opening(services, coordinator_client):
    url = f"/services/{services.advice.id}/capacity"
    council = sign_in_as(coordinator_client.application.test_client(), services.council_coordinator)
    response = council.post_form(
        url, {"status": "open", "places": "4", "wait_band": "1-4-weeks"}, form_page=url
    )
    assert response.status_code == 302
    advice = reload(services.advice)
    assert (advice.capacity_status, advice.places_available, advice.wait_band) == (
        CapacityStatus.OPEN,
        4,
        None,
    )


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_after_a_post_people_only_go_back_to_pages_on_this_site(
    services, coordinator_client, next_page
):
    url = f"/services/{services.parcels.id}/capacity"
    response = coordinator_client.post_form(
        url, {"status": "open", "places": "3"}, form_page=url, query_string={"next": next_page}
    )
    assert response.headers["Location"] == f"/services/{services.parcels.id}"


# Who may change a service: only coordinators of the organisation that runs it.


@pytest.fixture(params=["other coordinator", Role.CASEWORKER, Role.LEAD, Role.ADMIN])
def not_the_owner(request, services, app, as_role):
    if request.param == "other coordinator":
        return sign_in_as(app.test_client(), services.council_coordinator)
    return as_role(request.param)


def test_nobody_but_the_owning_coordinators_can_change_a_service(services, not_the_owner):
    parcels = services.parcels
    csrf = not_the_owner.csrf_token("/")
    base = f"/services/{parcels.id}"
    assert not_the_owner.get(f"{base}/edit").status_code == 404
    assert not_the_owner.get(f"{base}/capacity").status_code == 404
    for url, data in [
        (f"{base}/edit", {"name": "Taken over", "needs": services.food.id}),
        (f"{base}/close", {}),
        (f"{base}/capacity", {"status": "full", "places": "0"}),
        (f"{base}/capacity?partial=row", {"status": "full", "places": "0"}),
    ]:
        response = not_the_owner.post(url, data={"csrf_token": csrf, **data}, headers=HTMX)
        assert response.status_code == 404, url
    assert written(parcels) == (0, 0)
    parcels = reload(parcels)
    assert (parcels.name, parcels.places_available) == ("Food parcels", 10)
    # Seeing the service is fine, but without anything to change it.
    page = not_the_owner.get(base).get_data(as_text=True)
    assert "Food parcels" in page
    assert "/capacity" not in page
    assert "Change details" not in page
    assert "Close service" not in page


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.LEAD, Role.ADMIN])
def test_only_coordinators_add_services_or_list_their_own(services, as_role, role):
    client = as_role(role)
    csrf = client.csrf_token("/")
    assert client.get("/services/new").status_code == 404
    assert client.get("/services").status_code == 404
    response = client.post(
        "/services/new",
        data={
            "csrf_token": csrf,
            "name": "Sneaky service",
            "needs": services.food.id,
            "neighbourhoods": services.north.id,
        },
    )
    assert response.status_code == 404
    assert count(Service) == 2


def test_a_new_service_always_belongs_to_the_coordinators_own_organisation(services, app):
    council = sign_in_as(app.test_client(), services.council_coordinator)
    response = council.post_form(
        "/services/new",
        {
            "name": "Pantry takeover",
            "needs": services.food.id,
            "neighbourhoods": services.north.id,
            "organisation_id": services.pantry.id,
        },
    )
    assert response.status_code == 302
    created = db.session.scalars(db.select(Service).where(Service.name == "Pantry takeover")).one()
    assert created.organisation_id == services.council.id
    assert count(Service, Service.organisation_id == services.pantry.id) == 1


def test_signed_out_people_are_sent_to_sign_in(services, client):
    for url in [f"/services/{services.parcels.id}", "/services", "/services/new"]:
        assert client.get(url).headers["Location"].startswith("/sign-in")
    assert written(services.parcels) == (0, 0)


# The pages


def test_a_caseworker_sees_everything_needed_to_refer(services, caseworker_client):
    parcels = services.parcels
    parcels.min_age, parcels.max_age = 18, None
    parcels.eligibility_notes = "Anyone in crisis"
    parcels.contact_email, parcels.contact_phone = "help@pantry.example", "0113 496 0000"
    parcels.referral_instructions = "Say how many children"
    parcels.description = "Three days' food"
    post_capacity(parcels, services.users[Role.COORDINATOR], "waitlist", 0, "1-4-weeks", "")
    page = text(caseworker_client.get(f"/services/{parcels.id}"))
    for words in [
        "Southside Pantry",
        "Three days' food",
        "Waiting list: 1 to 4 weeks 0 places",
        "Updated just now by Cora Ordinator",
        "Needs it meets Food",
        "Neighbourhoods covered Northside, Southside",
        "Age 18 and over",
        "Who it is for Anyone in crisis",
        "help@pantry.example 0113 496 0000",
        "How to refer Say how many children",
    ]:
        assert words in page


def test_capacity_nobody_has_confirmed_for_a_week_is_flagged(services, caseworker_client):
    from datetime import timedelta

    from partnership import clock

    services.parcels.capacity_updated_at = clock.now() - timedelta(days=8)
    services.parcels.capacity_updated_by = services.users[Role.COORDINATOR]
    db.session.commit()
    page = text(caseworker_client.get(f"/services/{services.parcels.id}"))
    assert "Updated 8 days ago by Cora Ordinator" in page
    assert "Nobody has confirmed this capacity for over a week" in page


def test_capacity_nobody_has_posted_says_so_however_recent(services, caseworker_client):
    """As an import leaves it: set just now, but by no one in the partnership."""
    page = text(caseworker_client.get(f"/services/{services.parcels.id}"))
    assert "Not posted yet" in page
    assert "Updated just now" not in page
    assert "Nobody at Southside Pantry has posted this capacity yet" in page


def test_the_coordinators_services_list_shows_only_their_own(services, coordinator_client):
    response = coordinator_client.get("/services")
    page = response.get_data(as_text=True)
    assert "Food parcels" in page
    assert "Welfare rights advice" not in page
    assert "Add a service" in page
    assert form_action(page, services.parcels) == (
        f"/services/{services.parcels.id}/capacity?next=/services"
    )


def test_a_coordinator_adds_a_service_in_their_neighbourhoods(services, coordinator_client):
    form = {
        "name": "Baby bank",
        "description": "Clothes, nappies and prams",
        "needs": [services.food.id],
        "neighbourhoods": [services.south.id],
        "min_age": "16",
        "max_age": "",
        "contact_email": "babies@pantry.example",
        "website": "www.pantry.example/babies",
    }
    response = coordinator_client.post_form("/services/new", form)
    created = db.session.scalars(db.select(Service).where(Service.name == "Baby bank")).one()
    assert response.headers["Location"] == f"/services/{created.id}"
    assert created.organisation_id == services.pantry.id
    assert [n.name for n in created.neighbourhoods] == ["Southside"]
    assert [n.slug for n in created.needs] == ["food"]
    assert (created.min_age, created.max_age) == (16, None)
    assert created.website == "https://www.pantry.example/babies"
    # Its history starts with what the directory shows: open, not limited by places.
    assert written(created) == (1, 1)
    page = text(coordinator_client.get(f"/services/{created.id}"))
    assert "Added Baby bank" in page
    # Nobody has said how much room it has yet: it starts open, but not "updated just now".
    assert "Not posted yet" in page
    assert created.capacity_updated_by is None


def test_a_service_nobody_can_receive_referrals_for_says_so_on_its_page(
    services, caseworker_client
):
    parcels = services.parcels
    parcels.referral_instructions = "Phone us first"
    services.users[Role.COORDINATOR].active = False  # the pantry's only caseworker or coordinator
    db.session.commit()
    page = text(caseworker_client.get(f"/services/{parcels.id}"))
    said = (
        "Food parcels takes no referrals through North Valley Partnership: nobody at "
        "Southside Pantry can receive them yet. Contact the service directly."
    )
    assert page.count(said) == 2  # as a warning, and as how to refer
    assert "Phone us first" not in page

    services.users[Role.COORDINATOR].active = True
    db.session.commit()
    page = text(caseworker_client.get(f"/services/{parcels.id}"))
    assert "takes no referrals" not in page
    assert "How to refer Phone us first" in page


def test_a_service_covers_only_neighbourhoods_its_organisation_serves(services, coordinator_client):
    elsewhere = Neighbourhood(name="Eastside")
    db.session.add(elsewhere)
    db.session.commit()
    page = coordinator_client.get("/services/new").get_data(as_text=True)
    assert "Northside" in page
    assert "Eastside" not in page
    response = coordinator_client.post_form(
        "/services/new",
        {"name": "Far away", "needs": services.food.id, "neighbourhoods": elsewhere.id},
    )
    assert response.status_code == 200
    assert "<title>Error: " in response.get_data(as_text=True)
    assert count(Service) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the name of the service"),
        ({"needs": []}, "Select at least one need the service meets"),
        ({"neighbourhoods": []}, "Select at least one neighbourhood the service covers"),
        ({"min_age": "ten"}, "Enter the youngest age as a number from 0 to 120"),
        ({"min_age": "30", "max_age": "20"}, "The oldest age must be the same as or more than"),
        ({"contact_email": "not an email"}, "Enter an email address in the correct format"),
        ({"website": "not a website"}, "Enter a website address like https://www.example.org"),
    ],
)
def test_changing_a_service_checks_what_is_typed(services, coordinator_client, changes, message):
    url = f"/services/{services.parcels.id}/edit"
    form = {
        "name": "Food parcels",
        "needs": [services.food.id],
        "neighbourhoods": [services.north.id],
    }
    response = coordinator_client.post_form(url, form | changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.DOTALL).group(0)
    assert str(escape(message)) in summary
    assert [n.name for n in reload(services.parcels).neighbourhoods] == ["Northside", "Southside"]


def test_a_coordinator_changes_a_services_details(services, coordinator_client):
    url = f"/services/{services.parcels.id}/edit"
    page = coordinator_client.get(url).get_data(as_text=True)
    assert 'value="Food parcels"' in page
    response = coordinator_client.post_form(
        url,
        {
            "name": "Emergency food parcels",
            "needs": [services.food.id, services.money.id],
            "neighbourhoods": [services.north.id],
            "min_age": "18",
            "max_age": "",
        },
    )
    assert response.headers["Location"] == f"/services/{services.parcels.id}"
    parcels = reload(services.parcels)
    assert parcels.name == "Emergency food parcels"
    assert sorted(n.slug for n in parcels.needs) == ["food", "money-and-debt"]
    assert [n.name for n in parcels.neighbourhoods] == ["Northside"]
    assert parcels.min_age == 18
    # Changing the details is not a capacity post.
    assert written(parcels) == (0, 0)


def test_closing_a_service_is_a_capacity_post(services, coordinator_client):
    url = f"/services/{services.parcels.id}"
    response = coordinator_client.post_form(f"{url}/close", form_page=url)
    assert response.headers["Location"] == url
    parcels = reload(services.parcels)
    assert (parcels.capacity_status, parcels.places_available) == (CapacityStatus.CLOSED, 0)
    assert written(parcels) == (1, 1)
    page = text(coordinator_client.get(url))
    assert "Closed Food parcels" in page
    assert "Close service" not in page


def test_a_waiting_list_shows_its_wait_on_the_home_page(services, coordinator_client):
    services.parcels.capacity_status = CapacityStatus.WAITLIST
    services.parcels.wait_band = WaitBand.OVER_3_MONTHS
    db.session.commit()
    assert "Waiting list: over 3 months" in text(coordinator_client.get("/"))


# Pages that stay true: capacity comes again when a post or an accept changes it.


def _live_region(page: str, element_id: str) -> dict:
    """The attributes of the element with `element_id` (a page's live region)."""
    tag = re.search(rf'<[a-z]+[^>]*\sid="{element_id}"[^>]*>', page, re.DOTALL)
    assert tag, f"no element #{element_id}"
    return dict(re.findall(r'\s([a-z-]+)="([^"]*)"', tag.group(0)))


@pytest.mark.parametrize("who", ["caseworker_client", "coordinator_client"])
def test_the_service_page_fetches_its_capacity_again_on_each_of_its_events(services, request, who):
    """For everyone, its coordinators too; never the form being filled in."""
    client = request.getfixturevalue(who)
    parcels = services.parcels
    page = client.get(f"/services/{parcels.id}").get_data(as_text=True)
    now = _live_region(page, f"service-capacity-now-{parcels.id}")
    assert now["hx-get"] == f"/services/{parcels.id}"
    assert now["hx-trigger"] == f"sse:service-{parcels.id}, sse:resync"
    assert now["hx-select"] == f"#service-capacity-now-{parcels.id}"
    assert now["hx-select-oob"] == f"#service-capacity-history-{parcels.id}"
    assert _live_region(page, f"service-capacity-history-{parcels.id}")
    start = page.index(f'id="service-capacity-now-{parcels.id}"')
    heading = page.find("Post capacity</h3>", start)
    end = heading if heading != -1 else page.index(f'id="service-capacity-history-{parcels.id}"')
    assert "<form" not in page[start:end]


def test_a_coordinators_service_rows_fetch_their_capacity_again(services, coordinator_client):
    parcels = services.parcels
    for page_url in ("/", "/services"):
        page = coordinator_client.get(page_url).get_data(as_text=True)
        row = _live_region(page, f"service-row-now-{parcels.id}")
        assert row["hx-get"] == "/services"
        assert row["hx-trigger"] == f"sse:service-{parcels.id}, sse:resync"
        assert row["hx-select"] == f"#service-row-now-{parcels.id}"


def test_after_the_last_place_is_taken_every_page_says_full(services, caseworker_client):
    from partnership.services.capacity import take_place

    parcels = services.parcels
    post_capacity(parcels, services.users[Role.COORDINATOR], "limited", 1, None, "")
    db.session.commit()
    assert take_place(parcels.id)
    db.session.commit()
    now = text(caseworker_client.get(f"/services/{parcels.id}"))
    assert "Capacity Full 0 places" in now
    assert "Limited" not in now.split("Capacity history")[0]
    directory = text(caseworker_client.get("/directory?words=parcels"))
    assert "Food parcels" in directory and "Full Places available: 0." in directory


def test_the_capacity_page_of_its_own_posts_as_an_ordinary_form(services, coordinator_client):
    """Where the no-JavaScript error path leads: nothing on it for htmx to swap into, so its
    form is a plain form with JavaScript on too (htmx aimed it at a missing target)."""
    url = f"/services/{services.parcels.id}/capacity"
    page = coordinator_client.get(url).get_data(as_text=True)
    form = re.search(r"<form[^>]*>", page[page.index("<main") :], re.DOTALL).group(0)
    assert f'action="{url}"' in form and 'method="post"' in form
    assert "hx-post" not in form and "hx-target" not in form
    # The pages with a place to swap into keep their htmx forms.
    assert f'hx-target="#service-capacity-{services.parcels.id}"' in (
        coordinator_client.get(f"/services/{services.parcels.id}").get_data(as_text=True)
    )
