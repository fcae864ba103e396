"""Live updates in real browsers: two people at once, neither reloading."""

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import ConsentGiver, NeedCategory, Resident, Service, Urgency, User
from partnership.referrals.lifecycle import ConsentGiven, send
from tests.browser.conftest import sign_in

LIVE = 2_000  # milliseconds: the promise for live updates


def _open_live(page, path: str) -> None:
    page.goto(path)
    expect(page.locator("#live-status")).to_have_text("Live updates: on", timeout=5_000)


def _send_food_parcels(live_server, given_name: str, summary: str) -> str:
    """The demo caseworker sends a new resident to the food bank's parcels; the reference."""
    with live_server.app.app_context():
        priya = db.session.scalar(select(User).where(User.email == "caseworker@demo.example"))
        parcels = db.session.scalar(select(Service).where(Service.name == "Food parcels"))
        food = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == "food"))
        resident = Resident(
            given_name=given_name,
            family_name="Browser",
            date_of_birth=date(1961, 5, 4),
            neighbourhood_id=parcels.neighbourhoods[0].id,
            created_by_organisation_id=priya.organisation_id,
        )
        db.session.add(resident)
        db.session.flush()
        referral, _ = send(
            priya,
            resident=resident,
            need=food,
            service=parcels,
            urgency=Urgency.URGENT,
            summary=summary,
            consent=ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the food bank"),
        )
        db.session.commit()
        reference = referral.reference
        db.session.remove()
    return reference


def test_a_referral_appears_in_the_open_inbox_and_its_acceptance_in_the_open_outbox(
    browser, live_server
):
    recipient_context = browser.new_context(base_url=live_server)
    referrer_context = browser.new_context(base_url=live_server)
    try:
        recipient, referrer = recipient_context.new_page(), referrer_context.new_page()
        sign_in(recipient, "coordinator@demo.example")
        sign_in(referrer, "caseworker@demo.example")
        _open_live(recipient, "/inbox")
        _open_live(referrer, "/outbox")

        reference = _send_food_parcels(live_server, "Lina", "Sent while both pages are open")

        row = recipient.get_by_role("link", name=reference)
        expect(row).to_be_visible(timeout=LIVE)  # no reload: the live stream brought it

        row.click()
        recipient.wait_for_url("**/referrals/**")  # with its back link: ?back=/inbox
        with recipient.expect_navigation():
            recipient.get_by_role("button", name="Accept referral").click()
        expect(recipient.get_by_text("Referral accepted")).to_be_visible()

        outbox_row = referrer.locator("tr", has=referrer.get_by_role("link", name=reference))
        expect(outbox_row).to_contain_text("Accepted", timeout=LIVE)
    finally:
        recipient_context.close()
        referrer_context.close()


# What the page's live regions are told, by event name, as htmx hands the events to them.
RECORD_LIVE_EVENTS = """
window.__liveEvents = [];
document.addEventListener("htmx:sseMessage", (event) => {
  window.__liveEvents.push(event.detail.type);
});
"""


def test_a_page_that_missed_too_much_to_replay_reloads_its_live_regions(page, live_server):
    """The stream is down while more events pass than LIVE_REPLAY_LIMIT: on reconnecting the
    page is sent one resync, not the events, and its live regions fetch what is now true."""
    app = live_server.app
    limit = app.config["LIVE_REPLAY_LIMIT"]
    stream_up = False

    def live(route):
        if stream_up:
            route.continue_()
        else:
            route.abort()

    page.add_init_script(RECORD_LIVE_EVENTS)
    sign_in(page, "coordinator@demo.example")
    page.route(re.compile(r"/live\?"), live)
    app.config["LIVE_REPLAY_LIMIT"] = 1
    try:
        page.goto("/inbox")
        expect(page.locator("#live-status")).to_have_text("Live updates: reconnecting")
        references = [
            _send_food_parcels(live_server, name, "Sent while the stream was down")
            for name in ("Mina", "Nora")
        ]
        stream_up = True  # htmx tries again, from the position the page was drawn at
        for reference in references:
            expect(page.get_by_role("link", name=reference)).to_be_visible(timeout=10_000)
        assert page.evaluate("window.__liveEvents").count("resync") >= 1
        assert "referral" not in page.evaluate("window.__liveEvents")
    finally:
        app.config["LIVE_REPLAY_LIMIT"] = limit
