"""The demo partnership's residents and six months of referrals between its partners.

Every person here is invented (partnership.sample.demo.residents). The stories are made up
first (showcase, crowd, plans), then played through the real rules in time order and dated
as the story says (playing).
"""

import random
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from partnership import clock
from partnership.clock import LONDON
from partnership.extensions import db
from partnership.models import Resident
from partnership.sample.demo.crowd import crowd_plans
from partnership.sample.demo.lookup import Partnership, look_up
from partnership.sample.demo.playing import lift_places, play, restore_places, save_residents
from partnership.sample.demo.residents import SEED, Person, invent_person
from partnership.sample.demo.showcase import SHOWCASE, showcase_plan

RESIDENTS = 300


def seed_demo_referrals(today: date | None = None) -> int:
    """Add the demo residents and their referrals that are missing; return how many
    referrals were added. Commits.

    Runs after the demo organisations, users and services exist. The residents are the
    same on every run (each is drawn from its own seeded generator), so a resident already
    there is skipped with their referrals and a second run adds nothing. The story ends
    now, or at half past five on `today` if that is earlier.

    Places: the history accepts far more referrals than any service's places today, as
    coordinators re-post capacity when people finish. So while the history plays, place
    counting is lifted (places set to none, which `take_place` treats as not limited),
    and afterwards each service gets back the places of its latest capacity post. The
    directory then shows what the coordinators last posted, never a negative number.
    """
    started = clock.now()
    now = started
    if today is not None:
        now = min(now, datetime.combine(today, time(17, 30), tzinfo=LONDON).astimezone(UTC))
    partnership = look_up(now)
    if partnership is None:
        return 0
    people = invent_people(partnership)
    existing = {
        tuple(row)
        for row in db.session.execute(
            select(Resident.given_name, Resident.family_name, Resident.date_of_birth)
        )
    }
    people = [p for p in people if p.key not in existing and (p.plans or p.unmet)]
    if not people:
        restore_places()
        db.session.commit()
        return 0
    save_residents(people, partnership)
    lift_places(partnership)
    added = play(people)
    restore_places()
    db.session.commit()
    return added


def invent_people(partnership: Partnership) -> list[Person]:
    """The showcase stories first, then the crowd: the same people on every run."""
    people: list[Person] = []
    keys: set[tuple[str, str, date]] = set()
    for number, showcase in enumerate(SHOWCASE):
        # Old enough for the befriending services, which start at 60.
        born_in = 1950 if showcase[2] == "Telephone befriending" else None
        rng = random.Random(f"{SEED}/showcase/{number}")  # noqa: S311
        person = invent_person(rng, number, keys, showcase[0], born_in)
        showcase_plan(person, showcase, partnership)
        people.append(person)
    for number in range(len(SHOWCASE), len(SHOWCASE) + RESIDENTS):
        # Seeded, so the demo tells the same story every time; nothing secret here.
        person = invent_person(random.Random(f"{SEED}/resident/{number}"), number, keys)  # noqa: S311
        stories = random.Random(f"{SEED}/referrals/{number}")  # noqa: S311
        crowd_plans(person, stories, partnership)
        people.append(person)
    return people
