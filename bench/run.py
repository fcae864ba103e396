"""`make bench`: the partnership at scale, each scenario beside a baseline (issue 7).

1. Creates the PostgreSQL database in BENCH_DATABASE_URL (default
   postgresql://postgres@127.0.0.1/partnership_bench) if missing, migrates it, and runs
   `flask bench-data` for BENCH_REFERRALS (default 1,000,000) unless it already holds that
   bench data (instance/bench.json says so and the rows are there).
2. Starts gunicorn in the production configuration (gevent, 2 workers) against it and Redis.
3. Measures the baseline (/static/favicon.svg: no database, no session) and scenarios a–g
   with a bounded, closed-loop Python load generator (bench/client.py), prints the table and
   writes bench/RESULTS.md.

Every process it starts is stopped on exit, on errors and on Ctrl-C.
"""

import atexit
import json
import os
import platform
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import `bench.*` from the checkout, not bench/ itself.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psycopg

from bench import live
from bench.client import (
    ROOT,
    VENV_BIN,
    Session,
    json_request,
    load,
    rss_kib,
    start_gunicorn,
    stop,
    stop_all,
)
from bench.stats import Row, Summary, Target, judge, render_results, table

BENCH_DIR = Path(__file__).resolve().parent
LOG_DIR = ROOT / "instance" / "bench-logs"  # instance/ is not committed
INFO_FILE = ROOT / "instance" / "bench.json"
DEFAULT_URL = "postgresql://postgres@127.0.0.1/partnership_bench"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "5000"))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def bench_env() -> dict:
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # A fresh random secret per run: production refuses anything shorter than 32.
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        # The bench signs in a coordinator and a lead with a password alone.
        "PARTNERSHIP_REQUIRE_TWO_STEP": "off",
    }


def load_info() -> dict:
    return json.loads(INFO_FILE.read_text())


def _flask(*args: str, env: dict, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own venv flask)
        [str(VENV_BIN / "flask"), "--app", "partnership", *args],
        cwd=ROOT,
        env={**os.environ, **env, "PARTNERSHIP_ENV": "production"},
        check=check,
    )


def prepare_database(n: int, env: dict) -> float:
    """Create, migrate and fill the bench database; returns the seconds generation took."""
    url = database_url()
    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            log(f"creating database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')
    _flask("db", "upgrade", env=env)
    with psycopg.connect(url) as connection:
        referrals = connection.execute("SELECT count(*) FROM referrals").fetchone()[0]
    info = load_info() if INFO_FILE.exists() else {}
    if info.get("referrals") == n and referrals >= n:
        log(f"database already holds the {n:,} bench referrals: generation skipped")
        return 0.0
    log(f"generating {n:,} referrals (flask bench-data)")
    began = time.monotonic()
    _flask("bench-data", "--referrals", str(n), env=env)
    return time.monotonic() - began


def machine(url: str, redis_url: str) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with psycopg.connect(url) as connection:
        postgresql = connection.execute("SHOW server_version").fetchone()[0]
    import gevent
    import gunicorn
    import redis

    redis_version = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": postgresql,
        "redis": redis_version,
        "server": (
            f"gunicorn {gunicorn.__version__} with gevent {gevent.__version__} workers "
            "(partnership/gunicorn.conf.py, PARTNERSHIP_ENV=production), same machine"
        ),
        "client": (
            f"bench/client.py: Python threads with http.client keep-alive, {CONCURRENCY} "
            "connections, closed loop, on the same 2 cores as the server"
        ),
    }


# --- scenario e: accept contention ----------------------------------------------------------


def _new_requested_referrals(connection, service_id: int, count: int, tag: str) -> list[int]:
    """Fresh requested referrals to one service, each from a different resident."""
    row = connection.execute(
        "SELECT organisation_id FROM services WHERE id = %s", (service_id,)
    ).fetchone()
    to_org = row[0]
    need = connection.execute(
        "SELECT need_id FROM service_needs WHERE service_id = %s LIMIT 1", (service_id,)
    ).fetchone()[0]
    sender = connection.execute(
        "SELECT id, organisation_id FROM users WHERE role = 'caseworker' "
        "AND organisation_id <> %s ORDER BY id LIMIT 1",
        (to_org,),
    ).fetchone()
    residents = connection.execute(
        "SELECT r.id, r.neighbourhood_id FROM residents r WHERE NOT EXISTS ("
        "SELECT 1 FROM referrals f WHERE f.resident_id = r.id AND f.to_service_id = %s "
        "AND f.status IN ('draft','requested','accepted','in-progress','on-hold')) "
        "ORDER BY r.id DESC LIMIT %s",
        (service_id, count),
    ).fetchall()
    ids = []
    for i, (resident, hood) in enumerate(residents):
        ids.append(
            connection.execute(
                "INSERT INTO referrals (reference, resident_id, need_id, from_organisation_id, "
                "from_user_id, to_service_id, to_organisation_id, neighbourhood_id, urgency, "
                "summary, status, closing_note, version, created_at, sent_at, opened_at, "
                "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'routine', "
                "'Bench contention', 'requested', '', 2, now(), now(), now(), now()) "
                "RETURNING id",
                (f"B{tag}-{i}", resident, need, sender[1], sender[0], service_id, to_org, hood),
            ).fetchone()[0]
        )
    connection.commit()
    return ids


