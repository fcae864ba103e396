"""gunicorn settings for `make serve`.

gevent workers hold thousands of idle live-update streams cheaply (about 20 KB each,
measured on this machine kind) while still answering ordinary requests; psycopg 3 is
cooperative under gevent without extra patching.
"""

import multiprocessing
import os
import re
import signal
import tempfile
import threading

from gunicorn.glogging import Logger

from partnership.inputs import URL_AT_MOST
from partnership.live.relay import end_every_stream
from partnership.logs import ACCESS_LOG_FORMAT

bind = os.environ.get("BIND", "127.0.0.1:8000")
# gunicorn's control socket defaults to one path per user, so a second instance on the host
# would take it over and the first's would be removed: each gets its own, named by its bind.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or os.path.join(
    tempfile.gettempdir(), "partnership-gunicorn-" + re.sub(r"[^A-Za-z0-9.]", "-", bind) + ".ctl"
)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
timeout = 60
# A longer request line is answered 414 by gunicorn before the app sees it; the app
# refuses a longer address the same way under any other server.
limit_request_line = URL_AT_MOST
graceful_timeout = 20
accesslog = "-"
# Paths without query strings and no Referer: a resident search's terms are never logged.
access_log_format = ACCESS_LOG_FORMAT


class QuietHealthChecks(Logger):
    """Load balancers ask /healthz every few seconds: keep those out of the access log."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") != "/healthz":
            super().access(resp, req, environ, request_time)


logger_class = QuietHealthChecks


def post_worker_init(worker):
    """On SIGTERM the worker stops taking requests (as gunicorn does) and its open live
    streams end at once with a retry hint; otherwise they would hold it, and new connections
    with it, for the whole graceful timeout."""

    def handle_exit(_signal, _frame):
        worker.alive = False
        threading.Thread(target=end_every_stream, daemon=True).start()

    signal.signal(signal.SIGTERM, handle_exit)
