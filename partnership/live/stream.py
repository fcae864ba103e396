"""The Server-Sent Events stream at /live, for signed-in users and API tokens alike.

A stream first replays from the database what the client missed (after `Last-Event-ID`),
or tells the page to reload if that is more than LIVE_REPLAY_LIMIT events; then it passes
on live events from the relay, each only if partnership.access lets its user see it. A
stream belongs to a user and to the session (or API token) that opened it: at least once a
heartbeat it checks, as every request does, that both may still be used, and ends when
either may not (signed out, deactivated, password changed, token revoked). It holds no
database connection while idle and sets no cookies. Each event says what changed in ids
and codes; pages fetch what they may show through their ordinary, permission-checked views.
"""

import json
import logging
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import func, select, union
from sqlalchemy.exc import SQLAlchemyError

from partnership import access
from partnership.auth import sessions, tokens
from partnership.extensions import db
from partnership.inputs import whole_number
from partnership.live.relay import COLUMNS, LiveEvent, Subscriber
from partnership.models import Event, User
from partnership.problems import Problem

log = logging.getLogger(__name__)
live = Blueprint("live", __name__)
RETRY_MS = 2000


def payload(subscriber: Subscriber, event: LiveEvent) -> tuple[str, dict]:
    """The event name and data this subscriber is sent for an event they may see."""
    if event.referral_id is None:
        return "capacity", {"service": event.service_id}
    if not subscriber.viewer.works_on_referrals:
        # Leads and admins learn only that a neighbourhood's figures moved.
        return "counter", {"neighbourhood": event.neighbourhood_id}
    box = "inbox" if subscriber.viewer.organisation_id == event.to_organisation_id else "outbox"
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
    return db.session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    return whole_number(raw)


@dataclass(frozen=True)
class Replay:
    """What a reconnecting stream missed: the newest events it may see, oldest first, and
    whether there were more than those (then the page reloads instead of replaying)."""

    events: list[LiveEvent]
    behind: bool


def replay(seen: access.Viewer, after: int, upto: int, limit: int) -> Replay:
    """The newest `limit` events after `after` and up to `upto` that `seen` may see.

    One query, whatever the table holds: each of partnership.access's visibility branches
    gives its newest limit + 1 ids from its own (column, id) index, and the newest
    limit + 1 of those are read. One more than the limit tells whether there were more.
    """
    window = (Event.id > after, Event.id <= upto)
    newest = [
        select(Event.id)
        .where(branch, *window)
        .order_by(Event.id.desc())
        .limit(limit + 1)
        .subquery()
        for branch in access.visible_event_branches(seen)
    ]
    ids = union(*(select(branch.c.id) for branch in newest)).subquery()
    top = select(ids.c.id).order_by(ids.c.id.desc()).limit(limit + 1)
    rows = db.session.execute(select(*COLUMNS).where(Event.id.in_(top)).order_by(Event.id.desc()))
    events = [LiveEvent.from_row(row) for row in rows]
    return Replay(events[:limit][::-1], behind=len(events) > limit)


def _bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _stream_user() -> User:
    if _bearer():
        from partnership.api.auth import authenticate

        authenticate()
        return g.api_user
    if not current_user.is_authenticated:
        raise Problem(401, "Unauthorised", "Sign in, or send a bearer token.")
    return current_user._get_current_object()


def _still_allowed_check(seen: access.Viewer) -> Callable[[], bool]:
    """The test this stream repeats each heartbeat: the one every request makes, for the
    API token or the signed-in session that opened it, and the same access as when it
    opened. A change of organisation, role or neighbourhoods ends the stream; the browser
    reconnects under the new rules."""
    who: Callable[[], User | None]
    if _bearer():
        token = request.headers["Authorization"].partition(" ")[2].strip()
        who = partial(tokens.token_user, token)
    else:
        who = partial(sessions.signed_in_user, current_user.get_id(), session.get(sessions.KEY))

    def check() -> bool:
        user = who()
        return user is not None and access.viewer(user) == seen

    return check


def _in_own_context(app: Flask, check: Callable[[], bool]) -> Callable[[], bool]:
    """Run a check with a database session of its own, given back at once. If the database
    cannot answer, the stream ends: the browser reconnects and replays what it missed."""

    def run() -> bool:
        with app.app_context():
            try:
                return check()
            except SQLAlchemyError:
                log.warning("live stream ended: its session could not be checked", exc_info=True)
                return False
            finally:
                db.session.remove()

    return run


@live.route("/live")
def stream():
    try:
        user = _stream_user()
    except Problem as problem:
        return problem.response()
    relay = current_app.extensions["live_relay"]
    subscriber = Subscriber(access.viewer(user))
    still_signed_in = _in_own_context(
        current_app._get_current_object(), _still_allowed_check(subscriber.viewer)
    )
    # Release this request's transaction first: on SQLite it holds the write lock, and
    # starting the relay reads from its own connection.
    db.session.commit()
    position = relay.subscribe(subscriber)
    last = _last_event_id()
    missed = Replay([], behind=False)
    if last is not None:
        limit = current_app.config["LIVE_REPLAY_LIMIT"]
        missed = replay(subscriber.viewer, last, position, limit)
    db.session.remove()  # an idle stream holds no database connection
    heartbeat = current_app.config["LIVE_HEARTBEAT_SECONDS"]

    def events() -> Iterator[str]:
        checked = time.monotonic()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            if last is None:
                # A fresh page has no history to replay: tell it to refresh its live regions.
                yield f"event: resync\ndata: {json.dumps({'position': position})}\n\n"
            if missed.behind:
                # Too far behind to replay: the page reloads its live regions instead, and
                # the id moves the browser's Last-Event-ID on to where this stream picks up.
                body = json.dumps({"id": position})
                yield f"id: {position}\nevent: resync\ndata: {body}\n\n"
            else:
                for event in missed.events:
                    yield frame(subscriber, event)
            while True:
                try:
                    wait = max(0.0, checked + heartbeat - time.monotonic())
                    event = subscriber.queue.get(timeout=wait)
                except queue.Empty:
                    event = None
                if subscriber.closing:
                    # The server is stopping: the browser comes back (to another worker, or
                    # this one restarted) after RETRY_MS and replays from its last id.
                    yield f"retry: {RETRY_MS}\nevent: closing\ndata: {{}}\n\n"
                    return
                if event is None or time.monotonic() - checked >= heartbeat:
                    # Signed out, deactivated or revoked: the stream ends here, sending
                    # nothing more. A busy stream checks as often as a quiet one.
                    if not still_signed_in():
                        return
                    checked = time.monotonic()
                if event is None:
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
