"""`flask bench-data`: a large, realistic partnership for `make bench` (issue 7).

For N referrals it makes, scaled linearly with floors for tiny N: N/20,000 neighbourhoods,
N/2,000 organisations, N/200 services and N/5 residents (50, 500, 5,000 and 200,000 at a
million), with each referral's consent, its timeline events in lifecycle order and a few
messages. Demand is skewed as real demand is: services are drawn from a Zipf-like
distribution (so a few services, and the needs they meet, take most referrals), and one
organisation, the "inbox organisation", receives 1% or more of all referrals (10,000+ at a
million). Referrals spread over two years, busier towards today; each one's status follows
the lifecycle from random response, start and completion delays, so that every timestamp
and every event agrees with its status.

Everything it makes is marked: organisations are named "Bench …" and users' emails end in
@bench.invalid. It refuses to touch a database holding anything else unless --force.
PostgreSQL is loaded with COPY (psycopg 3) with the secondary indexes dropped during the load
and rebuilt after, then analysed; SQLite (for the smoke test) with batched executemany.
What the harness needs (logins, tokens, ids) goes to instance/bench.json.

The steps, each a module: scale (how much of each), structure (neighbourhoods,
organisations, services, users), residents (and unmet needs), referrals (with consents,
events and messages), loading (COPY, indexes, refusing real data); `generate` runs them.
"""

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import func, select, text

from partnership import clock
from partnership.auth.passwords import hash_password
from partnership.auth.tokens import create_token
from partnership.config import INSTANCE
from partnership.extensions import db
from partnership.models import Referral, TokenScope, User
from partnership.referrals import daily_summary
from partnership.sample.bench.loading import (
    BENCH_EMAIL_DOMAIN,
    BENCH_ORG_PREFIX,
    BENCH_PASSWORD,
    TABLES,
    RealData,
    Writer,
    bench_state,
    empty_bench_tables,
    reset_sequences,
    secondary_indexes,
)
from partnership.sample.bench.referrals import referrals
from partnership.sample.bench.residents import residents, unmet_needs
from partnership.sample.bench.scale import SPAN_DAYS, Scale
from partnership.sample.bench.structure import structure

INFO_FILE = INSTANCE / "bench.json"


@dataclass
class Generated:
    """What was made, for the summary and for instance/bench.json."""

    counts: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def generate(
    n: int, seed: int = 7, *, force: bool = False, show_progress: bool = True
) -> Generated:
    """Empty the bench tables and make a partnership of `n` referrals (see the module)."""
    _make_room(force)
    began = time.monotonic()
    rng = random.Random(seed)  # noqa: S311  (reproducible data, not secrets)
    scale = Scale.for_referrals(n)
    now_dt = clock.now().replace(microsecond=0)
    postgresql = db.engine.dialect.name == "postgresql"
    made = structure(rng, scale, now_dt, hash_password(BENCH_PASSWORD))
    db.session.flush()
    writer = Writer()
    dropped = _before_bulk_load() if postgresql else []
    counts, inbox_org, showcase, last_event = _load(rng, scale, made, writer, now_dt, show_progress)
    loaded = time.monotonic()
    if postgresql:
        _after_bulk_load(dropped, show_progress)
    # The dashboards' daily summary, worked out from the referrals just loaded.
    counts["neighbourhood_days"] = daily_summary.recount()
    logins = _harness_logins(made, inbox_org)
    db.session.commit()
    indexed = time.monotonic()
    if postgresql:
        _analyse()
    info = {
        "referrals": n,
        "seed": seed,
        "generated_at": now_dt.isoformat(),
        "password": BENCH_PASSWORD,
        "inbox_organisation_id": inbox_org,
        "inbox_referrals": db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(Referral.to_organisation_id == inbox_org)
        ),
        **logins,
        "showcase_referral_id": showcase[0] if showcase else None,
        **_harness_pages(made, inbox_org),
        "last_event_id": last_event,
        "timings": {
            "load_seconds": round(loaded - began, 1),
            "indexes_seconds": round(indexed - loaded, 1),
            "analyse_seconds": round(time.monotonic() - indexed, 1),
            "total_seconds": round(time.monotonic() - began, 1),
        },
    }
    return Generated(counts=counts, info=info)


def _make_room(force: bool) -> None:
    """Empty the bench tables, refusing a database that holds anything but bench data."""
    existing, foreign = bench_state()
    if foreign and not force:
        raise RealData(
            f"This database holds {foreign} organisation(s) or user(s) that are not bench data "
            f"(bench organisations are named '{BENCH_ORG_PREFIX}…', bench users' emails end in "
            f"{BENCH_EMAIL_DOMAIN}). Use a separate database, or --force to erase them."
        )
    if existing or foreign:
        empty_bench_tables()


def _before_bulk_load() -> list[tuple[str, str]]:
    """PostgreSQL loads fastest without secondary indexes (dropped here and returned, to
    be made again after) and, for a superuser, without foreign-key triggers."""
    # Every key is made consistent by construction (and the SQLite smoke test loads with
    # them enforced).
    if db.session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    dropped = secondary_indexes(list(TABLES))
    for name, _ in dropped:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    return dropped