def accept_contention(base: str, info: dict) -> tuple[Row, Row, dict]:
    """100 concurrent accepts against 10 places: exactly 10 must succeed; then throughput."""
    token = info["tokens"]["inbox_coordinator"]
    service_id = info["inbox_services"][0]
    tag = str(int(time.time()) % 10**8)
    with psycopg.connect(database_url()) as connection:
        before = connection.execute(
            "SELECT capacity_status, places_available FROM services WHERE id = %s",
            (service_id,),
        ).fetchone()
        connection.execute(
            "UPDATE services SET capacity_status = 'limited', places_available = 10 WHERE id = %s",
            (service_id,),
        )
        connection.commit()
        contended = _new_requested_referrals(connection, service_id, 100, tag + "c")

    statuses: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(contended))

    def accept(referral_id: int) -> None:
        barrier.wait(30)
        began = time.perf_counter()
        status, _ = json_request(
            base,
            "POST",
            f"/api/v1/referrals/{referral_id}/transitions",
            token,
            {"action": "accept"},
        )
        with lock:
            statuses.append(status)
            latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=accept, args=(r,), daemon=True) for r in contended]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seconds = time.perf_counter() - began
    with psycopg.connect(database_url()) as connection:
        accepted = connection.execute(
            "SELECT count(*) FROM referrals WHERE id = ANY(%s) AND status = 'accepted'",
            (contended,),
        ).fetchone()[0]
        places = connection.execute(
            "SELECT places_available FROM services WHERE id = %s", (service_id,)
        ).fetchone()[0]
    ok = statuses.count(200)
    refused = statuses.count(409)
    correct = ok == 10 and accepted == 10 and places == 0 and refused == len(contended) - 10
    first = Summary.of(
        "accept: 100 at once, 10 places", latencies, seconds, errors=len(statuses) - ok - refused
    )
    contention = Row(
        "e1",
        "(e) accept contention: 100 concurrent, 10 places",
        first,
        why=(
            f"{ok} answered 200, {refused} answered 409 'no places left', {accepted} accepted "
            f"in the database, {places} places left: "
            + ("exactly 10 accepted, none overbooked" if correct else "WRONG")
        ),
    )
    contention.outcome = "met" if correct else "missed"

    # Throughput: accepts as fast as 8 connections go, all on the same service's row.
    with psycopg.connect(database_url()) as connection:
        connection.execute(
            "UPDATE services SET places_available = 100000 WHERE id = %s", (service_id,)
        )
        connection.commit()
        batch = _new_requested_referrals(connection, service_id, 400, tag + "t")
    queue = list(batch)
    lat2: list[float] = []
    codes: list[int] = []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                referral_id = queue.pop()
            t0 = time.perf_counter()
            status, _ = json_request(
                base,
                "POST",
                f"/api/v1/referrals/{referral_id}/transitions",
                token,
                {"action": "accept"},
            )
            with lock:
                codes.append(status)
                if status == 200:
                    lat2.append((time.perf_counter() - t0) * 1000)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    seconds = time.perf_counter() - began
    with psycopg.connect(database_url()) as connection:
        connection.execute(
            "UPDATE services SET capacity_status = %s, places_available = %s WHERE id = %s",
            (before[0], before[1], service_id),
        )
        connection.commit()
    throughput = Row(
        "e2",
        "(e) accept throughput: 8 connections, one service",
        Summary.of("accepts", lat2, seconds, errors=len(codes) - codes.count(200)),
    )
    return contention, throughput, {"accepted": accepted, "places_left": places}


# --- scenario g: open streams -------------------------------------------------------------


