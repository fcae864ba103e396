"""Live updates: publish after commit, the relay's fan-out, and the SSE stream with replay."""

import json
import time

import pytest
from sqlalchemy import func, insert, select, text

from partnership import clock
from partnership.extensions import db
from partnership.live.relay import LiveEvent, Subscriber
from partnership.models import Event, Role
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action
from tests import factories
from tests.conftest import sign_in_as


class RecordingBroker:
    def __init__(self):
        self.notices, self.failures, self.listeners = [], 0, []

    def publish(self, notice):
        self.notices.append(notice)

    def listen(self, on_notice):
        self.listeners.append(on_notice)

    def close(self):
        pass


@pytest.fixture
def broker(app, monkeypatch):
    recording = RecordingBroker()
    monkeypatch.setitem(app.extensions, "live_broker", recording)
    return recording


@pytest.fixture
def fast_heartbeat(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.1)


def test_a_commit_that_wrote_events_publishes_one_notice_with_the_newest_id(
    app, partnership, broker
):
    referral = factories.referral(partnership)
    db.session.commit()
    broker.notices.clear()
    first = lifecycle.mark_opened(referral, partnership.users[Role.COORDINATOR])
    second = lifecycle.assign(
        referral, partnership.users[Role.COORDINATOR], partnership.users[Role.COORDINATOR]
    )
    db.session.commit()
    assert broker.notices == [str(max(first.id, second.id))]


def test_a_rolled_back_transaction_publishes_nothing(app, partnership, broker):
    referral = factories.referral(partnership)
    db.session.commit()
    broker.notices.clear()
    lifecycle.mark_opened(referral, partnership.users[Role.COORDINATOR])
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert broker.notices == []


def _event(**fields) -> LiveEvent:
    values = dict(
        id=1,
        kind="sent",
        referral_id=10,
        service_id=3,
        from_organisation_id=1,
        to_organisation_id=2,
        neighbourhood_id=7,
        to_status="requested",
    )
    values.update(fields)
    return LiveEvent(**values)


@pytest.mark.parametrize(
    ("organisation", "role", "neighbourhoods", "sees"),
    [
        (1, Role.CASEWORKER, (), True),  # referrer
        (2, Role.COORDINATOR, (), True),  # recipient
        (3, Role.CASEWORKER, (), False),  # not party
        (3, Role.COORDINATOR, (), False),
        (3, Role.ADMIN, (), True),  # admins: every neighbourhood's counters, never the case
        (3, Role.LEAD, (7,), True),  # a lead of the neighbourhood: counters only
        (3, Role.LEAD, (8,), False),
    ],
)
def test_who_may_see_a_referral_event(organisation, role, neighbourhoods, sees):
    subscriber = Subscriber(organisation, role, frozenset(neighbourhoods))
    assert subscriber.may_see(_event()) is sees


def test_capacity_events_reach_everyone():
    subscriber = Subscriber(99, Role.LEAD, frozenset())
    assert subscriber.may_see(_event(referral_id=None, kind="capacity"))


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_learn_only_that_counters_moved(role):
    from partnership.live.stream import payload

    name, data = payload(Subscriber(2, role, frozenset({7})), _event())
    assert (name, data) == ("counter", {"neighbourhood": 7})


def test_each_event_also_goes_by_a_name_of_its_own():
    from partnership.live.stream import frame

    text = frame(Subscriber(1, Role.CASEWORKER, frozenset()), _event(id=5, referral_id=10))
    names = [line.split(": ")[1] for line in text.splitlines() if line.startswith("event:")]
    ids = [line for line in text.splitlines() if line.startswith("id:")]
    assert names == ["referral", "referral-10"]
    assert ids == ["id: 5", "id: 5"]


def _insert_event(event_id: int) -> None:
    """An event with a chosen id, as if committed out of order; the id sequence moves past it."""
    db.session.execute(
        insert(Event).values(id=event_id, kind="capacity", detail={}, created_at=clock.now())
    )
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('events', 'id'), "
                "(SELECT max(id) FROM events))"
            )
        )
    db.session.commit()


