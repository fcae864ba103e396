"""The demo partnership's residents and six months of referrals between its partners.

Every person here is invented. NHS numbers are in the 999 range that NHS England keeps
for testing, postcodes use the area NV that no real postcode has, phone numbers are in
Ofcom's ranges for drama (07700 900xxx, 01632 960xxx) and email addresses end in .example.

The history is played through the real rules (`send_referral`, `forward`, `transition`,
`mark_opened`, `assign`, `post_message`) in time order, so statuses, timelines, consents
and the access log agree as if people had done the work; each step is then back-dated to
when it happened in the story. Event ids therefore increase with time, as they do live.
"""

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update

from partnership import clock
from partnership.clock import LONDON
from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    BankHoliday,
    CapacityStatus,
    CapacityUpdate,
    Consent,
    ConsentGiver,
    ContactMethod,
    DeclineReason,
    Event,
    Message,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Outcome,
    Referral,
    Resident,
    Role,
    Service,
    UnmetNeed,
    Urgency,
    User,
)
from partnership.referrals import daily_summary
from partnership.referrals.lifecycle import STAMPS, Action, Details, assign, mark_opened, transition
from partnership.referrals.messages import post_message
from partnership.referrals.sending import ConsentGiven, forward, send_referral

HISTORY_DAYS = 182
RESIDENTS = 300
# Changing this seed changes every demo resident: a second run would add them all again.
SEED = 2026

# --- Who refers, who receives -------------------------------------------------------

# People who receive referrals for organisations that have no demo login of their own, and
# a colleague at the food bank for the coordinator to assign to. Looked up by email, so
# moving them into partnership.sample.demo.partners.DEMO_USERS later changes nothing here.
STAFF = [
    ("foodbank@demo.example", "Leanne Firth", "Calder Bank Food Bank", Role.CASEWORKER),
    (
        "community.health@demo.example",
        "Helen Sykes",
        "North Valley Community Health NHS Trust",
        Role.COORDINATOR,
    ),
    ("creditunion@demo.example", "Gareth Lloyd", "North Valley Credit Union", Role.COORDINATOR),
]

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

NEIGHBOURHOOD_SHARE = {
    "Calder Bank": 24,
    "Ashbrook": 22,
    "Riverside": 16,
    "Millford": 14,
    "Hollins Green": 12,
    "Kirkby Moor": 12,
}
POSTCODE_DISTRICT = {
    "Ashbrook": "NV1",
    "Calder Bank": "NV2",
    "Hollins Green": "NV3",
    "Kirkby Moor": "NV4",
    "Millford": "NV5",
    "Riverside": "NV6",
}
# The letters real inward codes use, so the postcodes look right and still cannot be real.
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

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

# --- Names: a northern English city ---------------------------------------------------


@dataclass(frozen=True)
class Community:
    share: float
    given: tuple[str, ...]
    family: tuple[str, ...]
    # (language, weight): English or the language the resident prefers to speak.
    languages: tuple[tuple[str, float], ...] = (("English", 1),)


