"""The Server-Sent Events stream at /live, for signed-in users and API tokens alike.

A stream first replays from the database what the client missed (after `Last-Event-ID`),
then passes on live events from the relay. It holds no database connection while idle
and sets no cookies. Each event says what changed in ids and codes; pages fetch what they
may show through their ordinary, permission-checked views.
"""

import json
import queue
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, g, request
from flask_login import current_user
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.live.relay import LiveEvent, Subscriber
from partnership.models import Event, Role, User
from partnership.problems import Problem

live = Blueprint("live", __name__)
RETRY_MS = 2000
REPLAY_LIMIT = 1000


def _subscriber_for(user: User) -> Subscriber:
    return Subscriber(
        organisation_id=user.organisation_id,
        role=user.role,
        neighbourhood_ids=frozenset(n.id for n in user.neighbourhoods),
    )


def payload(subscriber: Subscriber, event: LiveEvent) -> tuple[str, dict]:
    """The event name and data this subscriber is sent for an event they may see."""
    if event.referral_id is None:
        return "capacity", {"service": event.service_id}
    if subscriber.role in (Role.LEAD, Role.ADMIN):
        # Leads and admins learn only that a neighbourhood's figures moved.
        return "counter", {"neighbourhood": event.neighbourhood_id}
    box = "inbox" if subscriber.organisation_id == event.to_organisation_id else "outbox"
    return "referral", {
        "referral": event.referral_id,
        "kind": event.kind,
        "status": event.to_status,
        "box": box,
    }


# A second name for the same event, so that a page about one referral, service or
# neighbourhood listens to its own events only (htmx matches SSE events by name).
SPECIFIC = {"referral": "referral", "capacity": "service", "counter": "neighbourhood"}


def frame(subscriber: Subscriber, event: LiveEvent) -> str:
    """The SSE frames for one event: its general name, then its specific one, same id."""
    name, data = payload(subscriber, event)
    data["id"] = event.id
    body = json.dumps(data)
    specific = f"{SPECIFIC[name]}-{data[SPECIFIC[name]]}"
    return (
        f"id: {event.id}\nevent: {name}\ndata: {body}\n\n"
        f"id: {event.id}\nevent: {specific}\ndata: {body}\n\n"
    )


def newest_event_id() -> int:
    """Where a page's stream picks up: events after this one reach it live or by replay."""
    return db.session.scalar(select(func.coalesce(func.max(Event.id), 0)))


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    return int(raw) if raw and raw.isdigit() else None


def _replay(subscriber: Subscriber, after: int, upto: int) -> list[LiveEvent]:
    rows = db.session.scalars(
        select(Event).where(Event.id > after, Event.id <= upto).order_by(Event.id)
    )
    events = [LiveEvent.from_row(row) for row in rows]
    return [event for event in events if subscriber.may_see(event)][-REPLAY_LIMIT:]


def _stream_user() -> User:
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        from partnership.api.auth import authenticate

        authenticate()
        return g.api_user
    if not current_user.is_authenticated:
        raise Problem(401, "Unauthorised", "Sign in, or send a bearer token.")
    return current_user._get_current_object()


@live.route("/live")
def stream():
    try:
        user = _stream_user()
    except Problem as problem:
        return problem.response()
    relay = current_app.extensions["live_relay"]
    subscriber = _subscriber_for(user)
    # Release this request's transaction first: on SQLite it holds the write lock, and
    # starting the relay reads from its own connection.
    db.session.commit()
    position = relay.subscribe(subscriber)
    last = _last_event_id()
    replayed = _replay(subscriber, last, position) if last is not None else []
    db.session.remove()  # an idle stream holds no database connection
    heartbeat = current_app.config["LIVE_HEARTBEAT_SECONDS"]

    def events() -> Iterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n"
            if last is None:
                # A fresh page has no history to replay: tell it to refresh its live regions.
                yield f"event: resync\ndata: {json.dumps({'position': position})}\n\n"
            for event in replayed:
                yield frame(subscriber, event)
            while True:
                try:
                    event = subscriber.queue.get(timeout=heartbeat)
                except queue.Empty:
                    yield ": heartbeat\n\n"
                    continue
                if subscriber.overflowed:
                    yield f"event: resync\ndata: {json.dumps({'reason': 'behind'})}\n\n"
                    return
                if last is not None and event.id <= last:
                    continue  # the relay was behind the client: it has this one already
                yield frame(subscriber, event)
        finally:
            relay.unsubscribe(subscriber)

    response = Response(events(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    g.live_stream = True
    return response
