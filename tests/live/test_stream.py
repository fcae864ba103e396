"""Live updates: publish after commit, the relay's fan-out, and the SSE stream with replay."""

import json
import threading
import time

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, insert, select, text

from partnership import access, clock
from partnership.access import Viewer
from partnership.admin import people
from partnership.auth.sign_in import set_password
from partnership.auth.tokens import create_token, revoke_token
from partnership.extensions import db
from partnership.live.relay import LiveEvent, Subscriber
from partnership.live.stream import Replay, replay
from partnership.models import Event, Role, TokenScope
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action
from tests import factories
from tests.conftest import on_postgresql_only, sign_in_as


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


def _viewer(organisation: int, role: Role, neighbourhoods=()) -> Viewer:
    """A viewer as partnership.access.viewer would make one for a user of this role."""
    return Viewer(
        user_id=1,
        organisation_id=organisation,
        works_on_referrals=role in (Role.CASEWORKER, Role.COORDINATOR),
        every_neighbourhood=role is Role.ADMIN,
        neighbourhood_ids=frozenset(neighbourhoods),
    )


def test_the_relay_offers_a_subscriber_only_what_access_lets_them_see():
    party = Subscriber(_viewer(1, Role.CASEWORKER))
    outsider = Subscriber(_viewer(3, Role.CASEWORKER))
    for subscriber in (party, outsider):
        subscriber.offer(_event())
    assert party.queue.get_nowait().id == 1
    assert outsider.queue.empty()


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_learn_only_that_counters_moved(role):
    from partnership.live.stream import payload

    name, data = payload(Subscriber(_viewer(2, role, {7})), _event())
    assert (name, data) == ("counter", {"neighbourhood": 7})


def test_each_event_also_goes_by_a_name_of_its_own():
    from partnership.live.stream import frame

    text = frame(Subscriber(_viewer(1, Role.CASEWORKER)), _event(id=5, referral_id=10))
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


def _hand_polled_relay(app):
    from partnership.live.relay import Relay

    relay = Relay(app, RecordingBroker())
    relay.position = db.session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    relay._started = True  # poll by hand, no thread
    subscriber = Subscriber(_viewer(1, Role.CASEWORKER))
    relay.subscribe(subscriber)
    db.session.commit()
    return relay, subscriber


def _handed(subscriber) -> list[int]:
    ids = []
    while not subscriber.queue.empty():
        ids.append(subscriber.queue.get_nowait().id)
    return ids


def _capacity_event(connection) -> int:
    return connection.execute(
        insert(Event).values(kind="capacity", detail={}, created_at=clock.now()).returning(Event.id)
    ).scalar_one()


@on_postgresql_only
def test_an_event_committed_long_after_a_later_one_still_reaches_every_stream_once(
    app, partnership, monkeypatch
):
    """The sending transaction takes its id, then waits (behind a lock, say) while a later
    event commits; however long it takes, the relay hands out neither before it."""
    from partnership.live import relay as relay_module

    clock_now = [0.0]
    monkeypatch.setattr(relay_module.time, "monotonic", lambda: clock_now[0])
    relay, subscriber = _hand_polled_relay(app)
    slow = db.engine.connect()
    slow_transaction = slow.begin()
    try:
        held = _capacity_event(slow)  # taken, not committed
        with db.engine.begin() as quick:
            later = _capacity_event(quick)
        assert later > held
        for _ in range(3):
            assert relay.poll() == 0
            clock_now[0] += 60.0  # far past any wait a timer might give up at
        slow_transaction.commit()
    finally:
        slow.close()
    assert relay.poll() == 2
    assert _handed(subscriber) == [held, later]
    assert relay.poll() == 0
    assert _handed(subscriber) == []


@on_postgresql_only
def test_a_gap_left_by_a_rolled_back_event_is_passed_once_its_transaction_ends(app, partnership):
    relay, subscriber = _hand_polled_relay(app)
    doomed = db.engine.connect()
    doomed_transaction = doomed.begin()
    try:
        _capacity_event(doomed)
        with db.engine.begin() as quick:
            later = _capacity_event(quick)
        assert relay.poll() == 0  # the gap's transaction is still in flight
        assert relay.poll() == 0
        doomed_transaction.rollback()
    finally:
        doomed.close()
    assert relay.poll() == 1
    assert _handed(subscriber) == [later]


