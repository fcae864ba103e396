"""Pages that stay true while they are open, in real browsers: two people at once, each in
a browser context of their own (the referrer at the surgery, the service at the food
bank), neither reloading. Issue #13, point 2.
"""

from datetime import date
from itertools import count

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import ConsentGiver, NeedCategory, Resident, Service, Urgency, User
from partnership.referrals.lifecycle import ConsentGiven, send
from partnership.services.capacity import post_capacity
from tests.browser.conftest import RECORD_CSP_VIOLATIONS, sign_in
from tests.browser.test_pages import assert_page_is_sound

REFERRER = "caseworker@demo.example"  # Priya Shah, Ashbrook Medical Practice
SERVICE = "coordinator@demo.example"  # Tom Whitaker, Calder Bank Food Bank
_residents = count(1)


def _watched(context):
    """A page as the `page` fixture makes one: axe at hand, console errors and CSP
    violations recorded, so `assert_page_is_sound` can check it."""
    page = context.new_page()
    page.problems = []
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.add_init_script(AXE_SCRIPT)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and page.problems.append(f"console error: {message.text} ({message.location['url']})")
        ),
    )
    page.on("pageerror", lambda error: page.problems.append(f"uncaught exception: {error}"))
    return page


@pytest.fixture
def people(browser, live_server):
    """The referrer's and the service's browsers, each signed in, JavaScript on."""
    contexts = []

    def person(email: str, **options):
        context = browser.new_context(
            base_url=live_server, viewport={"width": 1280, "height": 900}, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = _watched(context)
        sign_in(page, email)
        return page

    yield person
    for context in contexts:
        context.close()


def _open_live(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live updates: on")


def _send(live_server, service_name: str = "Food parcels") -> int:
    """The referrer sends a referral behind the scenes (sending has tests of its own)."""
    with live_server.app.app_context():
        priya = db.session.scalar(select(User).where(User.email == REFERRER))
        service = db.session.scalar(select(Service).where(Service.name == service_name))
        food = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == "food"))
        resident = Resident(
            given_name="Rita",
            family_name=f"Stale{next(_residents)}",
            date_of_birth=date(1958, 3, 9),
            neighbourhood_id=service.neighbourhoods[0].id,
            created_by_organisation_id=priya.organisation_id,
        )
        db.session.add(resident)
        db.session.flush()
        referral, _ = send(
            priya,
            resident=resident,
            need=food,
            service=service,
            urgency=Urgency.ROUTINE,
            summary="Sent while both pages are open",
            consent=ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the food bank"),
        )
        db.session.commit()
        referral_id = referral.id
        db.session.remove()
        return referral_id


def _row(page, key: str):
    """The value of a row of the referral's summary list."""
    row = page.locator("#referral-details .govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=key)
    )
    return row.locator(".govuk-summary-list__value")


