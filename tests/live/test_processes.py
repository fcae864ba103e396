"""Live updates across real processes: two app servers sharing PostgreSQL and Redis, and a
Redis that stops and comes back. Runs where PostgreSQL and Redis are configured (always in CI)."""

import json
import signal
import uuid

import pytest

from partnership import clock
from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.live.broker import RedisBroker
from partnership.live.relay import Relay
from partnership.models import Role, TokenScope
from partnership.referrals import lifecycle
from partnership.referrals.lifecycle import Action
from tests import factories
from tests.conftest import REDIS_URL, sign_in_as
from tests.live.servers import AppServer, RedisServer, StreamReader
from tests.live.test_stream import open_stream, read_frames


# App servers in other processes share the database: only PostgreSQL is shared that way.
@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_an_event_written_through_one_server_reaches_a_stream_on_another(app, partnership):
    coordinator_token, _ = create_token(
        partnership.users[Role.COORDINATOR], "live test", scope=TokenScope.WRITE
    )
    reader_token, _ = create_token(partnership.outsider, "live test", scope=TokenScope.WRITE)
    service = factories.service(partnership.pantry, name="Food parcels", places=3)
    db.session.commit()
    database_url = db.engine.url.render_as_string(hide_password=False)
    channel = f"partnership:test:{uuid.uuid4().hex}"
    writer = AppServer(database_url, REDIS_URL, channel).start()
    listener = AppServer(database_url, REDIS_URL, channel).start()
    try:
        stream = StreamReader(listener.port, reader_token)
        assert stream.frames(1, kinds={"resync"})  # connected and subscribed
        status, body = writer.request(
            "PUT",
            f"/api/v1/services/{service.id}/capacity",
            coordinator_token,
            {"status": "limited", "places_available": 1},
        )
        assert status == 200, body
        frames = stream.frames(1, kinds={"capacity"})
        assert frames, "the capacity event did not cross from one server to the other"
        assert json.loads(frames[0]["data"])["service"] == service.id
        stream.close()
    finally:
        writer.stop()
        listener.stop()


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_sigterm_ends_open_streams_at_once_with_a_retry_hint(app, partnership):
    """Open streams never end by themselves: without this, a stopping gunicorn waits out its
    20-second graceful timeout, refusing new connections all the while."""
    token, _ = create_token(partnership.users[Role.CASEWORKER], "live test", scope=TokenScope.READ)
    db.session.commit()
    database_url = db.engine.url.render_as_string(hide_password=False)
    server = AppServer(database_url, REDIS_URL, f"partnership:test:{uuid.uuid4().hex}").start()
    try:
        stream = StreamReader(server.port, token)
        assert stream.frames(1, kinds={"resync"})  # connected
        server.process.send_signal(signal.SIGTERM)
        [closing] = stream.frames(1, timeout=30, kinds={"closing"})
        assert closing["retry"] == "2000"
        assert stream.ended.wait(5)
        # Well inside the graceful timeout (20 s): nothing held the worker.
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()


def test_with_redis_stopped_writes_succeed_and_a_reconnect_replays_what_was_missed(
    app, partnership, monkeypatch
):
    redis = RedisServer().start()
    broker = RedisBroker(redis.url, channel=f"partnership:test:{uuid.uuid4().hex}")
    relay = Relay(app, broker)
    monkeypatch.setitem(app.extensions, "live_broker", broker)
    monkeypatch.setitem(app.extensions, "live_relay", relay)
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.1)
    coordinator = partnership.users[Role.COORDINATOR]
    # Not limited by places: an accept takes none, so it raises no capacity event besides.
    service = factories.service(partnership.pantry, places=None)
    # Opened already, so that each accept below writes one event.
    referrals = [
        factories.referral(partnership, to_service=service, opened_at=clock.now()) for _ in range(3)
    ]
    db.session.commit()
    try:
        client = sign_in_as(app.test_client(), partnership.users[Role.CASEWORKER])
        stream = open_stream(client)
        read_frames(stream, 1)  # resync
        first = lifecycle.transition(referrals[0], coordinator, Action.ACCEPT)
        db.session.commit()
        seen = read_frames(stream, 2)
        assert [int(f["id"]) for f in seen] == [first.id, first.id]
        stream.close()

        redis.stop()
        missed = []
        for referral in referrals[1:]:
            missed.append(lifecycle.transition(referral, coordinator, Action.ACCEPT))
            db.session.commit()  # succeeds: the notice fails quietly and is counted
        missed.append(lifecycle.transition(referrals[0], coordinator, Action.START))
        db.session.commit()
        assert broker.failures >= len(missed)

        redis.start()
        again = open_stream(client, last_event_id=first.id)
        frames = read_frames(again, 2 * len(missed), timeout=5)
        ids = [int(f["id"]) for f in frames if f.get("event") == "referral"]
        assert ids == [event.id for event in missed]  # every missed event, once, in order
        again.close()
    finally:
        relay.stop()
        redis.stop()
