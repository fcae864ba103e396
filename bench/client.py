"""A small, bounded HTTP load generator (threads, http.client keep-alive) and gunicorn control.

Every load is bounded in count and in time, and every process started here is started in
its own session so that `stop` (and the harness's exit handlers) end it and its workers.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.stats import Summary

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STARTED: list[subprocess.Popen] = []


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_gunicorn(port: int, env: dict, workers: int, log_dir: Path) -> Server:
    """gunicorn in the production configuration (partnership/gunicorn.conf.py)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"gunicorn-{port}.log"
    environment = {
        **os.environ,
        **env,
        "PARTNERSHIP_ENV": "production",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    }
    process = subprocess.Popen(  # noqa: S603  (our own venv gunicorn)
        [str(VENV_BIN / "gunicorn"), "--config", "partnership/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    STARTED.append(process)
    server = Server(port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on {port} exited: see {log}")
        try:
            status, _, _ = request(server.base, "GET", "/static/favicon.svg", timeout=2)
            if status == 200 and len(server.worker_pids()) >= workers:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"gunicorn on {port} did not answer within 60 s: see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=25)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    if process in STARTED:
        STARTED.remove(process)


def stop_all() -> None:
    for process in list(STARTED):
        stop(process)


def request(base, method, path, body=None, headers=None, timeout=30):
    host, port = base.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


class Session:
    """A signed-in browser: the session cookie from the real sign-in form."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def _remember(self, headers) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]

    @property
    def cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def sign_in(self, email: str, password: str) -> "Session":
        status, headers, page = request(self.base, "GET", "/sign-in")
        self._remember(headers)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        if status != 200 or not match:
            raise RuntimeError(f"no sign-in form at {self.base} ({status})")
        body = urlencode(
            {"csrf_token": match.group(1).decode(), "email": email, "password": password}
        )
        status, headers, _ = request(
            self.base,
            "POST",
            "/sign-in",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", **self.cookie_header},
        )
        self._remember(headers)
        if status not in (302, 303):
            raise RuntimeError(f"sign-in as {email} refused ({status})")
        return self


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400 or status == 0)

    def summary(self, name: str, note: str = "") -> Summary:
        return Summary.of(name, self.latencies_ms, self.seconds, self.errors, note)


def load(
    base: str,
    path: str,
    *,
    headers: dict | None = None,
    concurrency: int = 4,
    seconds: float = 8.0,
    max_requests: int = 3000,
    warmup: int = 20,
    ok=(200,),
) -> LoadResult:
    """Closed-loop load: `concurrency` keep-alive connections, each sending the next request
    when the last answered, until `seconds` pass or `max_requests` are done."""
    host, port = base.split(":")
    headers = headers or {}
    for _ in range(warmup):
        request(base, "GET", path, headers=headers)
    result = LoadResult()
    lock = threading.Lock()
    remaining = [max_requests]
    stop_at = time.monotonic() + seconds

    def worker():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status in ok:
                    result.latencies_ms.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    result.seconds = time.perf_counter() - began
    return result


def json_request(base, method, path, token, payload=None, extra=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    headers.update(extra or {})
    status, _, body = request(base, method, path, json.dumps(payload) if payload else None, headers)
    return status, body
