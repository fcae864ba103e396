"""The casework pages in a browser: accessible, no console or CSP errors, components started.

Run against the demo partnership, so the lists and timelines hold real-looking data.
"""

import pytest
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import Referral, Service, User
from tests.browser.conftest import sign_in
from tests.browser.test_pages import assert_page_is_sound, screenshot


def _first_referral_to(live_server, email: str) -> int:
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        found = db.session.scalar(
            select(Referral.id)
            .where(Referral.to_organisation_id == user.organisation_id)
            .order_by(Referral.id)
        )
        db.session.remove()
        return found


def _a_service(live_server) -> int:
    with live_server.app.app_context():
        found = db.session.scalar(select(Service.id).where(Service.name == "Food parcels"))
        db.session.remove()
        return found


@pytest.mark.parametrize(
    "path",
    [
        "/inbox",
        "/inbox?tab=overdue",
        "/outbox",
        "/notifications",
        "/directory",
        "/directory?need=1&age=70",
        "/services",
        "/referrals/new",
        "/referrals/new/resident?q=a",
    ],
)
def test_coordinator_pages_are_accessible(page, path):
    sign_in(page, "coordinator@demo.example")
    page.goto(path)
    assert_page_is_sound(page)
    screenshot(page, "coordinator" + path.replace("/", "-").replace("?", "-"))


def test_a_referral_page_with_its_timeline_and_messages_is_accessible(page, live_server):
    sign_in(page, "coordinator@demo.example")
    page.goto(f"/referrals/{_first_referral_to(live_server, 'coordinator@demo.example')}")
    assert page.locator("#referral-timeline").is_visible()
    assert_page_is_sound(page)
    screenshot(page, "referral")


def test_a_service_page_is_accessible_for_its_coordinator_and_for_others(page, live_server):
    service = _a_service(live_server)
    sign_in(page, "coordinator@demo.example")
    page.goto(f"/services/{service}")
    assert_page_is_sound(page)
    page.context.clear_cookies()
    sign_in(page, "caseworker@demo.example")
    page.goto(f"/services/{service}")
    assert_page_is_sound(page)


def test_the_live_indicator_says_when_it_is_connected(page):
    sign_in(page, "caseworker@demo.example")
    page.goto("/outbox")
    status = page.locator("#live-status")
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    status.filter(has_text="Live updates: on").wait_for(timeout=5_000)


def test_the_leads_dashboard_is_accessible_and_live(page):
    sign_in(page, "lead@demo.example")
    page.goto("/dashboards")
    page.get_by_role("link", name="Ashbrook").first.click()
    page.wait_for_url("**/neighbourhoods/*/dashboard**")
    assert page.locator("#dashboard-counters").is_visible()
    assert page.locator("svg[role=img] title").count() > 0
    page.locator("#live-status").filter(has_text="Live updates: on").wait_for(timeout=5_000)
    assert_page_is_sound(page)
    screenshot(page, "dashboard")
