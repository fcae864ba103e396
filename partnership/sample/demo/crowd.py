"""The crowd: most demo residents, each with one to three referrals over six months, and
the odd need with nowhere to go, in the proportions demand falls in practice."""

import random
from datetime import timedelta

from partnership.models import CapacityStatus, Service, Urgency, User
from partnership.sample.demo.lookup import Partnership
from partnership.sample.demo.office_hours import sending_time
from partnership.sample.demo.plans import (
    forward_plan,
    make_plan,
    random_fate,
    referrers,
    suitable,
    tell,
)
from partnership.sample.demo.residents import Person, weighted

HISTORY_DAYS = 182


# Demand as it falls in practice: food, money, mental wellbeing and housing lead. Food is
# asked for most, but Millford and Riverside have no food service: those needs go unmet
# or the caseworker helps with something else.
NEED_SHARE = {
    "food": 30,
    "money-and-debt": 17,
    "mental-wellbeing": 16,
    "housing": 12,
    "loneliness-and-isolation": 10,
    "carers": 5,
    "physical-activity": 4,
    "employment-and-skills": 3,
    "digital-inclusion": 3,
    "substance-use": 2,
    "domestic-abuse": 2,
    "children-and-families": 2,
}


def crowd_plans(person: Person, rng: random.Random, partnership: Partnership) -> None:
    """One to three referrals over the six months, the odd need with nowhere to go."""
    count = rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
    first = partnership.now - timedelta(days=rng.triangular(0, HISTORY_DAYS, 70))
    used: set[int] = set()
    referrer: User | None = None
    for number in range(count):
        around = first + timedelta(days=0 if number == 0 else rng.uniform(3, 60))
        sent_at = sending_time(partnership, around, rng) if around < partnership.now else None
        if sent_at is None:
            break
        for _ in range(4):
            need = weighted(rng, NEED_SHARE)
            if need not in partnership.needs:
                continue
            services = suitable(partnership, person, need, sent_at)
            if not services:
                # A caseworker found nowhere to send them: counted as unmet need.
                if rng.random() < 0.15 and (who := referrers(partnership, person, None)):
                    person.unmet.append((partnership.needs[need], weighted(rng, who), sent_at))
                    break
                continue
            services = [s for s in services if s.id not in used]
            if not services:
                continue
            service = rng.choices(services, weights=[popularity(s) for s in services])[0]
            choices = referrers(partnership, person, service)
            if not choices:
                continue
            # Most people are referred on by the same worker each time.
            if referrer is None or referrer not in choices or rng.random() < 0.3:
                referrer = weighted(rng, choices)
            urgency = Urgency.URGENT if rng.random() < 0.07 else Urgency.ROUTINE
            plan = make_plan(person, partnership, rng, need, service, referrer, urgency)
            fate = random_fate(rng, service)
            tell(plan, fate, sent_at, partnership, rng)
            if plan.steps:
                person.plans.append(plan)
                used.add(service.id)
                if fate.forward:
                    forward_plan(person, plan, partnership, rng, used)
            break


def popularity(service: Service) -> float:
    """Referrers favour services with room, but full ones still get asked."""
    return {
        CapacityStatus.OPEN: 3,
        CapacityStatus.LIMITED: 2,
        CapacityStatus.WAITLIST: 2,
        CapacityStatus.FULL: 1,
    }.get(service.capacity_status, 0)
