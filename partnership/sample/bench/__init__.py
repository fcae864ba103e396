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
"""

import bisect
import json
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from sqlalchemy import func, select, text

from partnership import clock
from partnership.auth.passwords import hash_password
from partnership.auth.tokens import create_token
from partnership.config import INSTANCE
from partnership.extensions import db
from partnership.models import (
    Consent,
    Event,
    Message,
    NeedCategory,
    Organisation,
    Referral,
    Resident,
    Service,
    UnmetNeed,
    User,
)
from partnership.models.accounts import lead_neighbourhoods
from partnership.models.organisations import Neighbourhood, organisation_neighbourhoods
from partnership.models.services import CapacityUpdate, service_needs, service_neighbourhoods
from partnership.reference import seed_reference_data
from partnership.referrals import daily_summary

BENCH_EMAIL_DOMAIN = "@bench.invalid"
BENCH_ORG_PREFIX = "Bench "
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105  (bench databases only)
INFO_FILE = INSTANCE / "bench.json"
DAY = 86400.0
SPAN_DAYS = 730
CHUNK = 50_000

# Tables the generator fills, children first (the order to empty them in).
BENCH_TABLES = [
    "neighbourhood_days",
    "access_logs",
    "messages",
    "events",
    "consents",
    "unmet_needs",
    "referrals",
    "residents",
    "capacity_updates",
    "api_tokens",
    "lead_neighbourhoods",
    "users",
    "service_needs",
    "service_neighbourhoods",
    "services",
    "organisation_neighbourhoods",
    "organisations",
    "neighbourhoods",
    "sign_in_lockouts",
]

GIVEN = [
    "Amina",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Faisal",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kavya",
    "Leo",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Ravi",
    "Sofia",
    "Tom",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zara",
    "Aled",
    "Bethan",
    "Ciaran",
    "Deepa",
    "Eilidh",
]
FAMILY = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Usman",
    "Walker",
    "Wright",
    "Young",
    "Zielinski",
]
PLACES = [
    "Ashbrook",
    "Calder",
    "Hollins",
    "Kirkby",
    "Millford",
    "Riverside",
    "Oakfield",
    "Stanton",
    "Wyke",
    "Thornley",
    "Ellerby",
    "Brampton",
    "Copley",
    "Dalton",
    "Fenwick",
    "Garside",
    "Hebden",
    "Ingleby",
    "Lindley",
    "Marsden",
]
SUFFIXES = ("Green", "Moor", "Bank", "Side", "Vale", "Park", "Hill", "Cross", "End", "Fields")
SERVICE_WORDS = {
    "food": ("Food Bank", "Community Pantry", "Hot Meals"),
    "housing": ("Housing Advice", "Tenancy Support", "Homelessness Prevention"),
    "money-and-debt": ("Debt Advice", "Benefits Check", "Money Coaching"),
    "mental-wellbeing": ("Talking Therapies", "Wellbeing Group", "Peer Support"),
    "loneliness-and-isolation": ("Befriending", "Lunch Club", "Telephone Friends"),
    "physical-activity": ("Walking Group", "Health Walks", "Chair Exercise"),
    "employment-and-skills": ("Job Club", "Skills Coaching", "Volunteering Pathways"),
    "carers": ("Carers Support", "Carers Café", "Respite Breaks"),
    "digital-inclusion": ("Digital Help", "Tablet Lending", "Online Skills"),
    "domestic-abuse": ("Domestic Abuse Support", "IDVA Service", "Safe Space"),
    "substance-use": ("Recovery Service", "Alcohol Advice", "Harm Reduction"),
    "children-and-families": ("Family Hub", "Parenting Support", "Early Help"),
}
# How often each need comes up, most common first (by the taxonomy's slugs).
NEED_WEIGHTS = {
    "money-and-debt": 22,
    "mental-wellbeing": 18,
    "housing": 15,
    "food": 12,
    "loneliness-and-isolation": 10,
    "carers": 6,
    "employment-and-skills": 5,
    "physical-activity": 4,
    "children-and-families": 3,
    "digital-inclusion": 2,
    "domestic-abuse": 2,
    "substance-use": 1,
}
DECLINE_REASONS = (
    ("no-capacity", 35),
    ("not-eligible", 25),
    ("unable-to-contact", 15),
    ("resident-declined", 10),
    ("duplicate", 5),
    ("other", 10),
)
OUTCOMES = (("need-met", 60), ("partly-met", 20), ("not-met", 8), ("disengaged", 12))
SUMMARIES = (
    "Struggling with bills since a change in hours; would like advice.",
    "Lives alone and has been feeling isolated since a bereavement.",
    "Needs support with a tenancy that is at risk.",
    "Low mood for several months; interested in a group.",
    "Food insecure this month after a benefit delay.",
    "Carer for a parent, needs a break and advice.",
)

# The physical columns written by COPY, in order. Timestamps are floats (epoch seconds)
# until written; `_TS` names them per table.
REFERRAL_COLUMNS = [
    "id",
    "reference",
    "resident_id",
    "need_id",
    "from_organisation_id",
    "from_user_id",
    "to_service_id",
    "to_organisation_id",
    "neighbourhood_id",
    "urgency",
    "summary",
    "status",
    "assignee_id",
    "decline_reason",
    "outcome",
    "closing_note",
    "idempotency_key",
    "forwarded_from_id",
    "version",
    "created_at",
    "sent_at",
    "opened_at",
    "accepted_at",
    "declined_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "updated_at",
]
EVENT_COLUMNS = [
    "id",
    "kind",
    "created_at",
    "actor_id",
    "referral_id",
    "service_id",
    "from_organisation_id",
    "to_organisation_id",
    "neighbourhood_id",
    "from_status",
    "to_status",
    "detail",
]
CONSENT_COLUMNS = [
    "id",
    "referral_id",
    "given_by",
    "representative_name",
    "covers",
    "recorded_by_id",
    "recorded_at",
    "withdrawn_at",
]
MESSAGE_COLUMNS = ["id", "referral_id", "author_id", "organisation_id", "body", "created_at"]
RESIDENT_COLUMNS = [
    "id",
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "postcode",
    "neighbourhood_id",
    "phone",
    "email",
    "preferred_contact",
    "language",
    "interpreter_needed",
    "accessibility_needs",
    "created_by_organisation_id",
    "created_at",
]
UNMET_COLUMNS = [
    "id",
    "need_id",
    "neighbourhood_id",
    "resident_id",
    "recorded_by_organisation_id",
    "recorded_at",
]
TABLES = {
    "referrals": (REFERRAL_COLUMNS, Referral.__table__),
    "events": (EVENT_COLUMNS, Event.__table__),
    "consents": (CONSENT_COLUMNS, Consent.__table__),
    "messages": (MESSAGE_COLUMNS, Message.__table__),
    "residents": (RESIDENT_COLUMNS, Resident.__table__),
    "unmet_needs": (UNMET_COLUMNS, UnmetNeed.__table__),
}
_TS = {
    name: [i for i, c in enumerate(columns) if c.endswith("_at")]
    for name, (columns, _) in TABLES.items()
}


class RealData(click.ClickException):
    """The database holds something the generator did not make."""


@dataclass
class Scale:
    referrals: int
    neighbourhoods: int
    organisations: int
    services: int
    residents: int

    @classmethod
    def for_referrals(cls, n: int) -> "Scale":
        return cls(
            referrals=n,
            neighbourhoods=max(3, round(n / 20_000)),
            organisations=max(6, round(n / 2_000)),
            services=max(12, round(n / 200)),
            residents=max(50, round(n / 5)),
        )


@dataclass
class Generated:
    """What was made, for the summary and for instance/bench.json."""

    counts: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def zipf_cumulative(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n under a Zipf law with exponent s."""
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        out.append(total)
    return out


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def bench_state() -> tuple[int, int]:
    """(bench referrals, rows that are not bench data); refuses nothing, only counts."""
    foreign = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(~Organisation.name.startswith(BENCH_ORG_PREFIX))
    ) + db.session.scalar(
        select(func.count()).select_from(User).where(~User.email.endswith(BENCH_EMAIL_DOMAIN))
    )
    referrals = db.session.scalar(select(func.count()).select_from(Referral))
    return referrals, foreign