COMMUNITIES = [
    Community(
        56,
        (
            "Margaret", "Jean", "Dorothy", "Brian", "Keith", "Gary", "Dean", "Shaun", "Kelly",
            "Stacey", "Leanne", "Jordan", "Liam", "Chloe", "Bethany", "Callum", "Jack", "Ellie",
            "Carol", "Irene", "Derek", "Alan", "Sharon", "Tracey", "Wayne", "Paul", "Joanne",
            "Kirsty", "Declan", "Siobhan", "Fiona", "Ryan", "Emma", "Sophie", "Harry", "Megan",
            "Norman", "Pauline", "Lynne", "Janet", "Graham", "Nicola", "Craig", "Amy", "Josh",
        ),
        (
            "Brook", "Thornton", "Hargreaves", "Sutcliffe", "Greenwood", "Ackroyd", "Barraclough",
            "Holroyd", "Crowther", "Haigh", "Illingworth", "Marsden", "Pickles", "Rhodes",
            "Shackleton", "Whiteley", "Dobson", "Fletcher", "Walsh", "O'Connor", "Murphy",
            "Quinn", "McBride", "Hirst", "Bentley", "Moorhouse", "Lumb", "Booth", "Kaye",
            "Wood", "Mitchell", "Clegg", "Ramsden", "Priestley", "Gaunt", "Rushworth",
        ),
        (("English", 0.99), ("British Sign Language", 0.01)),
    ),
    Community(
        13,
        (
            "Mohammed", "Tariq", "Asif", "Nadeem", "Zahid", "Bilal", "Usman", "Shabana",
            "Nasreen", "Rubina", "Fatima", "Sana", "Zainab", "Hamza", "Ayesha", "Parveen",
            "Yasmin", "Rukhsana", "Shazia", "Adnan",
        ),
        (
            "Hussain", "Akhtar", "Iqbal", "Mahmood", "Rashid", "Bibi", "Qureshi", "Butt",
            "Anwar", "Javed", "Saddiq", "Shafiq", "Mirza", "Zaman",
        ),
        (("English", 0.55), ("Urdu", 0.25), ("Punjabi", 0.12), ("Pahari-Pothwari", 0.08)),
    ),
    Community(
        3,
        ("Gurpreet", "Harjit", "Manjit", "Sandeep", "Priyanka", "Rajesh", "Kiran", "Sunita"),
        ("Singh", "Kaur", "Patel", "Sandhu", "Gill", "Mistry", "Sharma"),
        (("English", 0.7), ("Punjabi", 0.2), ("Gujarati", 0.1)),
    ),
    Community(
        2,
        ("Abdul", "Shahid", "Rahima", "Nasima", "Jamal", "Sultana", "Rofiq"),
        ("Begum", "Miah", "Uddin", "Ahmed", "Khatun"),
        (("English", 0.6), ("Bengali", 0.25), ("Sylheti", 0.15)),
    ),
    Community(
        5,
        (
            "Agnieszka", "Katarzyna", "Tomasz", "Piotr", "Marek", "Magdalena", "Krzysztof",
            "Joanna", "Łukasz", "Ewa", "Paweł", "Dorota",
        ),
        ("Nowak", "Wójcik", "Kaczmarek", "Mazur", "Krawczyk", "Zając", "Król", "Wieczorek"),
        (("Polish", 0.6), ("English", 0.4)),
    ),
    Community(
        3,
        ("Andrei", "Ionuț", "Mihai", "Elena", "Ioana", "Florin", "Gabriela", "Cristina", "Vasile"),
        ("Popescu", "Ionescu", "Stan", "Dumitru", "Constantin", "Munteanu", "Lungu", "Rusu"),
        (("Romanian", 0.65), ("English", 0.35)),
    ),
    Community(
        1.5,
        ("Jozef", "Marcela", "Milan", "Renata", "Ladislav", "Denisa"),
        ("Horváth", "Baláž", "Lakatoš", "Ferko", "Dudi"),
        (("Slovak", 0.4), ("Czech", 0.2), ("Romani", 0.2), ("English", 0.2)),
    ),
    Community(
        3,
        ("Ahmad", "Omar", "Khaled", "Yousef", "Rania", "Huda", "Layla", "Mariam", "Samir", "Nour"),
        ("Al-Hassan", "Haddad", "Khalil", "Abdullah", "Saleh", "Mansour", "Darwish", "Hamdan"),
        (("Arabic", 0.7), ("English", 0.3)),
    ),
    Community(
        1.5,
        ("Rebwar", "Shilan", "Dilan", "Karwan", "Soran", "Nazdar"),
        ("Aziz", "Rasul", "Karim", "Hama", "Salih"),
        (("Kurdish (Sorani)", 0.6), ("English", 0.4)),
    ),
    Community(
        2,
        ("Abdirahman", "Hodan", "Fadumo", "Hawa", "Ifrah", "Abdi", "Deqa", "Liban"),
        ("Ali", "Hassan", "Farah", "Warsame", "Osman", "Jama", "Nur", "Egal"),
        (("Somali", 0.55), ("English", 0.45)),
    ),
    Community(
        1,
        ("Yonas", "Selam", "Filmon", "Senait", "Mehari", "Saba"),
        ("Tesfay", "Gebremedhin", "Haile", "Kidane", "Berhane"),
        (("Tigrinya", 0.7), ("English", 0.3)),
    ),
    Community(
        3,
        (
            "Delroy", "Winston", "Marcia", "Beverley", "Lloyd", "Jerome", "Shanice", "Andrea",
            "Clive", "Hyacinth", "Errol", "Paulette",
        ),
        ("Campbell", "Clarke", "Francis", "Grant", "Henry", "Reid", "Barrett", "McKenzie"),
    ),
    Community(
        3.5,
        (
            "Chidi", "Ngozi", "Adebayo", "Funmilayo", "Kofi", "Ama", "Emeka", "Blessing",
            "Tunde", "Abena", "Yaw", "Chiamaka",
        ),
        ("Okonkwo", "Boateng", "Eze", "Nwosu", "Owusu", "Asante", "Balogun", "Ogunleye", "Obi"),
    ),
    Community(
        1.5,
        ("Wei", "Mei Ling", "Ka Yan", "Chi Keung", "Siu Ming", "Xiu"),
        ("Chan", "Wong", "Lam", "Cheung", "Leung"),
        (("Cantonese", 0.4), ("Mandarin", 0.3), ("English", 0.3)),
    ),
]  # fmt: skip

ACCESSIBILITY = [
    "Uses a wheelchair: ground-floor rooms only, please.",
    "Partially sighted: letters in large print, please.",
    "Hard of hearing: speak clearly and face them; no phone calls.",
    "Learning disability: easy-read information and extra time at appointments.",
    "Finds reading and writing hard: phone rather than write.",
    "Walks with a frame and cannot manage stairs: home visits where possible.",
    "Autistic: appointments at quiet times, with a few days' notice.",
    "Memory problems: a reminder the day before helps; a family member helps with post.",
    "Anxious about new places: would like someone to meet them at the door.",
]

# --- Words for the referrals ------------------------------------------------------------