def test_the_relay_hands_out_in_id_order_and_waits_at_a_gap(app, partnership, monkeypatch):
    from partnership.live import relay as relay_module

    base = db.session.scalar(select(func.coalesce(func.max(Event.id), 0))) + 1000
    relay = relay_module.Relay(app, RecordingBroker())
    relay.position = base
    relay._started = True  # poll by hand, no thread
    subscriber = Subscriber(1, Role.CASEWORKER, frozenset())
    relay.subscribe(subscriber)
    _insert_event(base + 2)
    assert relay.poll() == 0  # base + 1 may still be committing
    _insert_event(base + 1)
    assert relay.poll() == 2
    ids = [subscriber.queue.get_nowait().id for _ in range(2)]
    assert ids == [base + 1, base + 2]
    monkeypatch.setattr(relay_module, "GAP_WAIT", 0.05)
    _insert_event(base + 4)  # base + 3 never commits
    assert relay.poll() == 0
    time.sleep(0.06)
    assert relay.poll() == 1
    assert subscriber.queue.get_nowait().id == base + 4


def read_frames(response, count: int, timeout: float = 5.0) -> list[dict]:
    """Read SSE frames (skipping comments) until `count` arrive or the timeout passes."""
    frames, buffer, deadline = [], "", time.monotonic() + timeout
    chunks = iter(response.response)
    while len(frames) < count and time.monotonic() < deadline:
        buffer += next(chunks).decode() if isinstance(buffer, str) else ""
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = {}
            for line in block.splitlines():
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(": ")
                fields[key] = value
            if "data" in fields or "event" in fields:
                frames.append(fields)
    return frames


def open_stream(client, last_event_id: int | None = None):
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    return client.get("/live", headers=headers, buffered=False)


def test_stream_headers_and_a_resync_for_a_fresh_page(client, partnership, fast_heartbeat):
    sign_in_as(client, partnership.users[Role.CASEWORKER])
    response = open_stream(client)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "Set-Cookie" not in response.headers
    frames = read_frames(response, 1)
    assert frames[0]["event"] == "resync"
    response.close()


def test_signed_out_stream_is_refused(client):
    response = client.get("/live")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_live_events_reach_party_streams_only(app, partnership, fast_heartbeat):
    referrer = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    outsider = sign_in_as(app.test_client(), partnership.outsider)
    referrer_stream, outsider_stream = open_stream(referrer), open_stream(outsider)
    read_frames(referrer_stream, 1), read_frames(outsider_stream, 1)  # the resyncs

    referral = factories.referral(partnership, opened_at=clock.now())  # one event only
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    db.session.commit()

    frames = read_frames(referrer_stream, 1)
    data = json.loads(frames[0]["data"])
    assert frames[0]["event"] == "referral"
    assert data["referral"] == referral.id and data["status"] == "accepted"
    assert data["box"] == "outbox"
    assert int(frames[0]["id"]) == data["id"]
    assert read_frames(outsider_stream, 1, timeout=1.5) == []
    referrer_stream.close(), outsider_stream.close()


def test_reconnecting_with_last_event_id_replays_what_was_missed_then_goes_live(
    app, partnership, fast_heartbeat
):
    coordinator = partnership.users[Role.COORDINATOR]
    referral = factories.referral(partnership)
    other = factories.referral(partnership, from_organisation=partnership.council)
    db.session.commit()
    seen = lifecycle.mark_opened(referral, coordinator)
    db.session.commit()
    missed = [
        lifecycle.transition(referral, coordinator, Action.ACCEPT),
        lifecycle.mark_opened(other, coordinator),  # council -> pantry: not the surgery's
        lifecycle.transition(referral, coordinator, Action.START),
    ]
    db.session.commit()

    client = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    stream = open_stream(client, last_event_id=seen.id)
    replayed = [f for f in read_frames(stream, 4) if f["event"] == "referral"]
    assert [int(f["id"]) for f in replayed] == [missed[0].id, missed[2].id]

    live = lifecycle.transition(referral, coordinator, Action.HOLD)
    db.session.commit()
    frames = read_frames(stream, 2)
    assert [(f["event"], int(f["id"])) for f in frames] == [
        ("referral", live.id),
        (f"referral-{referral.id}", live.id),
    ]
    stream.close()


def test_a_savepoint_neither_publishes_early_nor_forgets_earlier_events(app, partnership, broker):
    """An accept refused for want of places rolls back its savepoint only: the event
    written before it in the same transaction is published once, at the real commit."""
    full = factories.service(partnership.pantry, places=0)
    referral = factories.referral(partnership, to_service=full)
    other = factories.referral(partnership)
    db.session.commit()
    broker.notices.clear()
    coordinator = partnership.users[Role.COORDINATOR]
    opened = lifecycle.mark_opened(other, coordinator)
    with pytest.raises(lifecycle.NoPlacesLeft):
        lifecycle.transition(referral, coordinator, lifecycle.Action.ACCEPT)
    assert broker.notices == []
    db.session.commit()
    assert broker.notices == [str(opened.id)]
