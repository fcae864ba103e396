"""The relay: one per process, from the events table to the open streams of that process.

It reads new rows when a notice arrives and every POLL seconds in case one was lost, and
hands each event, in id order, to every subscriber that may see it (partnership.access
decides).

It never skips an event. On PostgreSQL ids are taken when a row is inserted, not when it
commits, so a lower id can appear after a higher one, or never (its transaction rolled
back). At a gap the relay notes the transactions still in flight just after the read that
showed it: whichever holds the missing id is among them. Once none of them is in flight
any more at the start of a later poll, that poll's read sees the id if it was committed,
so a gap still there then is for good and is passed. A transaction that takes its id and
commits seconds later (behind a lock, say) is waited for, however long. On SQLite writes
are serialised, so ids commit in order and a gap is never filled later.
"""

import contextlib
import logging
import queue
import threading
import time
import weakref
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import Row, func, select, text

from partnership.access import Viewer, may_see_event
from partnership.extensions import db
from partnership.models import Event

log = logging.getLogger(__name__)
POLL = 1.0
GAP_CHECK = 0.1  # how soon to look again while waiting at a gap
GAP_WARNING = 30.0  # seconds at one gap before saying so in the log
BATCH = 500
QUEUE_SIZE = 1000


@dataclass(frozen=True)
class LiveEvent:
    """What a stream may learn of an event: ids, kind and status codes, nothing personal."""

    id: int
    kind: str
    referral_id: int | None
    service_id: int | None
    from_organisation_id: int | None
    to_organisation_id: int | None
    neighbourhood_id: int | None
    to_status: str | None

    @classmethod
    def from_row(cls, row: Event | Row) -> "LiveEvent":
        """From an Event, or a row of COLUMNS."""
        return cls(
            row.id,
            row.kind,
            row.referral_id,
            row.service_id,
            row.from_organisation_id,
            row.to_organisation_id,
            row.neighbourhood_id,
            row.to_status.value if row.to_status else None,
        )


# The columns a LiveEvent is made from, for queries that need no more of an event.
COLUMNS = (
    Event.id,
    Event.kind,
    Event.referral_id,
    Event.service_id,
    Event.from_organisation_id,
    Event.to_organisation_id,
    Event.neighbourhood_id,
    Event.to_status,
)


@dataclass(eq=False)
class Subscriber:
    """One open stream: who is listening (as the access rules see them), and the queue the
    relay fills for them. The stream itself re-checks that its user may still listen."""

    viewer: Viewer
    queue: "queue.Queue[LiveEvent | None]" = field(default_factory=lambda: queue.Queue(QUEUE_SIZE))
    overflowed: bool = False
    closing: bool = False  # the process is stopping: end the stream now

    def close(self) -> None:
        self.closing = True
        # Wakes a stream waiting for its next event; a full queue wakes it anyway.
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)

    def offer(self, event: LiveEvent) -> None:
        if not may_see_event(self.viewer, event):
            return
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            # A stream this far behind is told to resync rather than grow without bound.
            self.overflowed = True


# Every relay of this process, so that a stopping server can end all open streams at once.
_RELAYS: "weakref.WeakSet[Relay]" = weakref.WeakSet()


def end_every_stream() -> None:
    """Stopping (SIGTERM): every open stream ends now, telling its browser when to come
    back, rather than holding the worker until the graceful timeout runs out."""
    for relay in list(_RELAYS):
        relay.close_streams()


class Relay:
    def __init__(self, app: Flask, broker):
        _RELAYS.add(self)
        self.app, self.broker = app, broker
        self.position = 0  # every event up to here has been handed out (set on start)
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._started = False
        # The gap being waited at: the missing id, the transactions in flight just after it
        # was seen, and when it was first seen.
        self._gap: tuple[int, frozenset[int], float] | None = None
        self.polls = 0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self.position = self._newest_id()
        self.broker.listen(lambda _notice: self._wake.set())
        threading.Thread(target=self._run, name="live-relay", daemon=True).start()

    def _newest_id(self) -> int:
        with self.app.app_context():
            try:
                return db.session.scalar(select(func.coalesce(func.max(Event.id), 0))) or 0
            finally:
                db.session.remove()

    def subscribe(self, subscriber: Subscriber) -> int:
        """Register a stream; returns the position after which it will get events live.

        Events up to the returned position must be replayed from the database by the
        stream itself; every later one arrives on its queue, in order, exactly once.
        """
        self.start()
        with self._lock:
            self._subscribers.add(subscriber)
            return self.position

    def close_streams(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.close()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self.broker.close()

    def _run(self) -> None:
        while True:
            self._wake.wait(POLL)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                self.poll()
            except Exception:
                log.exception("live relay poll failed; trying again")
                time.sleep(POLL)

    def poll(self) -> int:
        """Hand out the events committed since the last poll; returns how many."""
        self.polls += 1
        handed = 0
        with self.app.app_context():
            try:
                in_flight_before = in_flight()
                rows = db.session.execute(
                    select(*COLUMNS).where(Event.id > self.position).order_by(Event.id).limit(BATCH)
                ).all()
                events = [LiveEvent.from_row(row) for row in rows]
                with self._lock:
                    for event in events:
                        if event.id != self.position + 1 and not self._gap_is_for_good(
                            self.position + 1, in_flight_before
                        ):
                            break
                        self._gap = None
                        self.position = event.id
                        for subscriber in self._subscribers:
                            subscriber.offer(event)
                        handed += 1
            finally:
                db.session.remove()
        if handed < len(events):
            # Held back at a gap: look again soon rather than at the next tick.
            threading.Timer(GAP_CHECK, self._wake.set).start()
        return handed

    def _gap_is_for_good(self, missing: int, in_flight_before: frozenset[int] | None) -> bool:
        """Whether the id `missing`, absent from a read that saw later ones, never comes."""
        if in_flight_before is None:
            return True  # SQLite: writes are serialised, so ids commit in order
        now = time.monotonic()
        if self._gap is None or self._gap[0] != missing:
            # Its holder, if still writing, is among the transactions in flight right now.
            self._gap = (missing, in_flight() or frozenset(), now)
            return False
        _, holders, since = self._gap
        if holders & in_flight_before:
            if now - since > GAP_WARNING:
                log.warning(
                    "live relay waiting %.0f s for event %d to commit", now - since, missing
                )
                self._gap = (missing, holders, now)
            return False
        return True


def in_flight() -> frozenset[int] | None:
    """The transactions in flight on PostgreSQL now (None on SQLite, which has no need)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    rows = db.session.scalars(text("SELECT pg_snapshot_xip(pg_current_snapshot())::text"))
    return frozenset(int(xid) for xid in rows)