def test_the_relay_hands_out_in_id_order_and_passes_a_gap_nothing_can_fill(app, partnership):
    """With no transaction in flight (and always on SQLite, whose writes are serialised), a
    missing id was rolled back or removed: the relay goes on."""
    relay, subscriber = _hand_polled_relay(app)
    base = relay.position
    _insert_event(base + 1)
    _insert_event(base + 2)
    _insert_event(base + 4)  # base + 3 never commits
    # PostgreSQL first notes who is in flight at the gap (other tests' transactions, on a
    # shared server), then passes it once they have all ended.
    handed: list[int] = []
    for _ in range(600):
        relay.poll()
        handed += _handed(subscriber)
        if len(handed) == 3:
            break
        time.sleep(0.05)
    assert handed == [base + 1, base + 2, base + 4]


def release_the_database() -> None:
    """End the test's own transaction, as the client does before each request: the stream
    checks its session with a connection of its own, and on SQLite a transaction left open
    here would hold the write lock it waits for."""
    db.session.commit()


def read_frames(response, count: int, timeout: float = 5.0) -> list[dict]:
    """Read SSE frames (skipping comments) until `count` arrive or the timeout passes."""
    release_the_database()
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

    # One event only: opened already, and a service not limited by places (no capacity event).
    unlimited = factories.service(partnership.pantry, places=None)
    referral = factories.referral(partnership, opened_at=clock.now(), to_service=unlimited)
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


def test_an_accept_that_takes_a_place_reaches_every_stream_as_a_capacity_event(
    app, partnership, fast_heartbeat
):
    """Places are directory data: every open page that shows them hears, party or not,
    learning only which service to look at again."""
    referrer = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    outsider = sign_in_as(app.test_client(), partnership.outsider)
    referrer_stream, outsider_stream = open_stream(referrer), open_stream(outsider)
    read_frames(referrer_stream, 1), read_frames(outsider_stream, 1)  # the resyncs

    service = factories.service(partnership.pantry, places=3)
    referral = factories.referral(partnership, opened_at=clock.now(), to_service=service)
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    db.session.commit()

    frames = read_frames(outsider_stream, 2)
    assert [f["event"] for f in frames] == ["capacity", f"service-{service.id}"]
    assert {key for key in json.loads(frames[0]["data"])} == {"service", "id"}
    assert json.loads(frames[0]["data"])["service"] == service.id
    events = [f["event"] for f in read_frames(referrer_stream, 4)]
    assert events == ["capacity", f"service-{service.id}", "referral", f"referral-{referral.id}"]
    referrer_stream.close(), outsider_stream.close()


def test_reconnecting_with_last_event_id_replays_what_was_missed_then_goes_live(
    app, partnership, fast_heartbeat
):
    coordinator = partnership.users[Role.COORDINATOR]
    # Not limited by places: the accept raises no capacity event (tested on its own below).
    unlimited = factories.service(partnership.pantry, places=None)
    referral = factories.referral(partnership, to_service=unlimited)
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


# A stream belongs to a user and to the session (or token) that opened it.

HEARTBEAT = 0.3


@pytest.fixture
def heartbeat(app, monkeypatch) -> float:
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", HEARTBEAT)
    return HEARTBEAT


def _parse(text: str) -> list[dict]:
    frames = []
    for block in text.split("\n\n"):
        fields = dict(
            line.partition(": ")[::2] for line in block.splitlines() if not line.startswith(":")
        )
        if "event" in fields:
            frames.append(fields)
    return frames


def drain(response, timeout: float) -> tuple[list[dict], bool]:
    """Every frame until the stream ends (True) or `timeout` passes while it is still open."""
    release_the_database()
    text, chunks, deadline = "", iter(response.response), time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text += next(chunks).decode()
        except StopIteration:
            return _parse(text), True
    return _parse(text), False


def _queued_for(app, user_id: int) -> bool:
    relay = app.extensions["live_relay"]
    # The relay hands an event to every subscriber in one pass: one queued means all are.
    return any(
        s.viewer.user_id == user_id and not s.queue.empty() for s in list(relay._subscribers)
    )


