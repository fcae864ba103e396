"""After an error the page's stream reconnects from the last event it saw, not from where
the page was loaded: nothing missed, nothing twice."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import Event, Service, User
from partnership.services.capacity import post_capacity
from tests.browser.conftest import sign_in


def test_the_page_keeps_the_last_event_id_it_saw_for_its_next_connection(page, live_server):
    sign_in(page, "coordinator@demo.example")
    page.goto("/inbox")
    expect(page.locator("#live-status")).to_have_text("Live updates: on", timeout=5_000)
    loaded_at = re.search(r"last_event_id=(\d+)", page.locator("body").get_attribute("sse-connect"))

    with live_server.app.app_context():
        coordinator = db.session.scalar(
            select(User).where(User.email == "coordinator@demo.example")
        )
        service = db.session.scalar(
            select(Service).where(Service.organisation_id == coordinator.organisation_id)
        )
        for places in (3, 2):
            post_capacity(service, coordinator, "limited", places)
            db.session.commit()
        newest = db.session.scalar(select(func.max(Event.id)))
        db.session.remove()

    assert loaded_at is not None and int(loaded_at[1]) < newest
    expect(page.locator("body")).to_have_attribute(
        "sse-connect", re.compile(rf"last_event_id={newest}$"), timeout=5_000
    )
