"""A referral's story before it is played: who refers whom, for what, and how it goes.

A `Plan` is one referral between a referrer and a service; its `Fate` says how the story
goes (answered or not, declined, accepted and worked on, completed with an outcome), and
`tell` turns the fate into dated `Step`s in office hours, keeping those before now.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from partnership.models import (
    CapacityStatus,
    ConsentGiver,
    DeclineReason,
    NeedCategory,
    Outcome,
    Referral,
    Service,
    Urgency,
    User,
)
from partnership.referrals.lifecycle import ConsentGiven, Details
from partnership.sample.demo.lookup import Partnership
from partnership.sample.demo.notes import (
    CANCELLED_BY_RECIPIENT,
    CANCELLED_BY_REFERRER,
    CONVERSATIONS,
    DECLINE_NOTES,
    OUTCOME_NOTES,
    SUMMARIES,
    WITHDRAWN,
)
from partnership.sample.demo.office_hours import later
from partnership.sample.demo.partners import name_key
from partnership.sample.demo.residents import Person, age_on, weighted

# How often each organisation refers, where it serves the resident's neighbourhood:
# mostly the GP practices, then the council's social care and housing teams.
REFERRING = {
    "Ashbrook Medical Practice": 14,
    "Riverside Health Centre": 12,
    "North Valley City Council Adult Social Care": 6,
    "North Valley Housing Options": 5,
    "North Valley Community Health NHS Trust": 3,
    "Millford Money Advice": 2,
    "Kirkby Moor Community Hub": 2,
    "Valley Minds Wellbeing": 2,
    "Riverside Carers Network": 2,
    "Hollins Green Befriending Service": 1,
    "Calder Bank Food Bank": 1,
}


# Days from starting work with a resident to closing the case.
DAYS_TO_COMPLETE = {
    "food": (2, 21),
    "money-and-debt": (14, 90),
    "mental-wellbeing": (42, 120),
    "housing": (10, 80),
    "loneliness-and-isolation": (30, 150),
    "carers": (14, 60),
    "physical-activity": (28, 84),
    "employment-and-skills": (28, 90),
    "digital-inclusion": (7, 42),
    "substance-use": (60, 180),
    "children-and-families": (30, 120),
    "domestic-abuse": (14, 60),
}


@dataclass
class Fate:
    """How a referral's story goes, if there is time for it before today."""

    answer: str  # "accept", "decline", "withdraw" (cancelled while waiting) or "none"
    opened: bool = True
    assigned: bool = False
    reason: DeclineReason | None = None
    forward: bool = False
    start: bool = True
    hold: bool = False
    resume: bool = False
    cancel: bool = False
    outcome: Outcome | None = None
    talk: bool = False
    days_to_complete: tuple[int, int] | None = None


@dataclass
class Step:
    at: datetime
    kind: str
    actor: User
    details: Details | None = None
    assignee: User | None = None
    body: str = ""


@dataclass
class Plan:
    resident: "Person"
    need: NeedCategory
    referrer: User
    service: Service
    urgency: Urgency
    summary: str
    consent: ConsentGiven
    steps: list[Step] = field(default_factory=list)
    forwarded_from: "Plan | None" = None
    referral: Referral | None = None
    # What the referral's own columns should say once the story is played.
    stamps: dict = field(default_factory=dict)


def suitable(
    partnership: Partnership, person: Person, need: str, at: datetime, exclude=()
) -> list[Service]:
    """Services that meet the need in the resident's neighbourhood and take their age."""
    age = age_on(person, at)
    area = name_key(person.neighbourhood)
    return [
        s
        for s in partnership.services
        if need in partnership.service_needs[s.id]
        and area in partnership.service_areas[s.id]
        and (s.min_age is None or age >= s.min_age)
        and (s.max_age is None or age <= s.max_age)
        and s.id not in exclude
    ]


def referrers(partnership: Partnership, person: Person, service: Service | None) -> dict:
    """Who could refer this resident: organisations serving their neighbourhood, not the
    service's own."""
    area = name_key(person.neighbourhood)
    found = {}
    for name, weight in REFERRING.items():
        organisation = partnership.organisations.get(name_key(name))
        if (
            organisation is None
            or area not in partnership.served[organisation.id]
            or (service is not None and organisation.id == service.organisation_id)
            or not partnership.staff.get(organisation.id)
        ):
            continue
        found[partnership.staff[organisation.id][0]] = weight
    return found