def _empty_bench_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(BENCH_TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for table in BENCH_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (fixed table names)
    db.session.commit()


# --- writing rows -------------------------------------------------------------------------


class _Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self):
        self.postgresql = db.engine.dialect.name == "postgresql"
        self._days: dict[int, str] = {}
        self._hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        if self.postgresql:
            self.raw = db.session.connection().connection.driver_connection

    def _pg_ts(self, value: float | None) -> str | None:
        if value is None:
            return None
        whole = int(value)
        day, second = divmod(whole, 86400)
        text_day = self._days.get(day)
        if text_day is None:
            text_day = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return f"{text_day} {self._hms[second]}+00"

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns, model_table = TABLES[table]
        stamps = _TS[table]
        if self.postgresql:
            fmt = self._pg_ts
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    if stamps:
                        row = list(row)
                        for i in stamps:
                            row[i] = fmt(row[i])
                    copy.write_row(row)
            return
        converted = []
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            for i in stamps:
                name = columns[i]
                if values[name] is not None:
                    values[name] = datetime.fromtimestamp(values[name], UTC)
            if "detail" in values:
                values["detail"] = json.loads(values["detail"])
            if "date_of_birth" in values:
                values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
            converted.append(values)
        for start in range(0, len(converted), 5000):
            db.session.execute(model_table.insert(), converted[start : start + 5000])


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes on `tables` that no constraint owns."""
    rows = db.session.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        ),
        {"tables": tables},
    )
    return [(name, definition) for name, definition in rows]


# --- the partnership's structure ----------------------------------------------------------


def _structure(rng: random.Random, scale: Scale, now: datetime, password_hash: str) -> dict:
    """Neighbourhoods, organisations, services and users, through SQLAlchemy Core."""
    seed_reference_data()
    db.session.flush()
    needs = {n.slug: n.id for n in db.session.scalars(select(NeedCategory))}
    need_slugs = [slug for slug in NEED_WEIGHTS if slug in needs] or list(needs)

    neighbourhoods = []
    names = set()
    for i in range(scale.neighbourhoods):
        name = f"{PLACES[i % len(PLACES)]} {SUFFIXES[(i // len(PLACES)) % len(SUFFIXES)]}"
        if name in names:
            name = f"{name} {i}"
        names.add(name)
        neighbourhoods.append({"id": i + 1, "name": name, "ons_code": f"E05{800000 + i:06d}"})
    hood_ids = [h["id"] for h in neighbourhoods]
    # Some neighbourhoods are bigger than others (a mild skew of population).
    population = [1.0 / (rank + 2) ** 0.5 for rank in range(len(hood_ids))]

    sectors = ["nhs"] * 15 + ["council"] * 10 + ["vcse"] * 65 + ["other"] * 10
    organisations, org_hoods, org_sector = [], [], []
    for i in range(scale.organisations):
        sector = sectors[rng.randrange(len(sectors))]
        if i < 2:
            sector = "council"  # a council and the NHS trust serve everywhere
        elif i < 4:
            sector = "nhs"
        organisations.append(
            {
                "id": i + 1,
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "name": f"{BENCH_ORG_PREFIX}{PLACES[i % len(PLACES)]} {sector.upper()} {i + 1}",
                "sector": sector,
                "ods_code": f"B{i + 1:05d}" if sector == "nhs" else None,
                "charity_number": f"8{i + 1:06d}" if sector == "vcse" else None,
                "created_at": now - timedelta(days=SPAN_DAYS + 30),
            }
        )
        wide = i < 4 or rng.random() < 0.1
        served = (
            list(hood_ids) if wide else rng.sample(hood_ids, min(len(hood_ids), rng.randint(1, 4)))
        )
        org_hoods.append(sorted(served))
        org_sector.append(sector)

    services, service_need, service_hoods, service_org = [], [], [], []
    need_cum = _cumulative(NEED_WEIGHTS.get(slug, 1) for slug in need_slugs)
    for i in range(scale.services):
        # Every organisation runs at least one service; the rest fall where they may.
        org_index = i if i < scale.organisations else rng.randrange(scale.organisations)
        slug = need_slugs[bisect.bisect(need_cum, rng.random() * need_cum[-1])]
        words = SERVICE_WORDS.get(slug, ("Support",))
        limited = rng.random() < 0.3
        status = rng.choices(["open", "limited", "waitlist", "full", "closed"], [70, 15, 8, 5, 2])[
            0
        ]
        services.append(
            {
                "id": i + 1,
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "organisation_id": org_index + 1,
                "name": f"{words[i % len(words)]} {i + 1}",
                "description": f"Bench service {i + 1}: {words[0].lower()} for residents.",
                "min_age": 16 if rng.random() < 0.3 else None,
                "max_age": None,
                "eligibility_notes": "",
                "contact_email": f"service{i + 1}{BENCH_EMAIL_DOMAIN}",
                "contact_phone": "0113 496 0000",
                "website": None,
                "referral_instructions": "Refer through Partnership.",
                "capacity_status": status,
                "wait_band": "1-4-weeks" if status == "waitlist" else None,
                "places_available": (
                    0
                    if status in ("full", "closed") and limited
                    else rng.randint(1, 40)
                    if limited
                    else None
                ),
                "capacity_note": "",
                "capacity_updated_at": now - timedelta(days=rng.random() * 30),
                "capacity_updated_by_id": None,
                "created_at": now - timedelta(days=SPAN_DAYS + 20),
                "updated_at": now - timedelta(days=rng.random() * 30),
            }
        )
        extra = need_slugs[rng.randrange(len(need_slugs))]
        service_need.append(
            sorted({needs[slug], needs[extra]} if rng.random() < 0.3 else {needs[slug]})
        )
        covered = org_hoods[org_index]
        if len(covered) > 3 and rng.random() < 0.5:
            covered = sorted(rng.sample(covered, rng.randint(2, len(covered))))
        service_hoods.append(covered)
        service_org.append(org_index + 1)

    users, leads = [], []
    for org in organisations:
        for role in ("caseworker", "coordinator"):
            users.append(
                {
                    "id": len(users) + 1,
                    "email": f"{role}{org['id']}{BENCH_EMAIL_DOMAIN}",
                    "name": f"{role.capitalize()} {org['id']}",
                    "password_hash": password_hash,
                    "organisation_id": org["id"],
                    "role": role,
                    "active": True,
                    "session_version": 1,
                    "must_change_password": False,
                    "created_at": now - timedelta(days=SPAN_DAYS + 10),
                }
            )
    for hood in neighbourhoods:
        users.append(
            {
                "id": len(users) + 1,
                "email": f"lead{hood['id']}{BENCH_EMAIL_DOMAIN}",
                "name": f"Lead {hood['id']}",
                "password_hash": password_hash,
                "organisation_id": 1,
                "role": "lead",
                "active": True,
                "session_version": 1,
                "must_change_password": False,
                "created_at": now - timedelta(days=SPAN_DAYS + 10),
            }
        )
        leads.append({"user_id": len(users), "neighbourhood_id": hood["id"]})
    users.append(
        {
            "id": len(users) + 1,
            "email": f"admin{BENCH_EMAIL_DOMAIN}",
            "name": "Bench Admin",
            "password_hash": password_hash,
            "organisation_id": 1,
            "role": "admin",
            "active": True,
            "session_version": 1,
            "must_change_password": False,
            "created_at": now - timedelta(days=SPAN_DAYS + 10),
        }
    )

    execute = db.session.execute
    execute(Neighbourhood.__table__.insert(), neighbourhoods)
    execute(Organisation.__table__.insert(), organisations)
    execute(
        organisation_neighbourhoods.insert(),
        [
            {"organisation_id": i + 1, "neighbourhood_id": h}
            for i, hoods in enumerate(org_hoods)
            for h in hoods
        ],
    )
    execute(User.__table__.insert(), users)
    execute(lead_neighbourhoods.insert(), leads)
    execute(Service.__table__.insert(), services)
    execute(
        service_needs.insert(),
        [{"service_id": i + 1, "need_id": n} for i, ns in enumerate(service_need) for n in ns],
    )
    execute(
        service_neighbourhoods.insert(),
        [
            {"service_id": i + 1, "neighbourhood_id": h}
            for i, hs in enumerate(service_hoods)
            for h in hs
        ],
    )
    execute(
        CapacityUpdate.__table__.insert(),
        [
            {
                "id": s["id"],
                "service_id": s["id"],
                "status": s["capacity_status"],
                "wait_band": s["wait_band"],
                "places_available": s["places_available"],
                "note": "",
                "posted_by_id": None,
                "posted_at": s["capacity_updated_at"],
            }
            for s in services
        ],
    )
    return {
        "need_ids": [needs[slug] for slug in need_slugs],
        "hood_ids": hood_ids,
        "population": population,
        "org_hoods": org_hoods,
        "org_sector": org_sector,
        "service_need": service_need,
        "service_hoods": service_hoods,
        "service_org": service_org,
        "services": services,
        "caseworker": {org["id"]: 2 * org["id"] - 1 for org in organisations},
        "coordinator": {org["id"]: 2 * org["id"] for org in organisations},
        "lead": {lead["neighbourhood_id"]: lead["user_id"] for lead in leads},
        "admin": users[-1]["id"],
        "neighbourhoods": neighbourhoods,
    }


def _residents(rng, scale, structure, writer, start: float) -> dict[int, list[int]]:
    hood_ids, population = structure["hood_ids"], structure["population"]
    cum = _cumulative(population)
    by_hood: dict[int, list[int]] = {h: [] for h in hood_ids}
    org_by_hood: dict[int, list[int]] = {h: [] for h in hood_ids}
    for org_index, hoods in enumerate(structure["org_hoods"]):
        for h in hoods:
            org_by_hood[h].append(org_index + 1)
    rows = []
    contact = ("phone", "phone", "phone", "email", "letter", "in-person")
    languages = ("English",) * 8 + ("Urdu", "Polish", "Punjabi", "Arabic")
    for rid in range(1, scale.residents + 1):
        hood = hood_ids[bisect.bisect(cum, rng.random() * cum[-1])]
        by_hood[hood].append(rid)
        language = languages[rng.randrange(len(languages))]
        born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 85))
        rows.append(
            (
                rid,
                GIVEN[rng.randrange(len(GIVEN))],
                FAMILY[rng.randrange(len(FAMILY))],
                born.isoformat(),
                None,
                f"NV{rid % 9 + 1} {rid % 10}AB",
                hood,
                "07700 900000",
                None,
                contact[rng.randrange(len(contact))],
                language,
                language != "English" and rng.random() < 0.5,
                "",
                org_by_hood[hood][rng.randrange(len(org_by_hood[hood]))],
                start - rng.random() * 30 * DAY,
            )
        )
        if len(rows) >= CHUNK:
            writer.write("residents", rows)
            rows = []
    writer.write("residents", rows)
    return by_hood


# --- referrals, consents, events, messages ------------------------------------------------

_DETAIL_EMPTY = "{}"
_DECLINE_CUM = _cumulative(w for _, w in DECLINE_REASONS)
_OUTCOME_CUM = _cumulative(w for _, w in OUTCOMES)


def _pick(rng: random.Random, options, cum) -> str:
    return options[bisect.bisect(cum, rng.random() * cum[-1])][0]


def choose_inbox_organisation(expected: dict[int, float], n: int) -> int:
    """The organisation with the fewest expected referrals that is still ≥ 1.1% of all,
    so at a million it gets 10,000+; on tiny runs, simply the busiest."""
    floor = 0.011 * n
    candidates = [(count, org) for org, count in expected.items() if count >= floor]
    if candidates:
        return min(candidates)[1]
    return max((count, org) for org, count in expected.items())[1]


def _referrals(rng, scale, structure, residents_by_hood, writer, start, now, progress):
    n = scale.referrals
    services = structure["services"]
    service_hoods = structure["service_hoods"]
    service_org = structure["service_org"]
    service_need = structure["service_need"]
    caseworker, coordinator = structure["caseworker"], structure["coordinator"]
    population = dict(zip(structure["hood_ids"], structure["population"], strict=True))

    # Popularity: Zipf over a random ranking of services.
    ranking = list(range(len(services)))
    rng.shuffle(ranking)
    zipf = zipf_cumulative(len(services), 1.0)
    weight = [0.0] * len(services)
    previous = 0.0
    for rank, service_index in enumerate(ranking):
        weight[service_index] = zipf[rank] - previous
        previous = zipf[rank]
    expected: dict[int, float] = {}
    total_weight = sum(weight)
    for index, w in enumerate(weight):
        expected[service_org[index]] = expected.get(service_org[index], 0) + w / total_weight * n
    inbox_org = choose_inbox_organisation(expected, n)
    service_cum = _cumulative(weight)

    # Who refers from each neighbourhood: mostly the NHS and the council.
    sector_weight = {"nhs": 5.0, "council": 3.0, "vcse": 1.0, "other": 0.5}
    referrers: dict[int, tuple[list[int], list[float]]] = {}
    for hood in structure["hood_ids"]:
        orgs = [i + 1 for i, hs in enumerate(structure["org_hoods"]) if hood in hs]
        referrers[hood] = (
            orgs,
            _cumulative(sector_weight[structure["org_sector"][o - 1]] for o in orgs),
        )
    hood_cum_by_service = [_cumulative(population[h] for h in hoods) for hoods in service_hoods]

    # Creation times: denser towards today (linear growth), sorted so ids follow time.
    span = now - start
    times = sorted(start + span * math.sqrt(rng.random()) for _ in range(n))
    service_draws = rng.choices(range(len(services)), cum_weights=service_cum, k=n)

    open_pairs: set[tuple[int, int]] = set()
    event_id = consent_id = message_id = 0
    counts = {"referrals": 0, "events": 0, "consents": 0, "messages": 0, "by_status": {}}
    by_status = counts["by_status"]
    showcase = None  # a long, closed, opened timeline at the inbox organisation
    referrals, events, consents, messages = [], [], [], []

    def flush():
        writer.write("referrals", referrals)
        writer.write("consents", consents)
        writer.write("events", events)
        writer.write("messages", messages)
        progress.update(len(referrals))
        referrals.clear(), consents.clear(), events.clear(), messages.clear()

    for i in range(n):
        rid = i + 1
        s_index = service_draws[i]
        service_id = s_index + 1
        to_org = service_org[s_index]
        hoods = service_hoods[s_index]
        hood = hoods[
            bisect.bisect(
                hood_cum_by_service[s_index], rng.random() * hood_cum_by_service[s_index][-1]
            )
        ]
        pool = residents_by_hood[hood] or residents_by_hood[structure["hood_ids"][0]]
        orgs, cum = referrers[hood]
        from_org = orgs[bisect.bisect(cum, rng.random() * cum[-1])]
        if from_org == to_org and len(orgs) > 1:
            from_org = orgs[(orgs.index(from_org) + 1) % len(orgs)]
        from_user = caseworker[from_org]
        to_user = coordinator[to_org]
        needs = service_need[s_index]
        need = needs[0] if len(needs) == 1 or rng.random() < 0.7 else needs[-1]
        urgent = rng.random() < 0.15
        sent = times[i]

        # The lifecycle, from random delays; whatever lies beyond `now` has not happened.
        respond = sent + rng.expovariate(1.0 / ((0.6 if urgent else 2.0) * DAY))
        opened = sent + (respond - sent) * (0.1 + 0.8 * rng.random())
        if rng.random() < 0.1:
            opened = None  # answered without opening the page (e.g. from the inbox)
        timeline: list[tuple] = [(sent, "sent", from_user, "draft", "requested", _DETAIL_EMPTY)]
        stamps = dict.fromkeys(("accepted", "declined", "started", "completed", "cancelled"))
        decline_reason = outcome = None
        closing_note = ""
        assignee = None
        if opened is not None and opened < now:
            timeline.append((opened, "opened", to_user, None, None, _DETAIL_EMPTY))
        else:
            opened = None
        status = "requested"
        if respond < now:
            roll = rng.random()
            if roll < 0.03:
                status, stamps["cancelled"] = "cancelled", respond
                closing_note = "Resident no longer needs the service"
                timeline.append(
                    (respond, "cancelled", from_user, "requested", "cancelled", _DETAIL_EMPTY)
                )
            elif roll < 0.21:
                decline_reason = _pick(rng, DECLINE_REASONS, _DECLINE_CUM)
                status, stamps["declined"] = "rejected", respond
                if decline_reason == "other":
                    closing_note = "Outside the service's area of work"
                timeline.append(
                    (
                        respond,
                        "declined",
                        to_user,
                        "requested",
                        "rejected",
                        json.dumps({"reason": decline_reason}),
                    )
                )
            else:
                status, stamps["accepted"] = "accepted", respond
                timeline.append(
                    (respond, "accepted", to_user, "requested", "accepted", _DETAIL_EMPTY)
                )
                if rng.random() < 0.3:
                    assignee = caseworker[to_org]
                    timeline.append(
                        (
                            respond + 60,
                            "assigned",
                            to_user,
                            None,
                            None,
                            json.dumps({"assignee_id": assignee}),
                        )
                    )
                begun = respond + rng.expovariate(1.0 / (4 * DAY))
                if begun < now:
                    status, stamps["started"] = "in-progress", begun
                    timeline.append(
                        (begun, "started", to_user, "accepted", "in-progress", _DETAIL_EMPTY)
                    )
                    finish = begun + rng.expovariate(1.0 / (35 * DAY))
                    if rng.random() < 0.12:
                        held = begun + (finish - begun) * 0.3
                        resumed = begun + (finish - begun) * 0.6
                        if held < now:
                            status = "on-hold"
                            timeline.append(
                                (held, "held", to_user, "in-progress", "on-hold", _DETAIL_EMPTY)
                            )
                            if resumed < now:
                                status = "in-progress"
                                timeline.append(
                                    (
                                        resumed,
                                        "resumed",
                                        to_user,
                                        "on-hold",
                                        "in-progress",
                                        _DETAIL_EMPTY,
                                    )
                                )
                    if finish < now:
                        if rng.random() < 0.9:
                            outcome = _pick(rng, OUTCOMES, _OUTCOME_CUM)
                            timeline.append(
                                (
                                    finish,
                                    "completed",
                                    to_user,
                                    status,
                                    "completed",
                                    json.dumps({"outcome": outcome}),
                                )
                            )
                            status, stamps["completed"] = "completed", finish
                        else:
                            closing_note = "Resident moved out of the area"
                            timeline.append(
                                (finish, "cancelled", to_user, status, "cancelled", _DETAIL_EMPTY)
                            )
                            status, stamps["cancelled"] = "cancelled", finish

        open_now = status in ("requested", "accepted", "in-progress", "on-hold")
        resident = pool[rng.randrange(len(pool))]
        if open_now:
            for _ in range(20):  # one open referral of a resident to a service at a time
                if (resident, service_id) not in open_pairs:
                    break
                resident = pool[rng.randrange(len(pool))]
            else:
                status = "requested"
            if (resident, service_id) in open_pairs:
                # Still taken after 20 draws (a tiny pool): leave this one closed instead.
                status, stamps["cancelled"] = "cancelled", min(sent + 3600, now - 1)
                closing_note = "Duplicate of an open referral"
                timeline = [t for t in timeline if t[0] < stamps["cancelled"]]
                timeline.append(
                    (
                        stamps["cancelled"],
                        "cancelled",
                        from_user,
                        timeline[-1][4] or "requested",
                        "cancelled",
                        _DETAIL_EMPTY,
                    )
                )
                for key in ("accepted", "started", "completed", "declined"):
                    if stamps[key] and stamps[key] > stamps["cancelled"]:
                        stamps[key] = None
                decline_reason = outcome = None
                open_now = False
            else:
                open_pairs.add((resident, service_id))

        # A few cases carry messages between the two organisations.
        if rng.random() < 0.08:
            last = timeline[-1][0]
            for _ in range(rng.randint(1, 3)):
                at = sent + (min(last, now) - sent) * rng.random()
                message_id += 1
                author, org = (from_user, from_org) if rng.random() < 0.5 else (to_user, to_org)
                messages.append(
                    (message_id, rid, author, org, "Following up on this referral.", at)
                )
                timeline.append(
                    (at, "message", author, None, None, json.dumps({"message_id": message_id}))
                )
            timeline.sort(key=lambda t: t[0])

        version = 1 + sum(1 for t in timeline if t[3] is not None)
        updated = timeline[-1][0]
        referrals.append(
            (
                rid,
                f"REF-{datetime.fromtimestamp(sent, UTC).year}-{rid:06d}",
                resident,
                need,
                from_org,
                from_user,
                service_id,
                to_org,
                hood,
                "urgent" if urgent else "routine",
                SUMMARIES[rid % len(SUMMARIES)],
                status,
                assignee,
                decline_reason,
                outcome,
                closing_note,
                None,
                None,
                version,
                sent - 300,
                sent,
                opened,
                stamps["accepted"],
                stamps["declined"],
                stamps["started"],
                stamps["completed"],
                stamps["cancelled"],
                updated,
            )
        )
        consent_id += 1
        consents.append(
            (
                consent_id,
                rid,
                "resident",
                None,
                "Sharing details with the service",
                from_user,
                sent - 300,
                None,
            )
        )
        for at, kind, actor, from_status, to_status, detail in timeline:
            event_id += 1
            events.append(
                (
                    event_id,
                    kind,
                    at,
                    actor,
                    rid,
                    service_id,
                    from_org,
                    to_org,
                    hood,
                    from_status,
                    to_status,
                    detail,
                )
            )
        by_status[status] = by_status.get(status, 0) + 1
        counts["events"] += len(timeline)
        if (
            to_org == inbox_org
            and status == "completed"
            and opened is not None
            and (showcase is None or len(timeline) > showcase[1])
        ):
            showcase = (rid, len(timeline))
        if len(referrals) >= CHUNK:
            flush()
    flush()
    counts["referrals"], counts["consents"], counts["messages"] = n, consent_id, message_id
    return counts, inbox_org, showcase, event_id


def _unmet_needs(rng, scale, structure, residents_by_hood, writer, start, now) -> int:
    rows = []
    hood_ids = structure["hood_ids"]
    for uid in range(1, max(1, scale.referrals // 50) + 1):
        hood = hood_ids[rng.randrange(len(hood_ids))]
        pool = residents_by_hood[hood]
        rows.append(
            (
                uid,
                structure["need_ids"][
                    min(len(structure["need_ids"]) - 1, int(rng.expovariate(0.4)))
                ],
                hood,
                pool[rng.randrange(len(pool))] if pool and rng.random() < 0.7 else None,
                1 + rng.randrange(len(structure["org_hoods"])),
                start + (now - start) * math.sqrt(rng.random()),
            )
        )
    writer.write("unmet_needs", rows)
    return len(rows)


def _reset_sequences() -> None:
    for table in [
        "neighbourhoods",
        "organisations",
        "users",
        "services",
        "capacity_updates",
        "residents",
        "referrals",
        "consents",
        "events",
        "messages",
        "unmet_needs",
        "api_tokens",
    ]:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (fixed table names)
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        )


def generate(
    n: int, seed: int = 7, *, force: bool = False, show_progress: bool = True
) -> Generated:
    """Empty the bench tables and make a partnership of `n` referrals (see the module)."""
    from tqdm import tqdm

    existing, foreign = bench_state()
    if foreign and not force:
        raise RealData(
            f"This database holds {foreign} organisation(s) or user(s) that are not bench data "
            f"(bench organisations are named '{BENCH_ORG_PREFIX}…', bench users' emails end in "
            f"{BENCH_EMAIL_DOMAIN}). Use a separate database, or --force to erase them."
        )
    if existing or foreign:
        _empty_bench_tables()

    began = time.monotonic()
    rng = random.Random(seed)  # noqa: S311  (reproducible data, not secrets)
    scale = Scale.for_referrals(n)
    now_dt = clock.now().replace(microsecond=0)
    now, start = now_dt.timestamp(), (now_dt - timedelta(days=SPAN_DAYS)).timestamp()
    postgresql = db.engine.dialect.name == "postgresql"
    result = Generated()

    structure = _structure(rng, scale, now_dt, hash_password(BENCH_PASSWORD))
    db.session.flush()
    writer = _Writer()
    dropped = []
    if postgresql:
        # Superusers can skip the foreign-key triggers during the load: every key is made
        # consistent by construction (and the SQLite smoke test loads with them enforced).
        if db.session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        dropped = _secondary_indexes(list(TABLES))
        for name, _ in dropped:
            db.session.execute(text(f'DROP INDEX "{name}"'))
    residents_by_hood = _residents(rng, scale, structure, writer, start)
    with tqdm(total=n, unit=" referrals", disable=not show_progress, smoothing=0.1) as progress:
        counts, inbox_org, showcase, last_event = _referrals(
            rng, scale, structure, residents_by_hood, writer, start, now, progress
        )
    counts["unmet_needs"] = _unmet_needs(
        rng, scale, structure, residents_by_hood, writer, start, now
    )
    counts["residents"] = scale.residents
    counts["services"] = scale.services
    counts["organisations"] = scale.organisations
    counts["neighbourhoods"] = scale.neighbourhoods
    loaded = time.monotonic()
    if postgresql:
        db.session.execute(text("SET LOCAL session_replication_role = origin"))
        for _name, definition in tqdm(dropped, desc="indexes", disable=not show_progress):
            db.session.execute(text(definition))
        _reset_sequences()
    # The dashboards' daily summary, worked out from the referrals just loaded.
    counts["neighbourhood_days"] = daily_summary.recount()

    # Bench logins and tokens the harness uses, through the app's own token code.
    hood_counts = db.session.execute(
        select(Referral.neighbourhood_id, func.count()).group_by(Referral.neighbourhood_id)
    ).all()
    busiest_hood = max(hood_counts, key=lambda row: row[1])[0] if hood_counts else 1
    inbox_coordinator = db.session.get(User, structure["coordinator"][inbox_org])
    streams_user = db.session.get(User, structure["caseworker"][inbox_org])
    tokens = {}
    for key, user in (("inbox_coordinator", inbox_coordinator), ("inbox_caseworker", streams_user)):
        tokens[key], _ = create_token(user, "bench")
    inbox_services = [s["id"] for s in structure["services"] if s["organisation_id"] == inbox_org]
    db.session.commit()
    indexed = time.monotonic()
    if postgresql:
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

    age_for_directory = 40
    service_for_directory = inbox_services[0] - 1
    result.counts = counts
    result.info = {
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
        "users": {
            "inbox_coordinator": inbox_coordinator.email,
            "inbox_caseworker": streams_user.email,
            "referrer_caseworker": db.session.get(User, structure["caseworker"][1]).email,
            "lead": db.session.get(User, structure["lead"][busiest_hood]).email,
            "admin": db.session.get(User, structure["admin"]).email,
        },
        "tokens": tokens,
        "showcase_referral_id": showcase[0] if showcase else None,
        "dashboard_neighbourhood_id": busiest_hood,
        "directory": {
            "need": structure["service_need"][service_for_directory][0],
            "neighbourhood": structure["service_hoods"][service_for_directory][0],
            "age": age_for_directory,
        },
        "inbox_services": inbox_services,
        "last_event_id": last_event,
        "timings": {
            "load_seconds": round(loaded - began, 1),
            "indexes_seconds": round(indexed - loaded, 1),
            "analyse_seconds": round(time.monotonic() - indexed, 1),
            "total_seconds": round(time.monotonic() - began, 1),
        },
    }
    return result


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
