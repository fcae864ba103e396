"""Is this instance fit to serve? The database answers a query; Redis, when used, a PING.

Each check says only "ok", "failing" or "not configured": what went wrong goes to the
server's log, never to whoever asked.
"""

import logging

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from partnership.extensions import db

log = logging.getLogger(__name__)
OK, FAILING, NOT_CONFIGURED = "ok", "failing", "not configured"
# A probe must answer before the load balancer gives up on it: fail fast, never retry.
REDIS_TIMEOUT = 1.0


def database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return OK
    except SQLAlchemyError as error:
        log.warning("health check: the database did not answer (%s)", type(error).__name__)
        return FAILING
    finally:
        db.session.rollback()


def redis_server() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return NOT_CONFIGURED
    client = redis.Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )
    try:
        client.ping()
        return OK
    except redis.RedisError as error:
        log.warning("health check: Redis did not answer (%s)", type(error).__name__)
        return FAILING
    finally:
        client.close()


def checks() -> dict[str, str]:
    return {"database": database(), "redis": redis_server()}


def healthy(results: dict[str, str]) -> bool:
    return FAILING not in results.values()
