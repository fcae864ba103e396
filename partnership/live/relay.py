"""The relay: one per process, from the events table to the open streams of that process.

It reads new rows when a notice arrives and every POLL seconds in case one was lost, and
hands each event, in id order, to every subscriber that may see it (partnership.access
decides). On PostgreSQL ids are taken when a row is inserted, not when it commits, so a
lower id can appear just after a higher one: the relay holds back past a gap until it
fills or GAP_WAIT passes.
"""

import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import Row, func, select

from partnership.access import Viewer, may_see_event
from partnership.extensions import db
from partnership.models import Event

log = logging.getLogger(__name__)
POLL = 1.0
GAP_WAIT = 2.0
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

    def offer(self, event: LiveEvent) -> None:
        if not may_see_event(self.viewer, event):
            return
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            # A stream this far behind is told to resync rather than grow without bound.
            self.overflowed = True


class Relay:
    def __init__(self, app: Flask, broker):
        self.app, self.broker = app, broker
        self.position = 0  # every event up to here has been handed out (set on start)
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._started = False
        self._gap_since: float | None = None
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
        with self.app.app_context():
            try:
                rows = db.session.scalars(
                    select(Event).where(Event.id > self.position).order_by(Event.id).limit(BATCH)
                ).all()
                events = [LiveEvent.from_row(row) for row in rows]
            finally:
                db.session.remove()
        handed = 0
        with self._lock:
            for event in events:
                if event.id != self.position + 1 and not self._gap_expired():
                    break
                self._gap_since = None
                self.position = event.id
                for subscriber in self._subscribers:
                    subscriber.offer(event)
                handed += 1
        if handed < len(events):
            # Held back behind a gap: look again soon rather than at the next tick.
            threading.Timer(0.05, self._wake.set).start()
        return handed

    def _gap_expired(self) -> bool:
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        return now - self._gap_since >= GAP_WAIT