def random_fate(rng: random.Random, service: Service) -> Fate:
    short = service.capacity_status in (CapacityStatus.FULL, CapacityStatus.WAITLIST)
    roll = rng.random()
    if roll < 0.03:
        return Fate("none", opened=rng.random() < 0.5)
    if roll < 0.09:
        return Fate("withdraw", opened=rng.random() < 0.5)
    if roll < 0.09 + (0.35 if short else 0.16):
        if short and rng.random() < 0.7:
            reason = DeclineReason.NO_CAPACITY
        else:
            reasons = {
                DeclineReason.NO_CAPACITY: 10,
                DeclineReason.NOT_ELIGIBLE: 25,
                DeclineReason.UNABLE_TO_CONTACT: 30,
                DeclineReason.RESIDENT_DECLINED: 15,
                DeclineReason.DUPLICATE: 8,
                DeclineReason.OTHER: 12,
            }
            reason = weighted(rng, reasons)
        forwardable = reason in (DeclineReason.NO_CAPACITY, DeclineReason.NOT_ELIGIBLE)
        return Fate("decline", reason=reason, forward=forwardable and rng.random() < 0.4)
    hold = rng.random() < 0.15
    outcome = weighted(
        rng,
        {Outcome.NEED_MET: 50, Outcome.PARTLY_MET: 22, Outcome.NOT_MET: 10, Outcome.DISENGAGED: 18},
    )
    return Fate(
        "accept",
        assigned=rng.random() < 0.4,
        # Food parcels and the like are done as soon as they are accepted.
        start=rng.random() < 0.7,
        hold=hold,
        resume=hold and rng.random() < 0.65,
        cancel=rng.random() < 0.05,
        outcome=outcome,
        talk=rng.random() < 0.14,
    )


def make_plan(
    person: Person,
    partnership: Partnership,
    rng: random.Random,
    need: str,
    service: Service,
    referrer: User,
    urgency: Urgency,
) -> Plan:
    category = partnership.needs[need]
    organisation = partnership.organisations[name_key(service.organisation.name)]
    covers = (
        f"Sharing contact details and this summary with {organisation.name} for help with "
        f"{category.name.lower()}, and hearing back how it went."
    )
    if age_on(person, partnership.now) >= 80 and rng.random() < 0.4:
        relative = rng.choice(person.community.given)
        consent = ConsentGiven(
            ConsentGiver.REPRESENTATIVE, covers, f"{relative} {person.record.family_name}"
        )
    else:
        consent = ConsentGiven(ConsentGiver.RESIDENT, covers)
    return Plan(
        resident=person,
        need=category,
        referrer=referrer,
        service=service,
        urgency=urgency,
        summary=rng.choice(SUMMARIES[need]),
        consent=consent,
    )


def forward_plan(
    person: Person, declined: Plan, partnership: Partnership, rng: random.Random, used: set
) -> None:
    """After a decline the referrer tries another service, if there is one to try."""
    decline = next((s for s in declined.steps if s.kind == "decline"), None)
    if decline is None:
        return
    at = later(partnership, decline.at, 2, 72, rng)
    services = suitable(partnership, person, declined.need.slug, at, exclude=used)
    services = [s for s in services if s.organisation_id != declined.referrer.organisation_id]
    if not services:
        return
    service = rng.choice(services)
    plan = make_plan(
        person, partnership, rng, declined.need.slug, service, declined.referrer, declined.urgency
    )
    plan.forwarded_from = declined
    plan.summary = f"Declined by {declined.service.name}. {declined.summary}"
    fate = random_fate(rng, service)
    if fate.answer == "decline":
        fate = Fate("accept", outcome=Outcome.NEED_MET, start=True)
    fate.forward = False
    tell(plan, fate, at, partnership, rng)
    if plan.steps:
        person.plans.append(plan)
        used.add(service.id)


