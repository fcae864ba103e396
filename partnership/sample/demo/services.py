"""The demo partnership's services, with capacity histories over the last three months.

Every name, number and address here is invented: phone numbers are in Ofcom's range for
drama (0113 496 0000 to 0999), email addresses and websites end in .example.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from partnership import clock
from partnership.clock import LONDON
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    NeedCategory,
    Organisation,
    Role,
    Service,
    User,
    WaitBand,
)
from partnership.sample.demo.partners import name_key
from partnership.services.capacity import post_capacity

HISTORY_DAYS = 90

OPEN, LIMITED, WAITLIST, FULL, CLOSED = (
    CapacityStatus.OPEN,
    CapacityStatus.LIMITED,
    CapacityStatus.WAITLIST,
    CapacityStatus.FULL,
    CapacityStatus.CLOSED,
)

NOTES = {
    OPEN: ["", "", "Taking new referrals", "New volunteers started this week"],
    LIMITED: ["Urgent referrals only this week", "Short of volunteers", "Fewer sessions"],
    WAITLIST: ["", "Waiting list reopened", "Assessments booked in order of referral"],
    FULL: ["Full until next Monday", "No places until the new month", "Full this week"],
    CLOSED: ["Closed over the bank holiday", "Closed for staff training"],
}


@dataclass(frozen=True)
class DemoService:
    organisation: str
    name: str
    needs: tuple[str, ...]
    neighbourhoods: tuple[str, ...]
    description: str
    status: CapacityStatus
    # None: not limited by places.
    places: int | None = None
    wait_band: WaitBand | None = None
    note: str = ""
    min_age: int | None = None
    max_age: int | None = None
    eligibility: str = ""
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    how_to_refer: str = ""
    posts: int = 6
    # How long ago the latest post was: a week or more shows as out of date.
    last_posted_days_ago: int = 1


DEMO_SERVICES = [
    DemoService(
        "Calder Bank Food Bank",
        "Food parcels",
        ("food",),
        ("Calder Bank", "Ashbrook"),
        "Three days' emergency food for a household, collected from the Calder Bank Methodist "
        "Church hall or delivered to people who cannot get there.",
        OPEN,
        places=14,
        eligibility="Anyone in crisis who cannot afford food. One referral covers up to three "
        "parcels in six months.",
        email="referrals@calderbankfoodbank.example",
        phone="0113 496 0101",
        website="https://www.calderbankfoodbank.example",
        how_to_refer="Say how many adults and children are in the household and any dietary "
        "needs. Tell us if the resident needs a delivery.",
        posts=10,
        last_posted_days_ago=0,
    ),
    DemoService(
        "Calder Bank Food Bank",
        "Community pantry",
        ("food", "money-and-debt"),
        ("Calder Bank", "Hollins Green"),
        "A weekly shop for a £5 membership: fresh fruit and vegetables, tins and toiletries "
        "worth around £20.",
        LIMITED,
        places=4,
        note="Thursday sessions only this month",
        eligibility="Residents on a low income. Members join for three months at a time.",
        email="pantry@calderbankfoodbank.example",
        phone="0113 496 0102",
        posts=7,
        last_posted_days_ago=2,
    ),
    DemoService(
        "Calder Bank Food Bank",
        "Cook and eat sessions",
        ("food", "loneliness-and-isolation"),
        ("Hollins Green",),
        "Six weekly sessions cooking cheap, healthy meals together, then eating them together.",
        CLOSED,
        places=0,
        note="Closed until the new kitchen is fitted",
        min_age=18,
        email="cookandeat@calderbankfoodbank.example",
        posts=4,
        last_posted_days_ago=12,
    ),
    DemoService(
        "Ashbrook Medical Practice",
        "Social prescribing link worker",
        ("loneliness-and-isolation", "mental-wellbeing", "money-and-debt"),
        ("Ashbrook", "Calder Bank"),
        "Up to six appointments with a link worker who helps patients find community support "
        "for what matters to them.",
        LIMITED,
        places=3,
        min_age=18,
        eligibility="Patients registered with the practice.",
        phone="0113 496 0201",
        how_to_refer="Any member of the practice team can refer. Say what the patient would "
        "like help with.",
        posts=8,
    ),
    DemoService(
        "Ashbrook Medical Practice",
        "Health coaching",
        ("physical-activity", "mental-wellbeing"),
        ("Ashbrook",),
        "Telephone coaching to help people with long-term conditions set and keep their own goals.",
        WAITLIST,
        wait_band=WaitBand.ONE_TO_4_WEEKS,
        min_age=18,
        eligibility="Patients with a long-term condition such as diabetes or COPD.",
        phone="0113 496 0202",
        posts=5,
        last_posted_days_ago=3,
    ),
    DemoService(
        "Riverside Health Centre",
        "Riverside walking group",
        ("physical-activity", "loneliness-and-isolation"),
        ("Riverside", "Millford"),
        "Gentle one-hour walks along the river every Tuesday and Friday morning, led by "
        "trained volunteers.",
        OPEN,
        phone="0113 496 0301",
        how_to_refer="No referral needed: residents can just turn up. Referring lets the walk "
        "leader know to look out for them.",
        posts=3,
        last_posted_days_ago=9,
    ),
    DemoService(
        "Riverside Health Centre",
        "Carers' health checks",
        ("carers",),
        ("Riverside", "Millford"),
        "A half-hour health check with a practice nurse, at a time that fits around caring.",
        OPEN,
        places=12,
        min_age=16,
        eligibility="Unpaid carers registered with the practice.",
        phone="0113 496 0302",
        posts=5,
    ),
    DemoService(
        "North Valley Community Health NHS Trust",
        "Talking therapies",
        ("mental-wellbeing",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "Guided self-help, group courses and one-to-one therapy for anxiety and depression.",
        WAITLIST,
        wait_band=WaitBand.ONE_TO_3_MONTHS,
        note="Group courses have shorter waits",
        min_age=16,
        email="talking.therapies@northvalleyhealth.example",
        phone="0113 496 0401",
        website="https://www.northvalleyhealth.example/talking-therapies",
        how_to_refer="Residents can also refer themselves on the website.",
        posts=6,
    ),
    DemoService(
        "North Valley Community Health NHS Trust",
        "Drug and alcohol service",
        ("substance-use",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "Assessment, treatment and recovery support for anyone worried about their drinking or "
        "drug use.",
        OPEN,
        min_age=18,
        phone="0113 496 0402",
        how_to_refer="Say whether the resident would prefer a home visit or a clinic.",
        posts=4,
    ),
    DemoService(
        "North Valley City Council Adult Social Care",
        "Carer's assessment",
        ("carers",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "An assessment of what support an unpaid carer needs, and help to arrange it.",
        WAITLIST,
        wait_band=WaitBand.UNDER_1_WEEK,
        min_age=18,
        phone="0113 496 0501",
        posts=6,
    ),
    DemoService(
        "North Valley City Council Adult Social Care",
        "Digital skills at the library",
        ("digital-inclusion", "employment-and-skills"),
        ("Ashbrook", "Hollins Green", "Millford"),
        "One-to-one help with phones, tablets and getting online, with devices to borrow.",
        OPEN,
        places=8,
        phone="0113 496 0502",
        posts=7,
    ),
    DemoService(
        "North Valley Housing Options",
        "Homelessness prevention",
        ("housing",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "Advice and practical help for anyone at risk of losing their home in the next eight "
        "weeks.",
        OPEN,
        min_age=16,
        phone="0113 496 0601",
        email="housing.options@northvalley.example",
        how_to_refer="Refer as soon as the resident has a notice to leave: do not wait for the "
        "date.",
        posts=3,
    ),
    DemoService(
        "North Valley Housing Options",
        "Supported lodgings for young people",
        ("housing", "children-and-families"),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "A room in a host's home with support to learn to live independently.",
        FULL,
        places=0,
        note="No rooms until two placements end next month",
        min_age=16,
        max_age=25,
        phone="0113 496 0602",
        posts=6,
    ),
    DemoService(
        "Millford Money Advice",
        "Debt advice",
        ("money-and-debt",),
        ("Millford", "Riverside", "Kirkby Moor"),
        "Free, confidential advice on priority debts, payment plans and debt solutions.",
        WAITLIST,
        wait_band=WaitBand.ONE_TO_4_WEEKS,
        min_age=18,
        email="advice@millfordmoney.example",
        phone="0113 496 0701",
        how_to_refer="Tell us about any court papers or bailiff letters: we see those first.",
        posts=9,
    ),
    DemoService(
        "Millford Money Advice",
        "Benefits checks",
        ("money-and-debt",),
        ("Millford", "Riverside", "Kirkby Moor"),
        "A full check of what the household could claim, and help to claim it.",
        OPEN,
        places=6,
        email="advice@millfordmoney.example",
        phone="0113 496 0702",
        posts=6,
    ),
    DemoService(
        "Millford Money Advice",
        "Energy bill support",
        ("money-and-debt",),
        ("Millford", "Riverside"),
        "Help with energy debts, grants and warm home discounts.",
        FULL,
        places=0,
        note="Full until the next grant round opens",
        phone="0113 496 0703",
        posts=5,
    ),
    DemoService(
        "Kirkby Moor Community Hub",
        "Warm space and lunch club",
        ("loneliness-and-isolation", "food"),
        ("Kirkby Moor", "Hollins Green"),
        "A warm room, hot drinks and a free lunch every weekday, with company.",
        OPEN,
        phone="0113 496 0801",
        how_to_refer="No referral needed, but referring means someone will look out for the "
        "resident on their first visit.",
        posts=4,
    ),
    DemoService(
        "Kirkby Moor Community Hub",
        "Job club",
        ("employment-and-skills", "digital-inclusion"),
        ("Kirkby Moor",),
        "Help with CVs, applications and interviews, with computers to use.",
        OPEN,
        places=10,
        min_age=16,
        phone="0113 496 0802",
        posts=5,
    ),
    DemoService(
        "Kirkby Moor Community Hub",
        "Youth club",
        ("children-and-families",),
        ("Kirkby Moor", "Hollins Green"),
        "Tuesday and Thursday evenings: sport, games, and a youth worker to talk to.",
        LIMITED,
        places=2,
        min_age=11,
        max_age=17,
        phone="0113 496 0803",
        posts=6,
    ),
    DemoService(
        "Hollins Green Befriending Service",
        "Telephone befriending",
        ("loneliness-and-isolation",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "A weekly friendly phone call from the same trained volunteer.",
        WAITLIST,
        places=0,
        wait_band=WaitBand.ONE_TO_4_WEEKS,
        min_age=60,
        email="hello@hollinsgreenbefriending.example",
        phone="0113 496 0901",
        posts=8,
    ),
    DemoService(
        "Hollins Green Befriending Service",
        "Home visiting befriending",
        ("loneliness-and-isolation",),
        ("Hollins Green", "Kirkby Moor"),
        "A volunteer visits every week for a cup of tea and a chat, or to go out together.",
        FULL,
        places=0,
        note="Recruiting volunteers: waiting list opens next month",
        min_age=60,
        phone="0113 496 0902",
        posts=5,
        last_posted_days_ago=8,
    ),
    DemoService(
        "Valley Minds Wellbeing",
        "Wellbeing groups",
        ("mental-wellbeing", "loneliness-and-isolation"),
        ("Ashbrook", "Calder Bank", "Millford", "Riverside"),
        "Eight-week peer support groups for anxiety, low mood and stress.",
        OPEN,
        places=8,
        min_age=18,
        email="groups@valleyminds.example",
        phone="0113 496 0951",
        posts=7,
    ),
    DemoService(
        "Valley Minds Wellbeing",
        "Young people's counselling",
        ("mental-wellbeing",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "Up to twelve sessions of counselling, in person or online.",
        WAITLIST,
        wait_band=WaitBand.OVER_3_MONTHS,
        note="Urgent cases are seen sooner",
        min_age=16,
        max_age=25,
        email="counselling@valleyminds.example",
        phone="0113 496 0952",
        posts=6,
    ),
    DemoService(
        "Riverside Carers Network",
        "Carers' support groups",
        ("carers", "loneliness-and-isolation"),
        ("Riverside", "Millford", "Ashbrook"),
        "Monthly groups where carers meet others in the same position, with a sitting service "
        "so they can come.",
        OPEN,
        phone="0113 496 0971",
        posts=3,
    ),
    DemoService(
        "Riverside Carers Network",
        "Young carers project",
        ("carers", "children-and-families"),
        ("Riverside", "Millford"),
        "Trips, activities and someone to talk to for children who look after someone at home.",
        LIMITED,
        places=1,
        min_age=8,
        max_age=17,
        phone="0113 496 0972",
        posts=7,
    ),
    DemoService(
        "Riverside Carers Network",
        "Carers' short breaks",
        ("carers",),
        ("Riverside", "Millford", "Ashbrook"),
        "A few hours' break for a carer while a trained volunteer sits with the person they "
        "care for.",
        CLOSED,
        note="Paused while we recruit volunteers",
        phone="0113 496 0973",
        posts=5,
        last_posted_days_ago=20,
    ),
    DemoService(
        "North Valley Credit Union",
        "Affordable loans",
        ("money-and-debt",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "Small loans at a fair rate, repaid weekly or monthly, instead of doorstep lenders.",
        OPEN,
        min_age=18,
        website="https://www.northvalleycu.example",
        phone="0113 496 0991",
        posts=3,
    ),
    DemoService(
        "North Valley Credit Union",
        "Jam jar savings accounts",
        ("money-and-debt",),
        ("Ashbrook", "Calder Bank", "Hollins Green", "Kirkby Moor", "Millford", "Riverside"),
        "A budgeting account that keeps money for rent and bills apart from spending money.",
        OPEN,
        places=25,
        min_age=16,
        website="https://www.northvalleycu.example",
        posts=4,
    ),
]


def seed_demo_services() -> int:
    """Add the demo services that are missing, each with its capacity history.

    A service already there is left alone, whatever its coordinators have posted since.
    Returns how many services were added; the caller commits.
    """
    organisations = {name_key(o.name): o for o in db.session.scalars(select(Organisation))}
    needs = {n.slug: n for n in db.session.scalars(select(NeedCategory))}
    existing = set(
        db.session.execute(select(Service.organisation_id, func.lower(Service.name))).all()
    )
    now = clock.now()
    added = 0
    for demo in DEMO_SERVICES:
        organisation = organisations.get(name_key(demo.organisation))
        if organisation is None or (organisation.id, name_key(demo.name)) in existing:
            continue
        served = {name_key(n.name): n for n in organisation.neighbourhoods}
        service = Service(
            organisation=organisation,
            name=demo.name,
            description=demo.description,
            needs=[needs[slug] for slug in demo.needs if slug in needs],
            neighbourhoods=[
                served[name_key(n)] for n in demo.neighbourhoods if name_key(n) in served
            ],
            min_age=demo.min_age,
            max_age=demo.max_age,
            eligibility_notes=demo.eligibility,
            contact_email=demo.email,
            contact_phone=demo.phone,
            website=demo.website,
            referral_instructions=demo.how_to_refer,
        )
        db.session.add(service)
        _seed_history(service, demo, _coordinator(organisation), now)
        added += 1
    db.session.flush()
    return added


def _coordinator(organisation: Organisation) -> User | None:
    """Who posts the organisation's capacity: its first coordinator, if it has one."""
    return db.session.scalar(
        select(User)
        .where(User.organisation_id == organisation.id, User.role == Role.COORDINATOR)
        .order_by(User.id)
        .limit(1)
    )