def _press(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_the_referrer_sees_the_service_open_accept_start_and_complete(people, live_server):
    referral = _send(live_server)
    referrer, service = people(REFERRER), people(SERVICE)
    _open_live(referrer, f"/referrals/{referral}")
    tags = referrer.locator("#referral-tags")
    expect(tags).to_have_text("Waiting for a reply")
    expect(_row(referrer, "Opened by the service")).to_have_text("Not yet")
    # The referrer starts typing why they might cancel; a live update must not lose it.
    referrer.get_by_label("Why are you cancelling the referral?").fill("Resident may move")

    _open_live(service, f"/referrals/{referral}")  # the first look by the service opens it
    expect(_row(referrer, "Opened by the service")).not_to_have_text("Not yet")
    expect(referrer.get_by_label("Why are you cancelling the referral?")).to_have_value(
        "Resident may move"
    )

    _press(service, "Accept referral")
    expect(tags).to_have_text("Accepted")
    expect(_row(referrer, "Status")).to_have_text("Accepted")
    # Either side may cancel an accepted referral: the referrer still can.
    expect(referrer.get_by_role("button", name="Cancel referral")).to_be_visible()

    _press(service, "Start work")
    expect(tags).to_have_text("In progress")

    service.get_by_label("Need met", exact=True).check()
    _press(service, "Complete referral")
    expect(tags).to_have_text("Completed")
    expect(_row(referrer, "Outcome")).to_have_text("Need met")
    expect(referrer.get_by_role("button", name="Cancel referral")).to_have_count(0)
    expect(referrer.locator("#referral-actions")).to_contain_text(
        "There is nothing for your organisation to do on this referral now."
    )
    # The timeline followed too, and nothing was fetched twice into a broken page.
    expect(referrer.locator("#referral-timeline")).to_contain_text("Completed")
    assert_page_is_sound(referrer)
    assert_page_is_sound(service)


def test_the_referrer_sees_a_decline_with_its_reason_and_can_forward(people, live_server):
    referral = _send(live_server)
    referrer, service = people(REFERRER), people(SERVICE)
    _open_live(referrer, f"/referrals/{referral}")
    _open_live(service, f"/referrals/{referral}")
    expect(referrer.get_by_role("button", name="Cancel referral")).to_be_visible()

    service.get_by_label("Not eligible for the service").check()
    _press(service, "Decline referral")
    expect(referrer.locator("#referral-tags")).to_have_text("Declined")
    expect(_row(referrer, "Reason declined")).to_have_text("Not eligible for the service")
    expect(referrer.get_by_role("button", name="Cancel referral")).to_have_count(0)
    expect(referrer.get_by_role("link", name="Forward to another service")).to_be_visible()
    assert_page_is_sound(referrer)


def test_a_message_leaves_the_actions_alone(people, live_server):
    """A message changes nothing the actions depend on: the status fragment answers 204
    and a decline being written is not swapped away."""
    referral = _send(live_server)
    referrer, service = people(REFERRER), people(SERVICE)
    _open_live(service, f"/referrals/{referral}")
    _open_live(referrer, f"/referrals/{referral}")
    service.get_by_label("Another reason").check()
    service.get_by_label("Note", exact=True).fill("We only help over-65s")

    referrer.get_by_label("Message").fill("She can come on Tuesday")
    with service.expect_response(lambda response: "/status?seen=" in response.url) as status:
        _press(referrer, "Send message")
    assert status.value.status == 204
    expect(service.locator("#referral-messages")).to_contain_text("She can come on Tuesday")
    expect(service.get_by_label("Another reason")).to_be_checked()
    expect(service.get_by_label("Note", exact=True)).to_have_value("We only help over-65s")


def test_a_stale_cancel_without_javascript_says_who_declined_and_when(people, live_server):
    """Without JavaScript the page is a plain page: nothing updates, and a press on what
    the page showed before answers in words, changing nothing."""
    referral = _send(live_server)
    referrer = people(REFERRER, java_script_enabled=False)
    service = people(SERVICE)
    referrer.goto(f"/referrals/{referral}")
    expect(referrer.locator("#referral-tags")).to_have_text("Waiting for a reply")

    _open_live(service, f"/referrals/{referral}")
    service.get_by_label("Not eligible for the service").check()
    _press(service, "Decline referral")

    referrer.get_by_label("Why are you cancelling the referral?").fill("Resident moved away")
    response = None
    with referrer.expect_navigation() as navigation:
        referrer.get_by_role("button", name="Cancel referral").click()
    response = navigation.value
    assert response.status == 409
    summary = referrer.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Declined by Calder Bank Food Bank at ")
    expect(summary).to_contain_text("; nothing was changed")
    expect(referrer.locator("#referral-tags")).to_have_text("Declined")
    expect(referrer.get_by_role("button", name="Cancel referral")).to_have_count(0)


def test_a_stale_cancel_with_the_live_stream_down_says_so_on_an_accessible_page(
    people, live_server
):
    """With JavaScript on but the live stream lost (a proxy, a network drop), the page is
    as stale as a plain one: the press answers in the same words, on a page axe passes."""
    referral = _send(live_server)
    referrer, service = people(REFERRER), people(SERVICE)
    referrer.route("**/live?**", lambda route: route.abort())
    referrer.goto(f"/referrals/{referral}")
    referrer.get_by_label("Why are you cancelling the referral?").fill("Resident moved away")

    _open_live(service, f"/referrals/{referral}")
    service.get_by_label("Not eligible for the service").check()
    _press(service, "Decline referral")

    _press(referrer, "Cancel referral")
    expect(referrer.locator(".govuk-error-summary")).to_contain_text(
        "Declined by Calder Bank Food Bank at "
    )
    expect(referrer.locator("#referral-tags")).to_have_text("Declined")
    # Expected: the stream refused ("[object Event]" is htmx's SSE error), and the 409.
    assert_page_is_sound(referrer, expected_errors=("/live?", "[object Event]", "status of 409"))


def test_an_accept_that_takes_places_changes_every_open_page_that_shows_them(people, live_server):
    """The directory and the service page the referrer has open, and the service's own
    home page, follow the accepts that take the service's last two places."""
    with live_server.app.app_context():
        pantry = db.session.scalar(select(Service).where(Service.name == "Community pantry"))
        tom = db.session.scalar(select(User).where(User.email == SERVICE))
        post_capacity(pantry, tom, "limited", 2, None, "Two left this week")
        db.session.commit()
        pantry_id = pantry.id
        db.session.remove()
    first, second = _send(live_server, "Community pantry"), _send(live_server, "Community pantry")

    directory, service = people(REFERRER), people(SERVICE)
    _open_live(directory, "/directory?words=Community+pantry")
    service_page = _watched(directory.context)
    _open_live(service_page, f"/services/{pantry_id}")
    home = _watched(service.context)
    _open_live(home, "/")
    result = directory.locator("li", has=directory.get_by_role("link", name="Community pantry"))
    now = service_page.locator(f"#service-capacity-now-{pantry_id}")
    row = home.locator(f"#service-row-now-{pantry_id}")
    expect(result).to_contain_text("Places available: 2.")
    expect(row).to_contain_text("2 places")

    _open_live(service, f"/referrals/{first}")
    _press(service, "Accept referral")
    expect(result).to_contain_text("Places available: 1.")
    expect(now).to_contain_text("1 place")
    expect(row).to_contain_text("1 place")
    expect(result.locator(".govuk-tag")).to_have_text("Limited")

    _open_live(service, f"/referrals/{second}")
    _press(service, "Accept referral")
    # The last place taken: full, as the posting rules call 0 places.
    expect(result).to_contain_text("Places available: 0.")
    expect(result.locator(".govuk-tag")).to_have_text("Full")
    expect(now.locator(".govuk-tag")).to_have_text("Full")
    expect(row.locator(".govuk-tag")).to_have_text("Full")
    for page in (directory, service_page, home):
        assert_page_is_sound(page)


def test_the_capacity_page_of_its_own_posts_with_javascript_on(people, live_server):
    with live_server.app.app_context():
        parcels_id = db.session.scalar(select(Service.id).where(Service.name == "Food parcels"))
        db.session.remove()
    coordinator = people(SERVICE)
    coordinator.goto(f"/services/{parcels_id}/capacity")
    assert_page_is_sound(coordinator)
    coordinator.get_by_label("Open", exact=True).check()
    coordinator.get_by_label("Places left").fill("9")
    _press(coordinator, "Post capacity")
    expect(coordinator.locator(".govuk-notification-banner")).to_contain_text(
        "Posted capacity for Food parcels: Open, 9 places"
    )
    assert coordinator.url.endswith(f"/services/{parcels_id}")
    assert_page_is_sound(coordinator)