class _Telling:
    """A story being told: its steps so far, each some office hours after the last."""

    def __init__(self, plan: Plan, sent_at: datetime, partnership: Partnership, rng, team):
        self.plan, self.partnership, self.rng, self.team = plan, partnership, rng, team
        self.referrer, self.recipient = plan.referrer, team[0]
        self.urgent = plan.urgency is Urgency.URGENT
        self.steps = [Step(sent_at, "send", plan.referrer)]
        self.at = sent_at

    def add(self, kind, low, high, actor, **fields) -> None:
        self.at = later(self.partnership, self.at, low, high, self.rng)
        self.steps.append(Step(self.at, kind, actor, **fields))

    def talk(self) -> None:
        """A message and, mostly, its reply, from a conversation that fits the referral."""
        plan, recipient, referrer = self.plan, self.recipient, self.referrer
        fits = [
            conversation[1:]
            for conversation in CONVERSATIONS
            if conversation[0] in (None, plan.need.slug)
            or (conversation[0] == "interpreter" and plan.resident.record.interpreter_needed)
        ]
        starts, said, reply = self.rng.choice(fits)
        first, second = (recipient, referrer) if starts == "recipient" else (referrer, recipient)
        self.add("message", 1, 30, first, body=said)
        if reply:
            self.add("message", 0.5, 20, second, body=reply)


def tell(
    plan: Plan, fate: Fate, sent_at: datetime, partnership: Partnership, rng: random.Random
) -> None:
    """Turn a fate into dated steps, keeping only those that happen before now."""
    team = partnership.staff.get(plan.service.organisation_id) or []
    if not team:
        return
    story = _Telling(plan, sent_at, partnership, rng, team)
    if fate.opened:
        story.add("open", 0.2, 6 if story.urgent else 30, story.recipient)
    if fate.answer == "none":
        if fate.talk:
            story.talk()
    elif fate.answer == "withdraw":
        story.add("cancel", 20, 240, story.referrer, details=Details(note=rng.choice(WITHDRAWN)))
    elif fate.answer == "decline":
        # Every declining fate names its reason (the draws and the showcase both do).
        assert fate.reason is not None
        note = rng.choice(DECLINE_NOTES[fate.reason])
        details = Details(fate.reason, note=note)
        story.add("decline", 1, 12 if story.urgent else 48, story.recipient, details=details)
    else:
        _accepted(story, fate, rng)
    plan.steps = [step for step in story.steps if step.at < partnership.now]


def _accepted(story: _Telling, fate: Fate, rng: random.Random) -> None:
    """Accepted (perhaps after the coordinator assigns it), then cancelled, or worked on
    and completed, as the fate says."""
    if fate.assigned:
        # The coordinator hands it to someone, who then does the work.
        triager, story.recipient = story.recipient, rng.choice(story.team)
        story.add("assign", 0.1, 4, triager, assignee=story.recipient)
    recipient = story.recipient
    story.add("accept", 0.5, 8 if story.urgent else 40, recipient)
    if fate.talk:
        story.talk()
    need = story.plan.need.slug
    low, high = fate.days_to_complete or DAYS_TO_COMPLETE.get(need, (14, 60))
    if fate.cancel:
        if rng.random() < 0.5:
            note = rng.choice(CANCELLED_BY_REFERRER)
            story.add("cancel", 24, 24 * 20, story.referrer, details=Details(note=note))
        else:
            note = rng.choice(CANCELLED_BY_RECIPIENT)
            story.add("cancel", 24, 24 * 20, recipient, details=Details(note=note))
    elif not fate.start:
        if fate.outcome:
            story.add(
                "complete", 24 * low, 24 * high, recipient, details=_completion(fate.outcome, rng)
            )
    else:
        story.add("start", 24, 24 * 10, recipient)
        if fate.hold:
            story.add("hold", 24 * 5, 24 * 30, recipient)
            if fate.resume:
                story.add("resume", 24 * 7, 24 * 30, recipient)
        if fate.outcome and (not fate.hold or fate.resume):
            story.add(
                "complete", 24 * low, 24 * high, recipient, details=_completion(fate.outcome, rng)
            )


def _completion(outcome: Outcome, rng: random.Random) -> Details:
    return Details(outcome=outcome, note=rng.choice(OUTCOME_NOTES[outcome]))