SUMMARIES = {
    "food": [
        "No money for food until Universal Credit is paid in nine days. Lives alone; has a "
        "microwave but no working cooker.",
        "Lost shifts at work this month. Two adults and three children at home; one child "
        "is coeliac.",
        "Benefit sanction for a missed appointment: no income for four weeks. Cannot walk "
        "far, so needs a delivery.",
        "Has been skipping meals so the children can eat. Gas meter is on emergency credit.",
        "Home from hospital after a fall and cannot get to the shops. No family nearby.",
        "Waiting for a first Universal Credit payment after losing their job. Household of "
        "two adults.",
        "Pension Credit claim still being processed and the cupboards are empty. Diabetic.",
    ],
    "money-and-debt": [
        "Council tax arrears and a letter from enforcement agents this week.",
        "Behind on rent and energy after a relationship ended; income has halved.",
        "Several catalogue and credit card debts; only paying the most pressing ones.",
        "Not claiming anything beyond the State Pension: may be due Pension Credit and "
        "Attendance Allowance.",
        "Borrowed from a doorstep lender to pay for a funeral and cannot keep up.",
        "Universal Credit deductions for an old overpayment leave too little to live on.",
    ],
    "mental-wellbeing": [
        "Low mood for several months since losing their job; sleeping badly.",
        "Anxiety has stopped them leaving the house most days. Would like a group to ease "
        "back into things.",
        "Bereaved this year and struggling. Not at risk, but would value someone to talk to.",
        "Stress at work and at home; has asked for help before it gets worse.",
        "Panic attacks on public transport, which makes getting to work difficult.",
    ],
    "housing": [
        "Section 21 notice received; must leave in eight weeks. Two children at school locally.",
        "Damp and mould in the flat are making a child's asthma worse; landlord not responding.",
        "Sofa-surfing with friends since leaving the family home.",
        "Rent has gone up by £150 a month and they cannot cover it.",
        "Can no longer manage the stairs at home after a stroke; needs advice on moving.",
    ],
    "loneliness-and-isolation": [
        "Lives alone since their partner died and rarely sees anyone.",
        "Moved to the area last year and knows no one nearby.",
        "Stopped going out after a fall; says the days feel very long.",
        "Cares for nobody now and misses the company of the day centre that closed.",
    ],
    "carers": [
        "Caring full time for a parent with dementia and exhausted.",
        "Looks after a partner with MS; has not had a break in over a year.",
        "Cares for an adult son with a learning disability and worries about the future.",
    ],
    "physical-activity": [
        "Type 2 diabetes; would like to get more active but lacks confidence.",
        "Recovering from a knee operation; physio suggested gentle walking.",
        "Gained weight since stopping work and wants to build a routine.",
    ],
    "employment-and-skills": [
        "Out of work for two years and wants help with a CV and applications.",
        "Lost a warehouse job; has never applied for work online.",
        "Wants to get back to work after years caring for a relative.",
    ],
    "digital-inclusion": [
        "Has been told to manage their Universal Credit online but has no device.",
        "Has a tablet from family but does not know how to use it for video calls.",
        "Wants to book GP appointments online and order repeat prescriptions.",
    ],
    "substance-use": [
        "Drinking more since losing their job; wants to cut down.",
        "Asked for help with cannabis use that is affecting work.",
    ],
    "children-and-families": [
        "Young parent struggling with a new baby and no family support nearby.",
        "Needs somewhere safe to live after a family breakdown.",
    ],
    "domestic-abuse": [
        "Disclosed controlling behaviour by a partner; wants to talk to someone safely.",
    ],
}

# (only for: a need, "interpreter" or anyone; who starts; what they write; the reply)
CONVERSATIONS = [
    (
        None,
        "recipient",
        "We have tried to call twice without an answer. Is there a better time or another number?",
        "Afternoons are best. If there is no answer, try the landline.",
    ),
    (
        "food",
        "recipient",
        "Can the resident collect, or do they need a delivery?",
        "A delivery, please: they cannot manage the bus at the moment.",
    ),
    (
        None,
        "referrer",
        "Just checking this has arrived: the resident asked me about it today.",
        "Yes, it is with us. We will call them this week.",
    ),
    (
        "interpreter",
        "recipient",
        "Should we book an interpreter for the first appointment?",
        "Yes, please. They would prefer a face-to-face appointment to a phone call.",
    ),
    (
        None,
        "referrer",
        "Things have got harder for the resident since I referred: could they be seen sooner?",
        "We will see them first thing next week.",
    ),
    (None, "recipient", "We have been in touch and booked a first appointment.", None),
]

WITHDRAWN = [
    "The resident found help elsewhere",
    "The resident no longer wants this referral",
    "Sent to the wrong service by mistake",
    "The resident has moved out of the area",
]
CANCELLED_BY_REFERRER = [
    "The resident has gone into hospital for a long stay",
    "The resident has moved out of the area",
]
CANCELLED_BY_RECIPIENT = [
    "The resident asked us to close the referral",
    "The resident has moved away and is now supported by another team",
]
DECLINE_NOTES = {
    DeclineReason.NO_CAPACITY: ["No places until next month", ""],
    DeclineReason.NOT_ELIGIBLE: ["Outside the age range for this service", ""],
    DeclineReason.UNABLE_TO_CONTACT: ["Three calls and a letter over two weeks, no reply", ""],
    DeclineReason.RESIDENT_DECLINED: ["The resident said they did not want this now", ""],
    DeclineReason.DUPLICATE: ["Already referred by another team last week", ""],
    DeclineReason.OTHER: [
        "Needs specialist support we cannot offer: suggest the community mental health team",
        "We can only help people registered with the practice",
    ],
}
OUTCOME_NOTES = {
    Outcome.NEED_MET: ["", "Support finished and the resident is managing well."],
    Outcome.PARTLY_MET: ["", "Some of what they needed is sorted; the rest is with another team."],
    Outcome.NOT_MET: ["", "We could not help with this: it needs specialist advice."],
    Outcome.DISENGAGED: ["", "Stopped coming after two sessions and has not replied since."],
}

