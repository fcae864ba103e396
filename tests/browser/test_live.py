"""Live updates in real browsers: two people at once, neither reloading."""

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

        with live_server.app.app_context():
            priya = db.session.scalar(select(User).where(User.email == "caseworker@demo.example"))
            parcels = db.session.scalar(select(Service).where(Service.name == "Food parcels"))
            food = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == "food"))
            resident = Resident(
                given_name="Lina",
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
                summary="Sent while both pages are open",
                consent=ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the food bank"),
            )
            db.session.commit()
            reference = referral.reference
            db.session.remove()

        row = recipient.get_by_role("link", name=reference)
        expect(row).to_be_visible(timeout=LIVE)  # no reload: the live stream brought it

        row.click()
        recipient.wait_for_url("**/referrals/*")
        with recipient.expect_navigation():
            recipient.get_by_role("button", name="Accept referral").click()
        expect(recipient.get_by_text("Referral accepted")).to_be_visible()

        outbox_row = referrer.locator("tr", has=referrer.get_by_role("link", name=reference))
        expect(outbox_row).to_contain_text("Accepted", timeout=LIVE)
    finally:
        recipient_context.close()
        referrer_context.close()
