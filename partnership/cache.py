"""The one cache every worker shares, and its rules: what is kept, under which key, and
when it is forgotten.

Why: three things cost enough to keep (bench/ANALYSIS.md, a million referrals): the
dashboard's comparison of every neighbourhood (170 ms over 12 weeks, 600 ms over 52), each
service's 90-day response record for ranking suggestions (100 ms a search) and the GOV.UK
form fragments (10 to 13 ms a page). Kept per process with a time limit, two workers could
show a lead different figures on successive refreshes for a minute. Now they are kept in
one Flask-Caching store (`partnership.extensions.cache`): Redis when REDIS_URL is set, so
every worker reads and forgets the same values; in-process otherwise (one worker).

Keys: CACHE_KEY_PREFIX, then a fingerprint of the code and templates (a new release never
reads what older code kept), the kind of value and a hash of what it depends on (for
records, the service's id).

Forgetting: figures (the comparison and the records) are also keyed by the *generation*, a
random token kept in the cache. `forget_figures_if_changed` gives it a new one after a
commit that wrote a table they read (FIGURE_TABLES), and only the after-commit hook in
partnership.live.publishing calls it, as it publishes live notices. A value is stored under
the generation read before it was counted, so a count older than a change lands where
nobody looks any more. A token rather than a counter: if the key is lost, a new one starts
and an old key can never match again. Fragments need no generation: their key holds
everything they show.

CACHE_SECONDS bounds every value's life: records roll on with time (a 90-day record a
minute later says the same) and it is the backstop for writes no session sees (psql, COPY).
Values are pickled, in-process too, so no page can change what another reads. A cache that
cannot be reached costs a recount, never an error page.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import cache as once
from typing import Any, TypeVar

import redis
from flask import Flask
from markupsafe import Markup
from redis.backoff import NoBackoff
from redis.retry import Retry

from partnership.config import ROOT
from partnership.extensions import cache as store

log = logging.getLogger(__name__)
T = TypeVar("T")

# What the kept figures read. The comparison: the daily summary, referrals (medians,
# overdue), needs no service could meet and their names, bank holidays (overdue). The
# records: referrals.
FIGURE_TABLES = frozenset(
    {"referrals", "neighbourhood_days", "unmet_needs", "need_categories", "bank_holidays"}
)
# A write whose tables are not known (raw SQL): it may have changed anything.
ANY_TABLE = "*"
GENERATION = "generation"
# In-process only: how many values are kept (1,200 services' records fit).
IN_PROCESS_LIMIT = 10_000


def settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Flask-Caching's settings from ours: CACHE_TYPE if chosen (tests choose), else Redis
    when REDIS_URL is set and in-process otherwise."""
    seconds = int(config["CACHE_SECONDS"])
    if seconds < 1:
        raise ValueError("CACHE_SECONDS must be at least 1 (0 would mean kept for ever)")
    kind = config.get("CACHE_TYPE") or ("RedisCache" if config.get("REDIS_URL") else "SimpleCache")
    found = {
        "CACHE_TYPE": kind,
        "CACHE_DEFAULT_TIMEOUT": seconds,
        "CACHE_KEY_PREFIX": config["CACHE_KEY_PREFIX"],
        "CACHE_THRESHOLD": IN_PROCESS_LIMIT,
    }
    if kind == "RedisCache":
        found["CACHE_REDIS_URL"] = config["REDIS_URL"]
        # As the live broker's publisher: a stopped Redis costs a recount, not seconds.
        found["CACHE_OPTIONS"] = {
            "socket_timeout": 0.25,
            "socket_connect_timeout": 0.25,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
        }
    return found


def init_app(app: Flask) -> None:
    store.init_app(app, config=settings(app.config))
    fingerprint()  # about 80 ms, paid as the worker starts rather than by a page


@once
def fingerprint() -> str:
    """A hash of the package, the templates and the pinned dependencies, worked out once
    per process: values pickled by one release are never read by another."""
    digest = hashlib.sha256()
    files = [*(ROOT / "partnership").rglob("*.py"), *(ROOT / "templates").rglob("*.html")]
    files += [path for path in (ROOT / "setup.cfg",) if path.exists()]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _key(kind: str, *parts: Hashable) -> str:
    """The parts are ids, dates, strings and plain dataclasses, whose repr is the same in
    every process; hashed, so that no typed value is ever a key in Redis."""
    hashed = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{fingerprint()}:{kind}:{hashed}"


def _generation_key() -> str:
    return f"{fingerprint()}:{GENERATION}"


def _unreachable(error: Exception) -> None:
    log.warning("shared cache unreachable (%s); counting afresh", error)


def generation() -> str | None:
    """The current generation of kept figures (one is made if there is none), or None
    if the cache cannot be reached."""
    try:
        found = store.get(_generation_key())
        if found is None:
            store.add(_generation_key(), secrets.token_hex(8), timeout=0)
            found = store.get(_generation_key())
    except redis.RedisError as error:
        _unreachable(error)
        return None
    return found


def forget_figures_if_changed(written: set[str]) -> None:
    """After a commit that wrote `written` tables: a new generation if any kept figure
    reads one of them. Called only by the after-commit hook (partnership.live.publishing)."""
    if not written & (FIGURE_TABLES | {ANY_TABLE}):
        return
    try:
        store.set(_generation_key(), secrets.token_hex(8), timeout=0)
    except redis.RedisError as error:
        log.warning("kept figures not forgotten (%s); they expire within CACHE_SECONDS", error)


def kept_figures(kind: str, parts: tuple, count: Callable[[], T]) -> T:
    """`count()`, or what it gave before for the same `parts` if nothing it reads has been
    written since."""
    current = generation()
    if current is None:
        return count()
    key = _key(kind, current, *parts)
    try:
        found = store.get(key)
    except redis.RedisError as error:
        _unreachable(error)
        return count()
    if found is None:
        found = count()
        _store({key: found})
    return found


def kept_each(
    kind: str, ids: Iterable[int], count: Callable[[list[int]], dict[int, T]]
) -> dict[int, T]:
    """A value for each id: those kept since the last change that could alter them, and
    `count(missing)` for the others, counted together."""
    ids = list(ids)
    current = generation() if ids else None
    if current is None:
        return count(ids)
    # Plain ids need no hashing: a search reads 1,200 of these at once.
    prefix = f"{fingerprint()}:{kind}:{current}:"
    keys = {item: f"{prefix}{item:d}" for item in ids}
    try:
        values = store.get_many(*keys.values())
    except redis.RedisError as error:
        _unreachable(error)
        return count(ids)
    found = {item: value for item, value in zip(ids, values, strict=True) if value is not None}
    missing = [item for item in ids if item not in found]
    if missing:
        counted = count(missing)
        _store({keys[item]: value for item, value in counted.items()})
        found.update(counted)
    return found


def kept_fragment(parts: tuple, render: Callable[[], Markup]) -> Markup:
    """A rendered part of a page, kept for `parts`, which must hold everything it shows."""
    key = _key("fragment", *parts)
    try:
        found = store.get(key)
    except redis.RedisError as error:
        _unreachable(error)
        return render()
    if found is None:
        found = render()
        _store({key: found})
    return found


def _store(values: dict[str, Any]) -> None:
    try:
        store.set_many(values)
    except redis.RedisError as error:
        _unreachable(error)