# --- The plan ---------------------------------------------------------------------------


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


@dataclass
class Person:
    """A demo resident before it is saved, with what happened to them."""

    record: Resident
    community: Community
    neighbourhood: str
    plans: list[Plan] = field(default_factory=list)
    unmet: list[tuple[NeedCategory, User, datetime]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, date]:
        return _resident_key(self.record)


@dataclass
class Partnership:
    """The demo partnership as it is in the database, looked up once."""

    now: datetime
    holidays: frozenset[date]
    needs: dict[str, NeedCategory]
    neighbourhoods: dict[str, Neighbourhood]
    organisations: dict[str, Organisation]
    services: list[Service]
    service_needs: dict[int, set[str]]
    service_areas: dict[int, set[str]]
    # Everyone who works on referrals, by organisation id, the first of them triaging.
    staff: dict[int, list[User]]
    served: dict[int, set[str]]


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
    _seed_staff()
    partnership = _partnership(now)
    if partnership is None:
        return 0
    people = _people(partnership)
    existing = {
        tuple(row)
        for row in db.session.execute(
            select(Resident.given_name, Resident.family_name, Resident.date_of_birth)
        )
    }
    people = [p for p in people if p.key not in existing and (p.plans or p.unmet)]
    if not people:
        _restore_places()
        db.session.commit()
        return 0
    _save_residents(people, partnership)
    _lift_places(partnership)
    session = db.session()
    expire_on_commit = session.expire_on_commit
    # The rules commit each referral they send. Reloading every object after each of those
    # commits was most of the seed's time, and nothing else writes to them meanwhile.
    session.expire_on_commit = False
    try:
        added = _play(people, partnership, started)
    finally:
        session.expire_on_commit = expire_on_commit
    _restore_places()
    db.session.commit()
    return added


def _resident_key(resident: Resident) -> tuple[str, str, date]:
    return (resident.given_name, resident.family_name, resident.date_of_birth)


def _key(name: str) -> str:
    return name.strip().lower()


def _partnership(now: datetime) -> Partnership | None:
    needs = {n.slug: n for n in db.session.scalars(select(NeedCategory))}
    neighbourhoods = {_key(n.name): n for n in db.session.scalars(select(Neighbourhood))}
    organisations = {_key(o.name): o for o in db.session.scalars(select(Organisation))}
    if not all(_key(n) in neighbourhoods for n in NEIGHBOURHOOD_SHARE):
        return None
    services = list(
        db.session.scalars(
            select(Service)
            .where(Service.capacity_status != CapacityStatus.CLOSED)
            .order_by(Service.id)
        )
    )
    if not services:
        return None
    staff: dict[int, list[User]] = {}
    for user in db.session.scalars(
        select(User).where(User.active, User.role.in_([Role.CASEWORKER, Role.COORDINATOR]))
    ):
        staff.setdefault(user.organisation_id, []).append(user)
    for people in staff.values():
        # The coordinator triages; caseworkers are the colleagues work is assigned to.
        people.sort(key=lambda u: (u.role is not Role.COORDINATOR, u.id))
    return Partnership(
        now=now,
        holidays=frozenset(db.session.scalars(select(BankHoliday.day))),
        needs=needs,
        neighbourhoods=neighbourhoods,
        organisations=organisations,
        services=services,
        service_needs={s.id: {n.slug for n in s.needs} for s in services},
        service_areas={s.id: {_key(n.name) for n in s.neighbourhoods} for s in services},
        staff=staff,
        served={o.id: {_key(n.name) for n in o.neighbourhoods} for o in organisations.values()},
    )


def _seed_staff() -> None:
    """The few extra people the story needs, with the demo password like every demo login."""
    from partnership.auth.passwords import hash_password
    from partnership.sample.demo.partners import demo_password  # partners calls this module

    organisations = {_key(o.name): o for o in db.session.scalars(select(Organisation))}
    emails = set(db.session.scalars(select(User.email)))
    missing = [s for s in STAFF if s[0] not in emails and _key(s[2]) in organisations]
    if not missing:
        return
    password_hash = hash_password(demo_password())
    for email, name, organisation, role in missing:
        db.session.add(
            User(
                email=email,
                name=name,
                organisation=organisations[_key(organisation)],
                role=role,
                password_hash=password_hash,
            )
        )
    db.session.flush()


# --- Making up the people and their stories ------------------------------------------


