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


def _post_capacity(app, places: int) -> int:
    with app.app_context():
        coordinator = db.session.scalar(
            select(User).where(User.email == "coordinator@demo.example")
        )
        service = db.session.scalar(
            select(Service).where(Service.organisation_id == coordinator.organisation_id)
        )
        post_capacity(service, coordinator, "limited", places)
        db.session.commit()
        newest = db.session.scalar(select(func.max(Event.id)))
        db.session.remove()
        return newest


def test_after_the_database_comes_back_the_page_resumes_from_its_last_event(
    page, live_server, monkeypatch
):
    """The database stops under an open page: its stream ends, reconnects meet 503, events
    are written meanwhile. When it answers again the page's stream resumes from the last
    event it saw, so it misses none and gets none twice."""
    from sqlalchemy.exc import OperationalError

    from partnership.auth import sessions
    from partnership.live import stream as live_stream

    app = live_server.app
    sign_in(page, "coordinator@demo.example")
    page.goto("/inbox")
    expect(page.locator("#live-status")).to_have_text("Live updates: on", timeout=5_000)
    seen = _post_capacity(app, 5)
    expect(page.locator("body")).to_have_attribute(
        "sse-connect", re.compile(rf"last_event_id={seen}$"), timeout=5_000
    )

    resumed_from = []
    real_last_event_id = live_stream._last_event_id
    real_signed_in_user = sessions.signed_in_user

    def recording_last_event_id():
        resumed_from.append(real_last_event_id())
        return resumed_from[-1]

    def database_down(*_args):
        raise OperationalError("SELECT 1", {}, Exception("the database system is starting up"))

    monkeypatch.setattr(live_stream, "_last_event_id", recording_last_event_id)
    monkeypatch.setattr(sessions, "signed_in_user", database_down)
    app.extensions["live_relay"].close_streams()  # the open stream ends with the outage
    expect(page.locator("#live-status")).to_have_text("Live updates: reconnecting", timeout=5_000)
    missed = [_post_capacity(app, places) for places in (4, 3)]
    monkeypatch.setattr(sessions, "signed_in_user", real_signed_in_user)

    expect(page.locator("#live-status")).to_have_text("Live updates: on", timeout=15_000)
    expect(page.locator("body")).to_have_attribute(
        "sse-connect", re.compile(rf"last_event_id={missed[-1]}$"), timeout=5_000
    )
    # Every reconnect that got through asked for what came after the last event the page
    # had seen: nothing missed, and nothing it already had sent again.
    assert resumed_from and set(resumed_from) == {seen}
