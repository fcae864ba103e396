"""The demo partnership's structure: its neighbourhoods, member organisations and the demo
logins, one per role printed at the start and the others its stories need.

Every name here is invented. Names are matched whatever their case, so an administrator
who corrected one keeps their record.
"""

import os
from dataclasses import dataclass

from sqlalchemy import select

from partnership.auth import two_step
from partnership.auth.passwords import hash_password, verify_password
from partnership.auth.sign_in import clear_lockout, set_password
from partnership.extensions import db
from partnership.models import Neighbourhood, Organisation, Role, Sector, User

NEIGHBOURHOODS = [
    ("Ashbrook", "E05900001"),
    ("Calder Bank", "E05900002"),
    ("Hollins Green", "E05900003"),
    ("Kirkby Moor", "E05900004"),
    ("Millford", "E05900005"),
    ("Riverside", "E05900006"),
]

ALL = [name for name, _ in NEIGHBOURHOODS]

# name, sector, ODS code, charity number, neighbourhoods served
ORGANISATIONS = [
    ("Ashbrook Medical Practice", Sector.NHS, "Y90001", None, ["Ashbrook", "Calder Bank"]),
    ("Riverside Health Centre", Sector.NHS, "Y90002", None, ["Riverside", "Millford"]),
    ("North Valley Community Health NHS Trust", Sector.NHS, "RZZ", None, ALL),
    ("North Valley City Council Adult Social Care", Sector.COUNCIL, None, None, ALL),
    ("North Valley Housing Options", Sector.COUNCIL, None, None, ALL),
    (
        "Calder Bank Food Bank",
        Sector.VCSE,
        None,
        "9900001",
        ["Calder Bank", "Ashbrook", "Hollins Green"],
    ),
    (
        "Millford Money Advice",
        Sector.VCSE,
        None,
        "9900002",
        ["Millford", "Riverside", "Kirkby Moor"],
    ),
    ("Kirkby Moor Community Hub", Sector.VCSE, None, "9900003", ["Kirkby Moor", "Hollins Green"]),
    ("Hollins Green Befriending Service", Sector.VCSE, None, "9900004", ALL),
    ("Valley Minds Wellbeing", Sector.VCSE, None, "9900005", ALL),
    (
        "Riverside Carers Network",
        Sector.VCSE,
        None,
        "9900006",
        ["Riverside", "Millford", "Ashbrook"],
    ),
    ("North Valley Credit Union", Sector.OTHER, None, None, ALL),
]


@dataclass
class DemoUser:
    email: str
    name: str
    organisation: str
    role: Role
    neighbourhoods: tuple[str, ...] = ()
    shown_at_start: bool = False


DEMO_USERS = [
    DemoUser(
        "caseworker@demo.example",
        "Priya Shah",
        "Ashbrook Medical Practice",
        Role.CASEWORKER,
        shown_at_start=True,
    ),
    DemoUser(
        "coordinator@demo.example",
        "Tom Whitaker",
        "Calder Bank Food Bank",
        Role.COORDINATOR,
        shown_at_start=True,
    ),
    DemoUser(
        "lead@demo.example",
        "Grace Okafor",
        "North Valley City Council Adult Social Care",
        Role.LEAD,
        ("Ashbrook", "Calder Bank"),
        shown_at_start=True,
    ),
    DemoUser(
        "admin@demo.example",
        "Sam Lindqvist",
        "North Valley City Council Adult Social Care",
        Role.ADMIN,
        shown_at_start=True,
    ),
    DemoUser(
        "social.worker@demo.example",
        "Daniel Hughes",
        "North Valley City Council Adult Social Care",
        Role.CASEWORKER,
    ),
    DemoUser(
        "housing@demo.example", "Aisha Rahman", "North Valley Housing Options", Role.CASEWORKER
    ),
    DemoUser("money@demo.example", "Ewan Fraser", "Millford Money Advice", Role.COORDINATOR),
    DemoUser("hub@demo.example", "Maria Kowalska", "Kirkby Moor Community Hub", Role.COORDINATOR),
    DemoUser(
        "befriending@demo.example",
        "Joy Adeyemi",
        "Hollins Green Befriending Service",
        Role.COORDINATOR,
    ),
    DemoUser("minds@demo.example", "Owen Price", "Valley Minds Wellbeing", Role.COORDINATOR),
    DemoUser("carers@demo.example", "Hannah Doyle", "Riverside Carers Network", Role.COORDINATOR),
    DemoUser(
        "riverside.gp@demo.example", "Kwame Mensah", "Riverside Health Centre", Role.CASEWORKER
    ),
    DemoUser(
        "pcn.lead@demo.example",
        "Rachel Bell",
        "Riverside Health Centre",
        Role.LEAD,
        ("Riverside", "Millford", "Kirkby Moor", "Hollins Green"),
    ),
    # People who receive referrals where no other demo login does, and a colleague at the
    # food bank for its coordinator to assign work to.
    DemoUser("foodbank@demo.example", "Leanne Firth", "Calder Bank Food Bank", Role.CASEWORKER),
    DemoUser(
        "community.health@demo.example",
        "Helen Sykes",
        "North Valley Community Health NHS Trust",
        Role.COORDINATOR,
    ),
    DemoUser(
        "creditunion@demo.example", "Gareth Lloyd", "North Valley Credit Union", Role.COORDINATOR
    ),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "partnership-demo")