def _weighted(rng: random.Random, choices: dict):
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def _people(partnership: Partnership) -> list[Person]:
    """The showcase stories first, then the crowd: the same people on every run."""
    people: list[Person] = []
    keys: set[tuple[str, str, date]] = set()
    for number, showcase in enumerate(SHOWCASE):
        # Old enough for the befriending services, which start at 60.
        born_in = 1950 if showcase[2] == "Telephone befriending" else None
        rng = random.Random(f"{SEED}/showcase/{number}")  # noqa: S311
        person = _person(rng, number, keys, showcase[0], born_in)
        _showcase_plan(person, showcase, partnership)
        people.append(person)
    for number in range(len(SHOWCASE), len(SHOWCASE) + RESIDENTS):
        # Seeded, so the demo tells the same story every time; nothing secret here.
        person = _person(random.Random(f"{SEED}/resident/{number}"), number, keys)  # noqa: S311
        stories = random.Random(f"{SEED}/referrals/{number}")  # noqa: S311
        _crowd_plans(person, stories, partnership)
        people.append(person)
    return people


def _person(
    rng: random.Random,
    number: int,
    keys: set,
    neighbourhood: str | None = None,
    born_in: int | None = None,
) -> Person:
    """One invented resident; never depends on the date, so reruns find them again."""
    community = rng.choices(COMMUNITIES, weights=[c.share for c in COMMUNITIES])[0]
    neighbourhood = neighbourhood or _weighted(rng, NEIGHBOURHOOD_SHARE)
    while True:
        given, family = rng.choice(community.given), rng.choice(community.family)
        year = born_in or round(rng.triangular(1935, 2008, 1968))
        born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if (given, family, born) not in keys:
            keys.add((given, family, born))
            break
    languages = dict(community.languages)
    language = _weighted(rng, languages)
    # Roughly their age during the story; a fixed year keeps the resident the same every run.
    age = 2026 - born.year
    phone = email = None
    if rng.random() < 0.9:
        phone = (
            f"01632 960{rng.randrange(1000):03d}"
            if age > 65 and rng.random() < 0.6
            else f"07700 900{rng.randrange(1000):03d}"
        )
    if rng.random() < (0.6 if age < 60 else 0.2):
        email = f"{_ascii(given)}.{_ascii(family)}{rng.randrange(10, 99)}@email.example"
    contact = {ContactMethod.LETTER: 3, ContactMethod.IN_PERSON: 4}
    if phone:
        contact[ContactMethod.PHONE] = 10
    if email:
        contact[ContactMethod.EMAIL] = 5 if age < 60 else 2
    if language == "British Sign Language":
        contact = {ContactMethod.EMAIL: 1} if email else {ContactMethod.IN_PERSON: 1}
    district = POSTCODE_DISTRICT[neighbourhood]
    postcode = (
        f"{district} {rng.randint(1, 9)}"
        f"{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    )
    nhs_number = None
    if rng.random() < 0.9:
        # The index in the last four digits keeps every demo NHS number different.
        while nhs_number is None:
            nhs_number = _with_check_digit(f"999{rng.randrange(100):02d}{number:04d}")
    resident = Resident(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        nhs_number=nhs_number,
        postcode=postcode,
        phone=phone,
        email=email,
        preferred_contact=_weighted(rng, contact),
        language=language,
        interpreter_needed=language != "English",
        accessibility_needs=rng.choice(ACCESSIBILITY) if rng.random() < 0.15 else "",
    )
    return Person(record=resident, community=community, neighbourhood=neighbourhood)


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalpha())


def _with_check_digit(nine: str) -> str | None:
    """The NHS number with its modulus 11 check digit, or None when none is possible."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else nine + str(check)


def _age(person: Person, on: datetime) -> int:
    born = person.record.date_of_birth
    day = on.date()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _suitable(
    partnership: Partnership, person: Person, need: str, at: datetime, exclude=()
) -> list[Service]:
    """Services that meet the need in the resident's neighbourhood and take their age."""
    age = _age(person, at)
    area = _key(person.neighbourhood)
    return [
        s
        for s in partnership.services
        if need in partnership.service_needs[s.id]
        and area in partnership.service_areas[s.id]
        and (s.min_age is None or age >= s.min_age)
        and (s.max_age is None or age <= s.max_age)
        and s.id not in exclude
    ]


def _referrers(partnership: Partnership, person: Person, service: Service | None) -> dict:
    """Who could refer this resident: organisations serving their neighbourhood, not the
    service's own."""
    area = _key(person.neighbourhood)
    found = {}
    for name, weight in REFERRING.items():
        organisation = partnership.organisations.get(_key(name))
        if (
            organisation is None
            or area not in partnership.served[organisation.id]
            or (service is not None and organisation.id == service.organisation_id)
            or not partnership.staff.get(organisation.id)
        ):
            continue
        found[partnership.staff[organisation.id][0]] = weight
    return found


