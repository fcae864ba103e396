"""The bench partnership's structure: neighbourhoods, organisations, services and users.

Made in memory as rows (one random generator, drawn from in a fixed order, so the same
seed gives the same partnership) and inserted through SQLAlchemy Core. The rows are kept
in a `Structure` for the referrals, which are drawn over them.
"""

import bisect
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import NeedCategory, Organisation, Service, User
from partnership.models.accounts import lead_neighbourhoods
from partnership.models.organisations import Neighbourhood, organisation_neighbourhoods
from partnership.models.services import CapacityUpdate, service_needs, service_neighbourhoods
from partnership.reference import seed_reference_data
from partnership.sample.bench.loading import BENCH_EMAIL_DOMAIN, BENCH_ORG_PREFIX
from partnership.sample.bench.scale import SPAN_DAYS, Scale, cumulative
from partnership.sample.bench.vocabulary import NEED_WEIGHTS, PLACES, SERVICE_WORDS, SUFFIXES


@dataclass
class Organisations:
    rows: list[dict]
    # By organisation index: the neighbourhood ids it serves, and its sector.
    hoods: list[list[int]]
    sector: list[str]


@dataclass
class Services:
    rows: list[dict]
    # By service index: its need ids, its neighbourhood ids and its organisation's id.
    need: list[list[int]]
    hoods: list[list[int]]
    organisation: list[int]


def structure(rng: random.Random, scale: Scale, now: datetime, password_hash: str) -> dict:
    """Neighbourhoods, organisations, services and users, through SQLAlchemy Core."""
    seed_reference_data()
    db.session.flush()
    needs = {n.slug: n.id for n in db.session.scalars(select(NeedCategory))}
    need_slugs = [slug for slug in NEED_WEIGHTS if slug in needs] or list(needs)

    neighbourhoods = _neighbourhoods(scale)
    hood_ids = [h["id"] for h in neighbourhoods]
    # Some neighbourhoods are bigger than others (a mild skew of population).
    population = [1.0 / (rank + 2) ** 0.5 for rank in range(len(hood_ids))]
    organisations = _organisations(rng, scale, now, hood_ids)
    services = _services(rng, scale, now, needs, need_slugs, organisations)
    users, leads = _users(organisations.rows, neighbourhoods, now, password_hash)
    _insert(neighbourhoods, organisations, services, users, leads)
    return {
        "need_ids": [needs[slug] for slug in need_slugs],
        "hood_ids": hood_ids,
        "population": population,
        "org_hoods": organisations.hoods,
        "org_sector": organisations.sector,
        "service_need": services.need,
        "service_hoods": services.hoods,
        "service_org": services.organisation,
        "services": services.rows,
        "caseworker": {org["id"]: 2 * org["id"] - 1 for org in organisations.rows},
        "coordinator": {org["id"]: 2 * org["id"] for org in organisations.rows},
        "lead": {lead["neighbourhood_id"]: lead["user_id"] for lead in leads},
        "admin": users[-1]["id"],
        "neighbourhoods": neighbourhoods,
    }


def _neighbourhoods(scale: Scale) -> list[dict]:
    neighbourhoods = []
    names = set()
    for i in range(scale.neighbourhoods):
        name = f"{PLACES[i % len(PLACES)]} {SUFFIXES[(i // len(PLACES)) % len(SUFFIXES)]}"
        if name in names:
            name = f"{name} {i}"
        names.add(name)
        neighbourhoods.append({"id": i + 1, "name": name, "ons_code": f"E05{800000 + i:06d}"})
    return neighbourhoods