def _send_an_event_they_would_see(app, partnership, heartbeat, user) -> None:
    """A referral from the caseworker's organisation moves on; wait until the relay has queued
    it for each of the user's streams and a heartbeat has passed since they last checked."""
    user_id = user.id
    # Not limited by places, so the accept is the only event.
    referral = factories.referral(partnership, to_service=factories.service(partnership.pantry))
    lifecycle.transition(referral, partnership.users[Role.COORDINATOR], Action.ACCEPT)
    db.session.commit()  # and touch no row until the relay has read it (SQLite's write lock)
    deadline = time.monotonic() + 10
    while not _queued_for(app, user_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _queued_for(app, user_id), "the relay did not hand the event out"
    time.sleep(heartbeat)


def test_a_deactivated_users_quiet_stream_ends_within_one_heartbeat(app, partnership, heartbeat):
    user = partnership.users[Role.CASEWORKER]
    stream = open_stream(sign_in_as(app.test_client(), user))
    assert read_frames(stream, 1)[0]["event"] == "resync"
    people.deactivate(user)
    db.session.commit()
    deactivated = time.monotonic()
    _, ended = drain(stream, timeout=5)
    assert ended
    assert time.monotonic() - deactivated < heartbeat + 0.5
    stream.close()


def test_a_deactivated_users_stream_is_sent_nothing_more(app, partnership, heartbeat):
    user = partnership.users[Role.CASEWORKER]
    stream = open_stream(sign_in_as(app.test_client(), user))
    read_frames(stream, 1)
    people.deactivate(user)
    db.session.commit()
    _send_an_event_they_would_see(app, partnership, heartbeat, user)
    frames, ended = drain(stream, timeout=5)
    assert ended
    assert frames == []
    stream.close()


def test_signing_out_ends_that_sessions_stream_and_no_other(app, partnership, heartbeat):
    user = partnership.users[Role.CASEWORKER]
    laptop = sign_in_as(app.test_client(), user)
    phone = sign_in_as(app.test_client(), user)
    laptop_stream, phone_stream = open_stream(laptop), open_stream(phone)
    read_frames(laptop_stream, 1), read_frames(phone_stream, 1)

    assert laptop.post_form("/sign-out", form_page="/").status_code == 302
    _send_an_event_they_would_see(app, partnership, heartbeat, user)

    frames, ended = drain(laptop_stream, timeout=5)
    assert ended and frames == []
    frames, ended = drain(phone_stream, timeout=3 * heartbeat)
    assert not ended
    assert [f["event"] for f in frames][:1] == ["referral"]
    laptop_stream.close(), phone_stream.close()


def test_a_password_change_ends_the_users_other_streams(app, partnership, heartbeat):
    user = partnership.users[Role.CASEWORKER]
    stream = open_stream(sign_in_as(app.test_client(), user))
    read_frames(stream, 1)
    set_password(user, "a new password of my own", temporary=False)
    db.session.commit()
    _, ended = drain(stream, timeout=5)
    assert ended
    stream.close()


def test_a_revoked_tokens_stream_ends(app, client, partnership, heartbeat):
    token, record = create_token(
        partnership.users[Role.CASEWORKER], "integration", scope=TokenScope.WRITE
    )
    db.session.commit()
    stream = client.get("/live", headers={"Authorization": f"Bearer {token}"}, buffered=False)
    assert stream.status_code == 200
    read_frames(stream, 1)
    _, ended = drain(stream, timeout=2 * heartbeat)
    assert not ended  # still valid: the heartbeat check passes
    revoke_token(record)
    db.session.commit()
    _, ended = drain(stream, timeout=5)
    assert ended
    stream.close()


def test_a_stream_carries_on_while_its_session_is_good(app, partnership, heartbeat):
    user = partnership.users[Role.CASEWORKER]
    stream = open_stream(sign_in_as(app.test_client(), user))
    read_frames(stream, 1)
    _send_an_event_they_would_see(app, partnership, heartbeat, user)
    frames, ended = drain(stream, timeout=3 * heartbeat)
    assert not ended
    assert frames[0]["event"] == "referral"
    stream.close()


@pytest.mark.parametrize("change", ["organisation", "role"])
def test_a_stream_ends_when_the_users_access_changes(app, partnership, heartbeat, change):
    """An admin moves the user to another organisation, or makes them a lead: the stream
    opened under the old rules ends, and the browser reconnects under the new ones."""
    user = partnership.users[Role.CASEWORKER]
    stream = open_stream(sign_in_as(app.test_client(), user))
    read_frames(stream, 1)
    if change == "organisation":
        user.organisation = partnership.pantry
    else:
        user.role = Role.LEAD
    db.session.commit()
    _, ended = drain(stream, timeout=5)
    assert ended
    stream.close()


# Replay: what a reconnecting stream missed, chosen and limited by one query.

WHO = ["caseworker", "coordinator", "lead", "admin", "outsider"]


def _person(partnership, who: str):
    return partnership.outsider if who == "outsider" else partnership.users[Role(who)]


@pytest.mark.parametrize("who", WHO)
def test_replay_gives_the_newest_events_the_user_may_see_oldest_first(app, partnership, who):
    made = factories.events_of_every_kind(partnership)
    db.session.commit()
    seen = access.viewer(_person(partnership, who))
    visible = [row.id for row in made if access.may_see_event(seen, LiveEvent.from_row(row))]
    newest = made[-1].id
    assert len(visible) > 5

    everything = replay(seen, 0, newest, limit=len(made))
    assert [event.id for event in everything.events] == visible
    assert not everything.behind
    exactly = replay(seen, 0, newest, limit=len(visible))
    assert [event.id for event in exactly.events] == visible
    assert not exactly.behind  # as many as the limit is not more than it
    few = replay(seen, 0, newest, limit=5)
    assert [event.id for event in few.events] == visible[-5:]  # ending at the newest
    assert few.behind
    since = replay(seen, visible[-3], newest, limit=5)
    assert [event.id for event in since.events] == visible[-2:]
    upto = replay(seen, 0, visible[2], limit=5)
    assert [event.id for event in upto.events] == visible[:3]
    assert replay(seen, newest, newest, limit=5) == Replay([], behind=False)
    assert replay(seen, newest + 1000, newest, limit=5) == Replay([], behind=False)


def test_a_replay_is_one_query_however_many_events_there_are(app, partnership):
    made = factories.events_of_every_kind(partnership)
    db.session.commit()
    lead, newest = access.viewer(partnership.users[Role.LEAD]), made[-1].id
    statements: list[str] = []
    this_thread = threading.get_ident()

    def record(connection, cursor, statement, *args):
        if threading.get_ident() == this_thread:  # not the relay's polls, in its own thread
            statements.append(statement)

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", record)
    try:
        missed = replay(lead, 0, newest, limit=10)
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", record)
    assert len(missed.events) == 10
    assert len(statements) == 1


@pytest.fixture
def replay_limit(app, monkeypatch) -> int:
    monkeypatch.setitem(app.config, "LIVE_REPLAY_LIMIT", 3)
    return 3


def _relay_caught_up(app, newest: int) -> None:
    """Wait until the relay has handed out every event up to `newest`: a stream opened now
    gets all of them from the database, none live."""
    release_the_database()
    relay = app.extensions["live_relay"]
    relay.start()
    deadline = time.monotonic() + 10
    while relay.position < newest and time.monotonic() < deadline:
        time.sleep(0.02)
    assert relay.position >= newest, "the relay did not catch up"


def _events_the_caseworker_sees(partnership, count: int) -> list[int]:
    """`count` events of a referral from the caseworker's surgery, and one of the council's
    between them that the caseworker may not see; their ids, in order."""
    coordinator = partnership.users[Role.COORDINATOR]
    referral = factories.referral(partnership)
    other = factories.referral(partnership, from_organisation=partnership.council)
    # Not limited by places: accepting takes none, so raises no capacity event to count.
    referral.to_service.places_available = None
    db.session.commit()
    steps = [
        lambda: lifecycle.mark_opened(referral, coordinator),
        lambda: lifecycle.transition(referral, coordinator, Action.ACCEPT),
        lambda: lifecycle.transition(referral, coordinator, Action.START),
        lambda: lifecycle.transition(referral, coordinator, Action.HOLD),
    ]
    seen = [steps[0]()]
    lifecycle.mark_opened(other, coordinator)
    seen += [step() for step in steps[1:count]]
    db.session.commit()
    return [event.id for event in seen]


def test_a_stream_further_behind_than_the_limit_is_told_to_resync(
    app, partnership, fast_heartbeat, replay_limit
):
    seen = _events_the_caseworker_sees(partnership, replay_limit + 1)
    _relay_caught_up(app, seen[-1])
    client = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    stream = open_stream(client, last_event_id=0)
    frames = read_frames(stream, 2, timeout=1.5)
    position = app.extensions["live_relay"].position
    # One resync and no replay: its id moves the browser's Last-Event-ID past what it missed.
    resync = {"id": str(position), "event": "resync", "data": json.dumps({"id": position})}
    assert frames == [resync]
    stream.close()

    # Reconnecting from there, as the browser does, replays nothing and resyncs no more.
    again = open_stream(client, last_event_id=position)
    assert read_frames(again, 1, timeout=1) == []
    again.close()


def test_a_stream_as_far_behind_as_the_limit_replays_what_it_missed(
    app, partnership, fast_heartbeat, replay_limit
):
    seen = _events_the_caseworker_sees(partnership, replay_limit)
    _relay_caught_up(app, seen[-1])
    client = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    stream = open_stream(client, last_event_id=0)
    frames = read_frames(stream, 2 * replay_limit + 1, timeout=1.5)
    assert [(f["event"], int(f["id"])) for f in frames if f["event"] == "referral"] == [
        ("referral", event_id) for event_id in seen
    ]
    assert len(frames) == 2 * replay_limit  # no resync
    stream.close()


def test_a_last_event_id_beyond_the_newest_replays_nothing(app, partnership, fast_heartbeat):
    seen = _events_the_caseworker_sees(partnership, 2)
    _relay_caught_up(app, seen[-1])
    client = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
    stream = open_stream(client, last_event_id=seen[-1] + 1000)
    assert read_frames(stream, 1, timeout=1) == []
    stream.close()