def _crowd_plans(person: Person, rng: random.Random, partnership: Partnership) -> None:
    """One to three referrals over the six months, the odd need with nowhere to go."""
    count = rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
    first = partnership.now - timedelta(days=rng.triangular(0, HISTORY_DAYS, 70))
    used: set[int] = set()
    referrer = None
    for number in range(count):
        around = first + timedelta(days=0 if number == 0 else rng.uniform(3, 60))
        sent_at = _sent_at(partnership, around, rng) if around < partnership.now else None
        if sent_at is None:
            break
        for _ in range(4):
            need = _weighted(rng, NEED_SHARE)
            if need not in partnership.needs:
                continue
            services = _suitable(partnership, person, need, sent_at)
            if not services:
                # A caseworker found nowhere to send them: counted as unmet need.
                if rng.random() < 0.15 and (who := _referrers(partnership, person, None)):
                    person.unmet.append((partnership.needs[need], _weighted(rng, who), sent_at))
                    break
                continue
            services = [s for s in services if s.id not in used]
            if not services:
                continue
            service = rng.choices(services, weights=[_popularity(s) for s in services])[0]
            choices = _referrers(partnership, person, service)
            if not choices:
                continue
            # Most people are referred on by the same worker each time.
            if referrer not in choices or rng.random() < 0.3:
                referrer = _weighted(rng, choices)
            urgency = Urgency.URGENT if rng.random() < 0.07 else Urgency.ROUTINE
            plan = _plan(person, partnership, rng, need, service, referrer, urgency)
            fate = _random_fate(rng, service)
            _tell(plan, fate, sent_at, partnership, rng)
            if plan.steps:
                person.plans.append(plan)
                used.add(service.id)
                if fate.forward:
                    _forward_plan(person, plan, partnership, rng, used)
            break


def _popularity(service: Service) -> float:
    """Referrers favour services with room, but full ones still get asked."""
    return {
        CapacityStatus.OPEN: 3,
        CapacityStatus.LIMITED: 2,
        CapacityStatus.WAITLIST: 2,
        CapacityStatus.FULL: 1,
    }.get(service.capacity_status, 0)


def _random_fate(rng: random.Random, service: Service) -> Fate:
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
            reason = _weighted(rng, reasons)
        forwardable = reason in (DeclineReason.NO_CAPACITY, DeclineReason.NOT_ELIGIBLE)
        return Fate("decline", reason=reason, forward=forwardable and rng.random() < 0.4)
    hold = rng.random() < 0.15
    outcome = _weighted(
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


def _plan(
    person: Person,
    partnership: Partnership,
    rng: random.Random,
    need: str,
    service: Service,
    referrer: User,
    urgency: Urgency,
) -> Plan:
    category = partnership.needs[need]
    organisation = partnership.organisations[_key(service.organisation.name)]
    covers = (
        f"Sharing contact details and this summary with {organisation.name} for help with "
        f"{category.name.lower()}, and hearing back how it went."
    )
    if _age(person, partnership.now) >= 80 and rng.random() < 0.4:
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


def _forward_plan(
    person: Person, declined: Plan, partnership: Partnership, rng: random.Random, used: set
) -> None:
    """After a decline the referrer tries another service, if there is one to try."""
    decline = next((s for s in declined.steps if s.kind == "decline"), None)
    if decline is None:
        return
    at = _later(partnership, decline.at, 2, 72, rng)
    services = _suitable(partnership, person, declined.need.slug, at, exclude=used)
    services = [s for s in services if s.organisation_id != declined.referrer.organisation_id]
    if not services:
        return
    service = rng.choice(services)
    plan = _plan(
        person, partnership, rng, declined.need.slug, service, declined.referrer, declined.urgency
    )
    plan.forwarded_from = declined
    plan.summary = f"Declined by {declined.service.name}. {declined.summary}"
    fate = _random_fate(rng, service)
    if fate.answer == "decline":
        fate = Fate("accept", outcome=Outcome.NEED_MET, start=True)
    fate.forward = False
    _tell(plan, fate, at, partnership, rng)
    if plan.steps:
        person.plans.append(plan)
        used.add(service.id)


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


def _showcase_plan(person: Person, showcase: tuple, partnership: Partnership) -> None:
    _, need, service_name, email, days_ago, urgency, fate = showcase
    rng = random.Random(f"{SEED}/showcase-story/{service_name}/{days_ago}")  # noqa: S311
    service = next((s for s in partnership.services if s.name == service_name), None)
    referrer = next(
        (u for people in partnership.staff.values() for u in people if u.email == email), None
    )
    if service is None or referrer is None or need not in partnership.needs:
        return
    sent_at = _sent_at(partnership, partnership.now - timedelta(days=days_ago), rng)
    if sent_at is None or service not in _suitable(partnership, person, need, sent_at):
        return
    plan = _plan(person, partnership, rng, need, service, referrer, urgency)
    _tell(plan, fate, sent_at, partnership, rng)
    if plan.steps:
        person.plans.append(plan)
        if fate.forward:
            _forward_plan(person, plan, partnership, rng, {service.id})


# --- Time: office hours, working days, nothing after now ------------------------------


def _working_day(partnership: Partnership, day: date) -> bool:
    return day.weekday() < 5 and day not in partnership.holidays


def _sent_at(partnership: Partnership, around: datetime, rng: random.Random) -> datetime | None:
    """A time in office hours on the working day of `around` or the one before, in the past."""
    day = around.astimezone(LONDON).date()
    for _ in range(10):
        if _working_day(partnership, day):
            local = datetime.combine(day, time(9), tzinfo=LONDON) + timedelta(
                minutes=rng.randrange(8 * 60)
            )
            moment = local.astimezone(UTC)
            if moment < partnership.now:
                return moment
        day -= timedelta(days=1)
    return None


def _later(
    partnership: Partnership, after: datetime, low_hours: float, high_hours: float, rng
) -> datetime:
    """Some hours after `after`, moved on into office hours on a working day if need be."""
    local = (after + timedelta(hours=rng.uniform(low_hours, high_hours))).astimezone(LONDON)
    if local.hour >= 17:
        local = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=LONDON)
    elif local.hour < 9:
        local = datetime.combine(local.date(), time(9), tzinfo=LONDON)
    moved = local.hour == 9 and local.minute == 0
    while not _working_day(partnership, local.date()):
        local = datetime.combine(local.date() + timedelta(days=1), time(9), tzinfo=LONDON)
        moved = True
    if moved:
        local += timedelta(minutes=rng.randrange(150))
    return local.astimezone(UTC).replace(microsecond=0)