def open_streams(base: str, token: str, count: int, seconds_limit: float = 240) -> list:
    """Open up to `count` idle SSE streams, in batches; returns the sockets that opened."""
    host, port = base.split(":")
    request = (
        "GET /live HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()
    opened = []
    deadline = time.monotonic() + seconds_limit
    batch = 200
    while len(opened) < count and time.monotonic() < deadline:
        pending = []
        for _ in range(min(batch, count - len(opened))):
            try:
                sock = socket.create_connection((host, int(port)), timeout=10)
                sock.sendall(request)
                pending.append(sock)
            except OSError:
                break
        for sock in pending:
            try:
                sock.settimeout(30)
                data = sock.recv(4096)
                while b"retry:" not in data and data:
                    data += sock.recv(4096)
                if data.startswith(b"HTTP/1.1 200") and b"retry:" in data:
                    opened.append(sock)
                else:
                    sock.close()
            except OSError:
                sock.close()
        if len(pending) < batch and len(opened) < count:
            break
    return opened


def streams_scenario(server, info: dict, inbox_path: str, cookie: dict) -> tuple[list[Row], dict]:
    idle = load(server.base, inbox_path, headers=cookie, concurrency=CONCURRENCY, seconds=SECONDS)
    rss_before = sum(rss_kib(pid) for pid in server.worker_pids())
    began = time.monotonic()
    sockets = open_streams(server.base, info["tokens"]["inbox_caseworker"], STREAMS)
    open_seconds = time.monotonic() - began
    time.sleep(2)
    rss_after = sum(rss_kib(pid) for pid in server.worker_pids())
    busy = load(server.base, inbox_path, headers=cookie, concurrency=CONCURRENCY, seconds=SECONDS)
    alive = 0
    for sock in sockets:
        try:
            sock.setblocking(False)
            try:
                data = sock.recv(65536)
                alive += 1 if data != b"" else 0
            except BlockingIOError:
                alive += 1
        except OSError:
            pass
    for sock in sockets:
        sock.close()
    per_stream = (rss_after - rss_before) / len(sockets) if sockets else float("nan")
    facts = {
        "opened": len(sockets),
        "alive_after_load": alive,
        "open_seconds": round(open_seconds, 1),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_after_mib": round(rss_after / 1024, 1),
        "kib_per_stream": round(per_stream, 1),
    }
    idle_row = Row("g0", "(g) inbox, no streams open", idle.summary("inbox idle"))
    busy_row = Row(
        "g1",
        f"(g) inbox with {len(sockets):,} idle streams open",
        busy.summary("inbox with streams"),
        Target("ratio_p95", 2.0, "5,000 streams; p95 ≤ 2× no streams"),
        reference=idle_row.summary,
    )
    if len(sockets) < 5000:
        busy_row.why = f"only {len(sockets):,} of {STREAMS:,} streams opened"
    return [idle_row, busy_row], facts


# --- the run --------------------------------------------------------------------------------


def _shutdown(*_args) -> None:
    stop_all()
    raise SystemExit(130)


def main() -> int:
    run_began = time.monotonic()
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # for thousands of streams

    n = int(os.environ.get("BENCH_REFERRALS", "1000000"))
    load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    env = bench_env()
    generation = prepare_database(n, env)
    info = load_info()
    meta = {
        **machine(database_url(), env["REDIS_URL"]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "referrals": n,
    }
    notes = [
        f"Data: `flask bench-data --referrals {n}` (seed {info['seed']}); its own timings: "
        f"{info['timings']}"
        + (f"; generated in this run in {generation:.0f} s." if generation else "; reused."),
        f"Inbox organisation {info['inbox_organisation_id']} receives "
        f"{info['inbox_referrals']:,} referrals.",
        "Baseline: GET /static/favicon.svg with no cookie (Flask's static route in the same "
        "gunicorn workers: no database, no session, no template).",
    ]
    rows: list[Row] = []
    ms = "ms"
    log("starting gunicorn (production configuration, 2 gevent workers)")
    server = start_gunicorn(int(os.environ.get("BENCH_PORT", "8811")), env, 2, LOG_DIR)
    try:
        users = info["users"]
        coordinator = Session(server.base).sign_in(users["inbox_coordinator"], info["password"])
        lead = Session(server.base).sign_in(users["lead"], info["password"])
        bearer_caseworker = f"Bearer {info['tokens']['inbox_caseworker']}"

        def measure(path, headers=None, **kw):
            return load(
                server.base, path, headers=headers, concurrency=CONCURRENCY, seconds=SECONDS, **kw
            )

        log("baseline")
        baseline = measure("/static/favicon.svg").summary("baseline")
        rows.append(Row("base", "baseline: /static/favicon.svg", baseline))

        log("(a) inbox")
        inbox_path = "/inbox"
        for key, title, path in (
            ("a", "(a) inbox, default tab (new), page 1", "/inbox"),
            ("a2", "(a) inbox, closed tab, page 1 (10,000+ rows behind it)", "/inbox?tab=closed"),
            ("a3", "(a) inbox, closed tab, page 200", "/inbox?tab=closed&page=200"),
        ):
            result = measure(path, coordinator.cookie_header)
            rows.append(Row(key, title, result.summary(key), Target("p95", 50, f"p95 ≤ 50 {ms}")))

        log("(b) referral page")
        if info.get("showcase_referral_id"):
            path = f"/referrals/{info['showcase_referral_id']}"
            rows.append(
                Row(
                    "b",
                    "(b) referral page with its timeline",
                    measure(path, coordinator.cookie_header).summary("b"),
                    Target("p95", 50, f"p95 ≤ 50 {ms}"),
                )
            )
        log("(c) directory")
        d = info["directory"]
        path = f"/directory?need={d['need']}&neighbourhood={d['neighbourhood']}&age={d['age']}"
        rows.append(
            Row(
                "c",
                "(c) directory search with suggestions",
                measure(path, coordinator.cookie_header).summary("c"),
                Target("p95", 50, f"p95 ≤ 50 {ms}"),
            )
        )
        log("(d) dashboard")
        path = f"/neighbourhoods/{info['dashboard_neighbourhood_id']}/dashboard"
        result = measure(path, lead.cookie_header, max_requests=600)
        row = Row(
            "d",
            "(d) neighbourhood dashboard (lead, default period)",
            result.summary("d"),
            Target("median", 150, f"median ≤ 150 {ms}"),
        )
        if not result.latencies_ms:
            row.why = f"not measured: the page answered {result.statuses}"
        rows.append(row)
        year = measure(f"{path}?weeks=52", lead.cookie_header, max_requests=600)
        rows.append(Row("d2", "(d) the same dashboard, last 52 weeks", year.summary("d2")))

        log("(e) accept contention")
        first, second, _ = accept_contention(server.base, info)
        rows += [first, second]

        log("(h) live replay from Last-Event-ID 0")
        for key, who, headers in (
            ("h", "the inbox caseworker, by token", {"Authorization": bearer_caseworker}),
            ("h2", "the busiest neighbourhood's lead, signed in", lead.cookie_header),
        ):
            replayed, names = live.replay_from_start(server.base, headers)
            rows.append(
                Row(
                    key,
                    f"(h) /live reconnecting from event 0 → first event: {who}",
                    replayed,
                    Target("p95", 50, f"p95 ≤ 50 {ms}"),
                )
            )
            firsts = ", ".join(f"{n:,} {name}" for name, n in names.items())
            notes.append(f"(h) {who}: the streams' first events: {firsts}.")

        log("(f) live latency across two processes")
        second_server = start_gunicorn(
            int(os.environ.get("BENCH_LIVE_PORT", "8812")), env, 1, LOG_DIR
        )
        try:
            raw = live.redis_roundtrip(env["REDIS_URL"])
            rows.append(Row("f0", "(f) raw Redis publish → receive", raw))
            for streams in (1, 100):
                commit, whole = live.commit_to_client(
                    server.base,
                    second_server.base,
                    info["tokens"]["inbox_coordinator"],
                    info["tokens"]["inbox_caseworker"],
                    info["inbox_services"][-1],
                    database_url=database_url(),
                    streams=streams,
                )
                rows.append(
                    Row(
                        f"f{streams}",
                        f"(f) {commit.name}",
                        commit,
                        Target("p99", 50, f"p99 ≤ 50 {ms}"),
                    )
                )
                rows.append(Row(f"f{streams}w", f"(f) {whole.name}", whole))
        finally:
            stop(second_server.process)

        log(f"(g) {STREAMS:,} open streams")
        stream_rows, facts = streams_scenario(server, info, inbox_path, coordinator.cookie_header)
        rows += stream_rows
        notes.append(
            f"(g) streams: {facts['opened']:,} opened in {facts['open_seconds']} s, "
            f"{facts['alive_after_load']:,} still open after the inbox load; worker RSS "
            f"{facts['rss_before_mib']} MiB → {facts['rss_after_mib']} MiB, "
            f"{facts['kib_per_stream']} KiB per stream."
        )
    finally:
        stop_all()

    for row in rows:
        if row.key not in ("e1",):
            judge(row)
    meta["run_seconds"] = time.monotonic() - run_began
    meta["load"] = (
        f"load average {load_at_start} at the start, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end "
        "(other work on this machine inflates every figure; compare the ratios)"
    )
    print()
    print("\n".join(table(rows, baseline)))
    print()
    text = render_results(meta, rows, baseline, notes)
    analysis = BENCH_DIR / "ANALYSIS.md"
    if analysis.exists():  # the profiled causes, written by hand after a run
        text += "\n" + analysis.read_text()
    (BENCH_DIR / "RESULTS.md").write_text(text)
    log(f"wrote bench/RESULTS.md in {meta['run_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