def _load(rng, scale: Scale, made: dict, writer: Writer, now_dt: datetime, show_progress: bool):
    """Residents, referrals and unmet needs, in bulk, in that order (one generator)."""
    from tqdm import tqdm

    now, start = now_dt.timestamp(), (now_dt - timedelta(days=SPAN_DAYS)).timestamp()
    residents_by_hood = residents(rng, scale, made, writer, start)
    with tqdm(
        total=scale.referrals, unit=" referrals", disable=not show_progress, smoothing=0.1
    ) as progress:
        counts, inbox_org, showcase, last_event = referrals(
            rng, scale, made, residents_by_hood, writer, start, now, progress
        )
    counts["unmet_needs"] = unmet_needs(rng, scale, made, residents_by_hood, writer, start, now)
    counts["residents"] = scale.residents
    counts["services"] = scale.services
    counts["organisations"] = scale.organisations
    counts["neighbourhoods"] = scale.neighbourhoods
    return counts, inbox_org, showcase, last_event


def _after_bulk_load(dropped: list[tuple[str, str]], show_progress: bool) -> None:
    from tqdm import tqdm

    db.session.execute(text("SET LOCAL session_replication_role = origin"))
    for _name, definition in tqdm(dropped, desc="indexes", disable=not show_progress):
        db.session.execute(text(definition))
    reset_sequences()


def _analyse() -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (
            "referrals",
            "events",
            "residents",
            "consents",
            "services",
            "messages",
            "neighbourhood_days",
        ):
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))


def _harness_logins(made: dict, inbox_org: int) -> dict:
    """Bench logins and tokens the harness uses, through the app's own token code.

    The users were made by the bench data just before: `get_one` fails plainly if not."""
    inbox_coordinator = db.session.get_one(User, made["coordinator"][inbox_org])
    streams_user = db.session.get_one(User, made["caseworker"][inbox_org])
    tokens = {}
    for key, user in (("inbox_coordinator", inbox_coordinator), ("inbox_caseworker", streams_user)):
        tokens[key], _ = create_token(user, "bench", scope=TokenScope.WRITE)
    return {
        "users": {
            "inbox_coordinator": inbox_coordinator.email,
            "inbox_caseworker": streams_user.email,
            "referrer_caseworker": db.session.get_one(User, made["caseworker"][1]).email,
            "lead": db.session.get_one(User, made["lead"][_busiest_neighbourhood()]).email,
            "admin": db.session.get_one(User, made["admin"]).email,
        },
        "tokens": tokens,
    }


def _busiest_neighbourhood() -> int:
    hood_counts = db.session.execute(
        select(Referral.neighbourhood_id, func.count()).group_by(Referral.neighbourhood_id)
    ).all()
    return max(hood_counts, key=lambda row: row[1])[0] if hood_counts else 1


def _harness_pages(made: dict, inbox_org: int) -> dict:
    """What the harness opens: the busiest dashboard, a directory search that finds the
    inbox organisation's first service, and that organisation's services."""
    inbox_services = [s["id"] for s in made["services"] if s["organisation_id"] == inbox_org]
    service_for_directory = inbox_services[0] - 1
    return {
        "dashboard_neighbourhood_id": _busiest_neighbourhood(),
        "directory": {
            "need": made["service_need"][service_for_directory][0],
            "neighbourhood": made["service_hoods"][service_for_directory][0],
            "age": 40,
        },
        "inbox_services": inbox_services,
    }


def write_info(info: dict, path: Path = INFO_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2) + "\n")
    path.chmod(0o600)  # it holds API tokens
    return path


@click.command("bench-data")
@click.option("--referrals", "n", type=click.IntRange(min=1), default=1_000_000, show_default=True)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="The same seed, the same data."
)
@click.option(
    "--force", is_flag=True, help="Erase whatever the database holds that is not bench data."
)
@click.option(
    "--info",
    "info_path",
    type=click.Path(dir_okay=False),
    default=str(INFO_FILE),
    show_default=True,
    help="Where to write what the harness needs (logins, tokens, ids).",
)
def bench_data_command(n, seed, force, info_path):
    """Generate a large, skewed bench partnership of N referrals into the configured database."""
    result = generate(n, seed, force=force)
    path = write_info(result.info, Path(info_path))
    timings = result.info["timings"]
    click.echo(
        f"Made {n:,} referrals ({result.counts['events']:,} events, {result.counts['messages']:,} "
        f"messages) in {timings['total_seconds']} s (rows {timings['load_seconds']} s, indexes "
        f"{timings['indexes_seconds']} s, analyse {timings['analyse_seconds']} s)."
    )
    click.echo(f"By status: {json.dumps(result.counts['by_status'], sort_keys=True)}")
    click.echo(
        f"Inbox organisation {result.info['inbox_organisation_id']} receives "
        f"{result.info['inbox_referrals']:,} referrals. Logins (password {BENCH_PASSWORD}) and "
        f"API tokens: {path}"
    )