def _organisations(
    rng: random.Random, scale: Scale, now: datetime, hood_ids: list[int]
) -> Organisations:
    """Mostly voluntary sector; a council and the NHS trust first, which serve everywhere."""
    sectors = ["nhs"] * 15 + ["council"] * 10 + ["vcse"] * 65 + ["other"] * 10
    made = Organisations([], [], [])
    for i in range(scale.organisations):
        sector = sectors[rng.randrange(len(sectors))]
        if i < 2:
            sector = "council"  # a council and the NHS trust serve everywhere
        elif i < 4:
            sector = "nhs"
        made.rows.append(
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
        made.hoods.append(sorted(served))
        made.sector.append(sector)
    return made


def _services(
    rng: random.Random,
    scale: Scale,
    now: datetime,
    needs: dict[str, int],
    need_slugs: list[str],
    organisations: Organisations,
) -> Services:
    """Each meets a need drawn by NEED_WEIGHTS (sometimes a second), in some or all of its
    organisation's neighbourhoods; about a third count places."""
    made = Services([], [], [], [])
    need_cum = cumulative(NEED_WEIGHTS.get(slug, 1) for slug in need_slugs)
    for i in range(scale.services):
        # Every organisation runs at least one service; the rest fall where they may.
        org_index = i if i < scale.organisations else rng.randrange(scale.organisations)
        slug = need_slugs[bisect.bisect(need_cum, rng.random() * need_cum[-1])]
        made.rows.append(_service_row(rng, i, org_index, slug, now))
        extra = need_slugs[rng.randrange(len(need_slugs))]
        made.need.append(
            sorted({needs[slug], needs[extra]} if rng.random() < 0.3 else {needs[slug]})
        )
        covered = organisations.hoods[org_index]
        if len(covered) > 3 and rng.random() < 0.5:
            covered = sorted(rng.sample(covered, rng.randint(2, len(covered))))
        made.hoods.append(covered)
        made.organisation.append(org_index + 1)
    return made


def _service_row(rng: random.Random, i: int, org_index: int, slug: str, now: datetime) -> dict:
    words = SERVICE_WORDS.get(slug, ("Support",))
    limited = rng.random() < 0.3
    status = rng.choices(["open", "limited", "waitlist", "full", "closed"], [70, 15, 8, 5, 2])[0]
    return {
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


def _users(
    organisations: list[dict], neighbourhoods: list[dict], now: datetime, password_hash: str
) -> tuple[list[dict], list[dict]]:
    """A caseworker and a coordinator per organisation, a lead per neighbourhood (at the
    council) and one admin: ids in that order, which the harness relies on."""
    users: list[dict] = []
    leads: list[dict] = []

    def user(email: str, name: str, organisation_id: int, role: str) -> dict:
        users.append(
            {
                "id": len(users) + 1,
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "organisation_id": organisation_id,
                "role": role,
                "active": True,
                "session_version": 1,
                "must_change_password": False,
                "created_at": now - timedelta(days=SPAN_DAYS + 10),
            }
        )
        return users[-1]

    for org in organisations:
        for role in ("caseworker", "coordinator"):
            user(
                f"{role}{org['id']}{BENCH_EMAIL_DOMAIN}",
                f"{role.capitalize()} {org['id']}",
                org["id"],
                role,
            )
    for hood in neighbourhoods:
        lead = user(f"lead{hood['id']}{BENCH_EMAIL_DOMAIN}", f"Lead {hood['id']}", 1, "lead")
        leads.append({"user_id": lead["id"], "neighbourhood_id": hood["id"]})
    user(f"admin{BENCH_EMAIL_DOMAIN}", "Bench Admin", 1, "admin")
    return users, leads


def _insert(
    neighbourhoods: list[dict],
    organisations: Organisations,
    services: Services,
    users: list[dict],
    leads: list[dict],
) -> None:
    """Every row of the structure, each service with its first capacity post."""
    execute = db.session.execute
    # The models' Tables, for Core statements (`__table__` is typed as any FromClause).
    tables = db.metadata.tables
    execute(tables[Neighbourhood.__tablename__].insert(), neighbourhoods)
    execute(tables[Organisation.__tablename__].insert(), organisations.rows)
    execute(
        organisation_neighbourhoods.insert(),
        [
            {"organisation_id": i + 1, "neighbourhood_id": h}
            for i, hoods in enumerate(organisations.hoods)
            for h in hoods
        ],
    )
    execute(tables[User.__tablename__].insert(), users)
    execute(lead_neighbourhoods.insert(), leads)
    execute(tables[Service.__tablename__].insert(), services.rows)
    execute(
        service_needs.insert(),
        [{"service_id": i + 1, "need_id": n} for i, ns in enumerate(services.need) for n in ns],
    )
    execute(
        service_neighbourhoods.insert(),
        [
            {"service_id": i + 1, "neighbourhood_id": h}
            for i, hs in enumerate(services.hoods)
            for h in hs
        ],
    )
    execute(
        tables[CapacityUpdate.__tablename__].insert(),
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
            for s in services.rows
        ],
    )
