"""The small broker interface, with an in-process and a Redis implementation.

A notice carries only the id of the newest event written; the relay reads the rows. Pub/sub
delivers at most once, so nothing depends on a notice arriving: the relay also polls.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
CHANNEL = "partnership:events"


class Broker(Protocol):
    failures: int

    def publish(self, notice: str) -> None:
        """Send a notice to every process; never raises, never blocks for long."""

    def listen(self, on_notice: Callable[[str], None]) -> None:
        """Call `on_notice` for each notice from now on (in a background thread)."""

    def close(self) -> None: ...


class InProcessBroker:
    """One process: notices go straight to the listeners (the embedded default)."""

    def __init__(self):
        self.failures = 0
        self._listeners: list[Callable[[str], None]] = []

    def publish(self, notice: str) -> None:
        for listener in list(self._listeners):
            listener(notice)

    def listen(self, on_notice: Callable[[str], None]) -> None:
        self._listeners.append(on_notice)

    def close(self) -> None:
        self._listeners.clear()


class RedisBroker:
    """Several processes or hosts share one Redis channel.

    The publishing client has short timeouts and no retries: with redis-py's defaults a
    publish to a stopped Redis blocked its caller for over 4 s. A failed publish is logged
    and counted, and the relay's timer carries the event instead.
    """

    def __init__(self, url: str, channel: str = CHANNEL, timeout: float = 0.25):
        self.url, self.channel, self.failures = url, channel, 0
        self._publisher = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._stopped = threading.Event()

    def publish(self, notice: str) -> None:
        try:
            self._publisher.publish(self.channel, notice)
        except redis.RedisError as error:
            self.failures += 1
            log.warning("live notice not published (%s); the relay's timer will carry it", error)

    def listen(self, on_notice: Callable[[str], None]) -> None:
        threading.Thread(
            target=self._listen, args=(on_notice,), name="live-redis-listener", daemon=True
        ).start()

    def _listen(self, on_notice: Callable[[str], None]) -> None:
        delay = 0.1
        while not self._stopped.is_set():
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                on_notice("subscribed")  # catch up on whatever was missed while away
                delay = 0.1
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        data = message["data"]
                        on_notice(data.decode() if isinstance(data, bytes) else str(data))
            except redis.RedisError as error:
                log.warning("live subscription lost (%s); retrying in %.1f s", error, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def close(self) -> None:
        self._stopped.set()
        self._publisher.close()