def _tell(
    plan: Plan, fate: Fate, sent_at: datetime, partnership: Partnership, rng: random.Random
) -> None:
    """Turn a fate into dated steps, keeping only those that happen before now."""
    referrer = plan.referrer
    team = partnership.staff.get(plan.service.organisation_id) or []
    if not team:
        return
    recipient = team[0]
    urgent = plan.urgency is Urgency.URGENT
    steps = [Step(sent_at, "send", referrer)]
    at = sent_at

    def add(kind, low, high, actor, **fields):
        nonlocal at
        at = _later(partnership, at, low, high, rng)
        steps.append(Step(at, kind, actor, **fields))

    def talk():
        fits = [
            conversation[1:]
            for conversation in CONVERSATIONS
            if conversation[0] in (None, plan.need.slug)
            or (conversation[0] == "interpreter" and plan.resident.record.interpreter_needed)
        ]
        starts, said, reply = rng.choice(fits)
        first, second = (recipient, referrer) if starts == "recipient" else (referrer, recipient)
        add("message", 1, 30, first, body=said)
        if reply:
            add("message", 0.5, 20, second, body=reply)

    if fate.opened:
        add("open", 0.2, 6 if urgent else 30, recipient)
    if fate.answer == "none":
        if fate.talk:
            talk()
    elif fate.answer == "withdraw":
        add("cancel", 20, 240, referrer, details=Details(note=rng.choice(WITHDRAWN)))
    elif fate.answer == "decline":
        note = rng.choice(DECLINE_NOTES[fate.reason])
        add("decline", 1, 12 if urgent else 48, recipient, details=Details(fate.reason, note=note))
    else:
        if fate.assigned:
            # The coordinator hands it to someone, who then does the work.
            triager, recipient = recipient, rng.choice(team)
            add("assign", 0.1, 4, triager, assignee=recipient)
        add("accept", 0.5, 8 if urgent else 40, recipient)
        if fate.talk:
            talk()
        low, high = fate.days_to_complete or DAYS_TO_COMPLETE.get(plan.need.slug, (14, 60))
        if fate.cancel:
            if rng.random() < 0.5:
                note = rng.choice(CANCELLED_BY_REFERRER)
                add("cancel", 24, 24 * 20, referrer, details=Details(note=note))
            else:
                note = rng.choice(CANCELLED_BY_RECIPIENT)
                add("cancel", 24, 24 * 20, recipient, details=Details(note=note))
        elif not fate.start:
            if fate.outcome:
                add("complete", 24 * low, 24 * high, recipient, details=_completion(fate, rng))
        else:
            add("start", 24, 24 * 10, recipient)
            if fate.hold:
                add("hold", 24 * 5, 24 * 30, recipient)
                if fate.resume:
                    add("resume", 24 * 7, 24 * 30, recipient)
            if fate.outcome and (not fate.hold or fate.resume):
                add("complete", 24 * low, 24 * high, recipient, details=_completion(fate, rng))
    plan.steps = [step for step in steps if step.at < partnership.now]


def _completion(fate: Fate, rng: random.Random) -> Details:
    return Details(outcome=fate.outcome, note=rng.choice(OUTCOME_NOTES[fate.outcome]))


# --- Writing it ---------------------------------------------------------------------


def _save_residents(people: list[Person], partnership: Partnership) -> None:
    """All the residents at once, each recorded by whoever first referred them."""
    for person in people:
        first = min(
            [(p.steps[0].at, p.referrer) for p in person.plans]
            + [(at, who) for _, who, at in person.unmet],
            key=lambda pair: pair[0],
        )
        person.record.created_by_organisation_id = first[1].organisation_id
        person.record.created_at = first[0] - timedelta(minutes=5)
        person.record.neighbourhood_id = partnership.neighbourhoods[_key(person.neighbourhood)].id
    db.session.add_all(person.record for person in people)
    db.session.flush()
    for person in people:
        for need, who, at in person.unmet:
            db.session.add(
                UnmetNeed(
                    need_id=need.id,
                    neighbourhood_id=person.record.neighbourhood_id,
                    resident_id=person.record.id,
                    recorded_by_organisation_id=who.organisation_id,
                    recorded_at=at,
                )
            )
    db.session.commit()


def _lift_places(partnership: Partnership) -> None:
    """Stop counting places while the history plays; `_restore_places` puts them back."""
    for service in partnership.services:
        service.places_available = None
    db.session.flush()


