"""The showcase: the stories the demo logins see first, and one of every ending."""

import random
from datetime import timedelta

from partnership.models import DeclineReason, Outcome, Urgency
from partnership.sample.demo.lookup import Partnership
from partnership.sample.demo.office_hours import sending_time
from partnership.sample.demo.plans import Fate, forward_plan, make_plan, suitable, tell
from partnership.sample.demo.residents import SEED, Person

# The stories the demo logins see first, and one of every ending: (neighbourhood, need,
# service, referrer's email, days ago, urgency, fate).
SHOWCASE = [
    # Tom Whitaker's inbox: new food referrals from Calder Bank and Ashbrook.
    ("Calder Bank", "food", "Food parcels", "caseworker@demo.example", 0, Urgency.URGENT,
     Fate("none", opened=False)),
    ("Ashbrook", "food", "Food parcels", "caseworker@demo.example", 1, Urgency.ROUTINE,
     Fate("none", opened=True)),
    ("Calder Bank", "food", "Food parcels", "housing@demo.example", 2, Urgency.ROUTINE,
     Fate("none", opened=False)),
    ("Calder Bank", "food", "Community pantry", "caseworker@demo.example", 3, Urgency.ROUTINE,
     Fate("none", opened=True, talk=True)),
    # Overdue: sent long enough ago and still waiting for an answer.
    ("Hollins Green", "food", "Community pantry", "social.worker@demo.example", 12,
     Urgency.ROUTINE, Fate("none", opened=True)),
    ("Riverside", "money-and-debt", "Debt advice", "riverside.gp@demo.example", 15,
     Urgency.ROUTINE, Fate("none", opened=False)),
    ("Ashbrook", "housing", "Homelessness prevention", "caseworker@demo.example", 6,
     Urgency.URGENT, Fate("none", opened=True)),
    # Priya Shah's outbox, one of each stage.
    ("Calder Bank", "food", "Food parcels", "caseworker@demo.example", 9, Urgency.ROUTINE,
     Fate("accept", assigned=True, start=False)),
    ("Ashbrook", "mental-wellbeing", "Wellbeing groups", "caseworker@demo.example", 25,
     Urgency.ROUTINE, Fate("accept", start=True, talk=True)),
    ("Calder Bank", "food", "Food parcels", "caseworker@demo.example", 40, Urgency.ROUTINE,
     Fate("accept", start=False, outcome=Outcome.NEED_MET, days_to_complete=(1, 5))),
    # One of every decline reason, and a decline forwarded elsewhere.
    ("Millford", "money-and-debt", "Energy bill support", "riverside.gp@demo.example", 34,
     Urgency.ROUTINE, Fate("decline", reason=DeclineReason.NO_CAPACITY, forward=True)),
    ("Calder Bank", "food", "Food parcels", "social.worker@demo.example", 38, Urgency.ROUTINE,
     Fate("decline", reason=DeclineReason.NOT_ELIGIBLE)),
    ("Riverside", "housing", "Homelessness prevention", "riverside.gp@demo.example", 45,
     Urgency.ROUTINE, Fate("decline", reason=DeclineReason.UNABLE_TO_CONTACT)),
    ("Kirkby Moor", "employment-and-skills", "Job club", "housing@demo.example", 52,
     Urgency.ROUTINE, Fate("decline", reason=DeclineReason.RESIDENT_DECLINED)),
    ("Ashbrook", "mental-wellbeing", "Talking therapies", "caseworker@demo.example", 58,
     Urgency.ROUTINE, Fate("decline", reason=DeclineReason.DUPLICATE)),
    ("Millford", "mental-wellbeing", "Wellbeing groups", "riverside.gp@demo.example", 64,
     Urgency.ROUTINE, Fate("decline", reason=DeclineReason.OTHER)),
    # One of every outcome, a hold, and cancellations on both sides.
    ("Riverside", "money-and-debt", "Benefits checks", "riverside.gp@demo.example", 70,
     Urgency.ROUTINE, Fate("accept", outcome=Outcome.NEED_MET, days_to_complete=(5, 15))),
    ("Hollins Green", "loneliness-and-isolation", "Telephone befriending",
     "social.worker@demo.example", 80, Urgency.ROUTINE,
     Fate("accept", outcome=Outcome.PARTLY_MET, days_to_complete=(10, 20))),
    ("Millford", "carers", "Carers' support groups", "riverside.gp@demo.example", 88,
     Urgency.ROUTINE, Fate("accept", outcome=Outcome.NOT_MET, days_to_complete=(10, 20))),
    ("Kirkby Moor", "mental-wellbeing", "Talking therapies", "housing@demo.example", 96,
     Urgency.ROUTINE, Fate("accept", outcome=Outcome.DISENGAGED, days_to_complete=(10, 20))),
    ("Calder Bank", "money-and-debt", "Affordable loans", "caseworker@demo.example", 30,
     Urgency.ROUTINE, Fate("accept", hold=True)),
    ("Riverside", "physical-activity", "Riverside walking group", "housing@demo.example", 20,
     Urgency.ROUTINE, Fate("withdraw")),
    ("Ashbrook", "digital-inclusion", "Digital skills at the library", "caseworker@demo.example",
     50, Urgency.ROUTINE, Fate("accept", cancel=True)),
]  # fmt: skip


def showcase_plan(person: Person, showcase: tuple, partnership: Partnership) -> None:
    _, need, service_name, email, days_ago, urgency, fate = showcase
    rng = random.Random(f"{SEED}/showcase-story/{service_name}/{days_ago}")  # noqa: S311
    service = next((s for s in partnership.services if s.name == service_name), None)
    referrer = next(
        (u for people in partnership.staff.values() for u in people if u.email == email), None
    )
    if service is None or referrer is None or need not in partnership.needs:
        return
    sent_at = sending_time(partnership, partnership.now - timedelta(days=days_ago), rng)
    if sent_at is None or service not in suitable(partnership, person, need, sent_at):
        return
    plan = make_plan(person, partnership, rng, need, service, referrer, urgency)
    tell(plan, fate, sent_at, partnership, rng)
    if plan.steps:
        person.plans.append(plan)
        if fate.forward:
            forward_plan(person, plan, partnership, rng, {service.id})
