"""Live latency (issue 5's last "Done when", issue 7 scenario f).

Two app processes share PostgreSQL and Redis: a write goes through server A (a capacity post
through the API, which writes its event row in the same transaction and publishes a notice
after the commit) and the event is received on an SSE stream open on server B. Beside it, in
the same run, the raw Redis publish → subscriber receive latency, with redis-py.

Standalone: `.venv/bin/python bench/live.py` (after `make bench` has generated the data; it
reads instance/bench.json and BENCH_DATABASE_URL, starts two gunicorns, measures, stops them).
"""

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import `bench.*` from the checkout, not bench/ itself.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.client import json_request
from bench.stats import Summary


def redis_roundtrip(url: str, count: int = 1000) -> Summary:
    """Publish → receive on one channel through the Redis server, in milliseconds."""
    import redis

    channel = f"bench:{os.getpid()}:{time.time_ns()}"
    subscriber = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(channel)
    publisher = redis.Redis.from_url(url)
    while subscriber.get_message(timeout=0.1):
        pass
    latencies = []
    began = time.perf_counter()
    deadline = time.monotonic() + 30
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        sent = time.perf_counter()
        publisher.publish(channel, str(sent))
        message = subscriber.get_message(timeout=1.0)
        while message is None and time.monotonic() < deadline:
            message = subscriber.get_message(timeout=1.0)
        if message:
            latencies.append((time.perf_counter() - float(message["data"])) * 1000)
    seconds = time.perf_counter() - began
    subscriber.close()
    publisher.close()
    return Summary.of("redis publish → receive", latencies, seconds)


class StreamClient:
    """One SSE stream on a raw socket; records when each `capacity` event arrives."""

    def __init__(self, base: str, token: str):
        host, port = base.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(
            (
                "GET /live HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode()
        )
        self.arrivals: list[tuple[float, int]] = []
        self.ready = threading.Event()
        self.closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer = b""
        self.sock.settimeout(1.0)
        while not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            now, wall = time.perf_counter(), time.time()
            buffer += chunk
            if b"retry:" in buffer:
                self.ready.set()
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                if b"event: capacity" in frame:
                    for line in frame.split(b"\n"):
                        if line.startswith(b"id: "):
                            self.arrivals.append((now, int(line[4:]), wall))

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()


def commit_to_client(
    writer_base: str,
    reader_base: str,
    writer_token: str,
    reader_token: str,
    service_id: int,
    *,
    database_url: str,
    writes: int = 100,
    streams: int = 1,
) -> tuple[Summary, Summary]:
    """Capacity posts through A, each received on `streams` streams open on B.

    Returns, over every stream and write, in milliseconds:
    - event written → received: from the event row's `created_at` (taken by A before its
      INSERT, so before the commit) to the arrival on B, on this machine's one clock: an
      upper bound of commit-to-client that leaves out only A's HTTP handling;
    - request sent → received: a looser upper bound that includes all of A's request.
    """
    clients = [StreamClient(reader_base, reader_token) for _ in range(streams)]
    try:
        for client in clients:
            if not client.ready.wait(10):
                raise RuntimeError("a live stream on B did not open")
        time.sleep(0.5)
        upper, arrivals = [], []
        began = time.perf_counter()
        deadline = time.monotonic() + 120
        for i in range(writes):
            if time.monotonic() > deadline:
                break
            seen = [len(c.arrivals) for c in clients]
            sent = time.perf_counter()
            status, _ = json_request(
                writer_base,
                "PUT",
                f"/api/v1/services/{service_id}/capacity",
                writer_token,
                {"status": "limited", "places_available": 5 + i % 2, "note": ""},
            )
            if status != 200:
                raise RuntimeError(f"capacity post through A answered {status}")
            wait_until = time.monotonic() + 3
            while time.monotonic() < wait_until and any(
                len(c.arrivals) <= n for c, n in zip(clients, seen, strict=True)
            ):
                time.sleep(0.0005)
            for client, n in zip(clients, seen, strict=True):
                if len(client.arrivals) > n:
                    arrived, event_id, wall = client.arrivals[n]
                    upper.append((arrived - sent) * 1000)
                    arrivals.append((event_id, wall))
            time.sleep(0.02)
        seconds = time.perf_counter() - began
    finally:
        for client in clients:
            client.close()
    import psycopg

    with psycopg.connect(database_url) as connection:
        written = dict(
            connection.execute(
                "SELECT id, extract(epoch FROM created_at) FROM events WHERE id = ANY(%s)",
                (sorted({event_id for event_id, _ in arrivals}),),
            ).fetchall()
        )
    commit = [(wall - float(written[event_id])) * 1000 for event_id, wall in arrivals]
    label = f"{streams} stream{'s' if streams > 1 else ''} on B"
    return (
        Summary.of(f"live: event written on A → received on B ({label})", commit, seconds),
        Summary.of(f"live: write request sent to A → received on B ({label})", upper, seconds),
    )


def first_event(base: str, headers: dict, last_event_id: int) -> tuple[float, str]:
    """Open /live as a reconnecting page does (Last-Event-ID) and time it to its first event:
    the first replayed one, or the resync of a page too far behind. Returns milliseconds and
    the event's name; the stream is then closed."""
    host, port = base.split(":")
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        "GET /live HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
        f"Last-Event-ID: {last_event_id}\r\n{lines}\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        began = time.perf_counter()
        sock.sendall(request)
        buffer = b""
        while b"\nevent: " not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"/live ended before any event: {buffer[:200]!r}")
            buffer += chunk
        elapsed = (time.perf_counter() - began) * 1000
    name = buffer.split(b"\nevent: ", 1)[1].split(b"\n", 1)[0].decode()
    return elapsed, name


def replay_from_start(
    base: str, headers: dict, count: int = 100, seconds: float = 20
) -> tuple[Summary, dict[str, int]]:
    """Streams opened one after another with Last-Event-ID 0, each timed to its first event;
    also how many began with each event name."""
    latencies, names = [], {}
    began = time.perf_counter()
    deadline = time.monotonic() + seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        elapsed, name = first_event(base, headers, 0)
        latencies.append(elapsed)
        names[name] = names.get(name, 0) + 1
    return Summary.of("live replay from 0", latencies, time.perf_counter() - began), names


def main() -> None:
    from bench.client import start_gunicorn, stop_all
    from bench.run import bench_env, load_info

    def _terminate(*_args):
        raise SystemExit(143)  # run the `finally` below: stop the servers

    signal.signal(signal.SIGTERM, _terminate)
    info = load_info()
    env = bench_env()
    log_dir = Path(__file__).resolve().parent.parent / "instance" / "bench-logs"
    try:
        a = start_gunicorn(int(os.environ.get("BENCH_PORT", "8811")), env, 1, log_dir)
        b = start_gunicorn(int(os.environ.get("BENCH_LIVE_PORT", "8812")), env, 1, log_dir)
        raw = redis_roundtrip(env["REDIS_URL"])
        print(f"{raw.name}: p50 {raw.median:.2f} ms, p99 {raw.p99:.2f} ms ({raw.count})")
        for streams in (1, 100):
            upper, lower = commit_to_client(
                a.base,
                b.base,
                info["tokens"]["inbox_coordinator"],
                info["tokens"]["inbox_caseworker"],
                info["inbox_services"][-1],
                database_url=env["DATABASE_URL"],
                streams=streams,
            )
            for s in (upper, lower):
                print(f"{s.name}: p50 {s.median:.2f} ms, p99 {s.p99:.2f} ms ({s.count})")
    finally:
        stop_all()


if __name__ == "__main__":
    main()