def _restore_places() -> None:
    """Every service gets back the places of its latest capacity post.

    Only a service whose places are not counted but whose latest post counted them is
    touched: that happens while the history plays (or if a run was interrupted), never
    in use, since posts set both together and accepting leaves uncounted places alone.
    """
    latest = (
        select(
            CapacityUpdate.service_id,
            CapacityUpdate.places_available,
            func.row_number()
            .over(
                partition_by=CapacityUpdate.service_id,
                order_by=(CapacityUpdate.posted_at.desc(), CapacityUpdate.id.desc()),
            )
            .label("newest"),
        )
    ).subquery()
    rows = db.session.execute(
        select(latest.c.service_id, latest.c.places_available)
        .join(Service, Service.id == latest.c.service_id)
        .where(
            latest.c.newest == 1,
            latest.c.places_available.is_not(None),
            Service.places_available.is_(None),
        )
    ).all()
    for service_id, places in rows:
        db.session.execute(
            update(Service)
            .where(Service.id == service_id)
            .values(places_available=places)
            .execution_options(synchronize_session="fetch")
        )


ACTIONS = {
    "accept": Action.ACCEPT,
    "decline": Action.DECLINE,
    "start": Action.START,
    "hold": Action.HOLD,
    "resume": Action.RESUME,
    "complete": Action.COMPLETE,
    "cancel": Action.CANCEL,
}


def _play(people: list[Person], partnership: Partnership, started: datetime) -> int:
    """Every step of every story, in time order, through the rules; returns referrals sent."""
    plans = [plan for person in people for plan in person.plans]
    steps = sorted(
        (step.at, number, index, plan, step)
        for number, plan in enumerate(plans)
        for index, step in enumerate(plan.steps)
    )
    for at, _, _, plan, step in steps:
        if step.kind == "send":
            _send(plan, step)
            continue
        referral = plan.referral
        if step.kind == "open":
            mark_opened(referral, step.actor)
            plan.stamps["opened_at"] = at
            db.session.add(
                AccessLog(
                    user_id=step.actor.id,
                    resident_id=referral.resident_id,
                    referral_id=referral.id,
                    action=AccessAction.VIEW,
                    what="referral page",
                    at=at,
                )
            )
        elif step.kind == "assign":
            assign(referral, step.actor, step.assignee)
        elif step.kind == "message":
            post_message(referral, step.actor, step.body)
        else:
            transition(referral, step.actor, ACTIONS[step.kind], step.details)
            if stamp := STAMPS.get(referral.status):
                plan.stamps[stamp] = at
        if step.kind != "message":
            plan.stamps["updated_at"] = at
    sent = [plan for plan in plans if plan.referral is not None]
    _backdate(sent, started)
    # Backdating moved each referral to the day its story made it on.
    daily_summary.recount()
    return len(sent)


def _send(plan: Plan, step: Step) -> None:
    """Send (or forward) through the rules, which commit."""
    if plan.forwarded_from is not None:
        referral, _ = forward(
            plan.forwarded_from.referral, step.actor, service=plan.service, summary=plan.summary
        )
    else:
        referral, _ = send_referral(
            step.actor,
            resident=plan.resident.record,
            need=plan.need,
            service=plan.service,
            urgency=plan.urgency,
            summary=plan.summary,
            consent=plan.consent,
        )
    plan.referral = referral
    plan.stamps.update(
        reference=f"REF-{step.at.year}-{referral.id:06d}",
        created_at=step.at,
        sent_at=step.at,
        updated_at=step.at,
    )


def _backdate(plans: list[Plan], started: datetime) -> None:
    """Date every row the rules wrote as the story says, in a few bulk updates.

    Each step wrote one timeline event, so a referral's events in id order are its steps
    in order. Sending and messaging also wrote one access-log row each; the rows dated
    before `started` are the ones this seed dated itself.
    """
    db.session.flush()
    by_id = {plan.referral.id: plan for plan in plans}
    ids = list(by_id)

    def rows(*columns, where=()):
        found: dict[int, list[int]] = {}
        for row_id, referral_id in db.session.execute(
            select(*columns).where(columns[1].in_(ids), *where).order_by(columns[0])
        ):
            found.setdefault(referral_id, []).append(row_id)
        return found

    def dated(found: dict[int, list[int]], kinds: set[str] | None, column: str) -> list[dict]:
        changes = []
        for referral_id, row_ids in found.items():
            steps = [s for s in by_id[referral_id].steps if kinds is None or s.kind in kinds]
            changes += [
                {"id": row_id, column: step.at} for row_id, step in zip(row_ids, steps, strict=True)
            ]
        return changes

    events = rows(Event.id, Event.referral_id)
    logs = rows(AccessLog.id, AccessLog.referral_id, where=[AccessLog.at >= started])
    messages = rows(Message.id, Message.referral_id)
    consents = rows(Consent.id, Consent.referral_id)
    for model, changes in (
        (Event, dated(events, None, "created_at")),
        (AccessLog, dated(logs, {"send", "message"}, "at")),
        (Message, dated(messages, {"message"}, "created_at")),
        (Consent, dated(consents, {"send"}, "recorded_at")),
        (Referral, [{"id": plan.referral.id, **plan.stamps} for plan in plans]),
    ):
        if changes:
            db.session.execute(update(model), changes)