def _seed_history(service: Service, demo: DemoService, poster: User | None, now: datetime):
    """`demo.posts` capacity posts over the last three months, the latest as `demo` says."""
    # Seeded by name, so the demo tells the same story every time; nothing secret here.
    rng = random.Random(f"{demo.organisation}/{demo.name}")  # noqa: S311
    latest = _working_hours(now - timedelta(days=demo.last_posted_days_ago), rng, now)
    earlier = sorted(
        _working_hours(now - timedelta(days=rng.uniform(demo.last_posted_days_ago + 1, 90)), rng)
        for _ in range(demo.posts - 1)
    )
    service.created_at = (earlier[0] if earlier else latest) - timedelta(days=rng.randint(7, 60))
    for at in earlier:
        status, places, band = _earlier_state(demo, rng)
        post_capacity(service, poster, status, places, band, rng.choice(NOTES[status]), at=at)
    post_capacity(service, poster, demo.status, demo.places, demo.wait_band, demo.note, at=latest)


def _working_hours(day: datetime, rng: random.Random, now: datetime | None = None) -> datetime:
    """A time between 9am and 5pm in the partnership's time zone on `day`, never in the future."""
    local = day.astimezone(LONDON).replace(
        hour=rng.randint(9, 16), minute=rng.randint(0, 59), second=0, microsecond=0
    )
    moment = local.astimezone(UTC)
    if now is not None and moment > now:
        moment = now - timedelta(minutes=rng.randint(5, 90))
    return moment


def _earlier_state(
    demo: DemoService, rng: random.Random
) -> tuple[CapacityStatus, int | None, WaitBand | None]:
    """A plausible earlier capacity for the service: place-limited services stay so."""
    counts_places = demo.places is not None
    status = rng.choice(
        [OPEN, OPEN, LIMITED, WAITLIST, FULL]
        if counts_places
        else [OPEN, LIMITED, WAITLIST, CLOSED]
    )
    band = rng.choice(list(WaitBand)) if status is WAITLIST else None
    if not counts_places:
        return status, None, band
    places = {
        OPEN: rng.randint(4, 15),
        LIMITED: rng.randint(1, 3),
        WAITLIST: 0,
        FULL: 0,
    }[status]
    return status, places, band