def seed_partners() -> None:
    """Add the neighbourhoods, organisations and demo logins that are missing, and put the
    demo logins right again (role, password, lockout); flushed, not committed."""
    neighbourhoods = _seed_neighbourhoods()
    organisations = _seed_organisations(neighbourhoods)
    _seed_users(organisations, neighbourhoods)
    db.session.flush()


def name_key(name: str) -> str:
    """Names are unique whatever their case: an admin who fixed a capital keeps their record."""
    return name.strip().lower()


def _seed_neighbourhoods() -> dict[str, Neighbourhood]:
    existing = {name_key(n.name): n for n in db.session.scalars(select(Neighbourhood))}
    codes = {n.ons_code for n in existing.values()}
    for name, ons_code in NEIGHBOURHOODS:
        if name_key(name) not in existing:
            # An administrator may have given the code to a neighbourhood of their own.
            code = None if ons_code in codes else ons_code
            existing[name_key(name)] = Neighbourhood(name=name, ons_code=code)
            db.session.add(existing[name_key(name)])
    return existing


def _seed_organisations(neighbourhoods: dict[str, Neighbourhood]) -> dict[str, Organisation]:
    existing = {name_key(o.name): o for o in db.session.scalars(select(Organisation))}
    ods_codes = {o.ods_code for o in existing.values()}
    charity_numbers = {o.charity_number for o in existing.values()}
    for name, sector, ods_code, charity_number, served in ORGANISATIONS:
        if name_key(name) not in existing:
            existing[name_key(name)] = Organisation(
                name=name,
                sector=sector,
                ods_code=None if ods_code in ods_codes else ods_code,
                charity_number=None if charity_number in charity_numbers else charity_number,
                neighbourhoods=[neighbourhoods[name_key(n)] for n in served],
            )
            db.session.add(existing[name_key(name)])
    return existing


def _seed_users(organisations: dict[str, Organisation], neighbourhoods: dict[str, Neighbourhood]):
    password = demo_password()
    existing = {u.email: u for u in db.session.scalars(select(User))}
    for demo in DEMO_USERS:
        user = existing.get(demo.email)
        if user is None:
            db.session.add(
                User(
                    email=demo.email,
                    name=demo.name,
                    organisation=organisations[name_key(demo.organisation)],
                    role=demo.role,
                    password_hash=hash_password(password),
                    neighbourhoods=[neighbourhoods[name_key(n)] for n in demo.neighbourhoods],
                )
            )
            continue
        # Whatever happened to the demo logins since, the printed ones work again.
        if user.role is not demo.role:
            user.role = demo.role
            user.neighbourhoods = [neighbourhoods[name_key(n)] for n in demo.neighbourhoods]
        if (
            not user.active
            or user.must_change_password
            or not verify_password(user.password_hash, password)
        ):
            user.active = True
            set_password(user, password, temporary=False)
        if user.two_step_secret is not None:  # the printed logins need a password alone
            two_step.turn_off(user)
        clear_lockout(user.email)
