"""Real processes for the live tests: a throwaway Redis, gunicorn app servers, an SSE reader."""

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {timeout} s")


class RedisServer:
    """A private redis-server on its own port, to stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class AppServer:
    """gunicorn with a gevent worker, in the production configuration."""

    def __init__(self, database_url: str, redis_url: str, channel: str):
        self.port = free_port()
        self.env = {
            **os.environ,
            "PARTNERSHIP_ENV": "production",
            "SECRET_KEY": "live-test-" + "x" * 40,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LIVE_CHANNEL": channel,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
        }
        self.process = None

    def start(self) -> "AppServer":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "partnership/gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def request(self, method: str, path: str, token: str, body=None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, json.loads(data or b"{}")


class StreamReader:
    """Reads Server-Sent Events frames from a live stream over a real socket.

    A thread reads lines as they come (a socket read that times out cannot be resumed),
    and `frames` waits on them with a deadline.
    """

    def __init__(self, port: int, token: str, last_event_id: int | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", "/live", headers=headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()
        self.lines: queue.Queue[str] = queue.Queue()
        self.ended = threading.Event()  # the server closed the stream
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response.fp:
                self.lines.put(raw.decode())
        except (OSError, ValueError):
            pass  # closed by the test, or by the server stopping
        finally:
            self.ended.set()

    def frames(
        self, count: int, timeout: float = 10.0, kinds: set[str] | None = None
    ) -> list[dict]:
        """The next `count` frames (of the given event names), or fewer if time runs out."""
        found, fields = [], {}
        deadline = time.monotonic() + timeout
        while len(found) < count:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            line = line.rstrip("\n")
            if not line:
                if fields.get("event") and (kinds is None or fields["event"] in kinds):
                    found.append(fields)
                fields = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                fields[key] = value
        return found

    def close(self) -> None:
        self.connection.close()
