"""The demo residents: invented people of a northern English city, each drawn from a
generator seeded by their number, so every run invents the same people.

NHS numbers are in the 999 range that NHS England keeps for testing, postcodes use the area
NV that no real postcode has, phone numbers are in Ofcom's range for drama in Leeds
(0113 496 0xxx: its drama mobile and 01632 ranges are not valid numbers, so a resident's
record could not be saved with one) and email addresses end in .example.
"""

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from partnership.models import ContactMethod, NeedCategory, Resident, User

# Changing this seed changes every demo resident: a second run would add them all again.
SEED = 2026


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


@dataclass
class Person:
    """A demo resident before it is saved, with what happened to them."""

    record: Resident
    community: Community
    neighbourhood: str
    # What happens to them, as partnership.sample.demo.plans.Plan.
    plans: list = field(default_factory=list)
    unmet: list[tuple[NeedCategory, User, datetime]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, date]:
        return resident_key(self.record)


def resident_key(resident: Resident) -> tuple[str, str, date]:
    return (resident.given_name, resident.family_name, resident.date_of_birth)


def weighted(rng: random.Random, choices: dict):
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def invent_person(
    rng: random.Random,
    number: int,
    keys: set,
    neighbourhood: str | None = None,
    born_in: int | None = None,
) -> Person:
    """One invented resident; never depends on the date, so reruns find them again."""
    community = rng.choices(COMMUNITIES, weights=[c.share for c in COMMUNITIES])[0]
    neighbourhood = neighbourhood or weighted(rng, NEIGHBOURHOOD_SHARE)
    given, family, born = _name_and_birth(rng, community, keys, born_in)
    language = weighted(rng, dict(community.languages))
    phone, email, contact = _contact(rng, given, family, born, language)
    postcode = _postcode(rng, neighbourhood)
    nhs_number = _nhs_number(rng, number)
    resident = Resident(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        nhs_number=nhs_number,
        postcode=postcode,
        phone=phone,
        email=email,
        preferred_contact=weighted(rng, contact),
        language=language,
        interpreter_needed=language != "English",
        accessibility_needs=rng.choice(ACCESSIBILITY) if rng.random() < 0.15 else "",
    )
    return Person(record=resident, community=community, neighbourhood=neighbourhood)


def _name_and_birth(
    rng: random.Random, community: Community, keys: set, born_in: int | None
) -> tuple[str, str, date]:
    """A name from the community and a date of birth that no other demo resident has."""
    while True:
        given, family = rng.choice(community.given), rng.choice(community.family)
        year = born_in or round(rng.triangular(1935, 2008, 1968))
        born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if (given, family, born) not in keys:
            keys.add((given, family, born))
            return given, family, born


def _contact(
    rng: random.Random, given: str, family: str, born: date, language: str
) -> tuple[str | None, str | None, dict[ContactMethod, int]]:
    """Phone, email, and how likely each way of contact is to be the one they prefer."""
    # Roughly their age during the story; a fixed year keeps the resident the same every run.
    age = 2026 - born.year
    phone = email = None
    if rng.random() < 0.9:
        if age > 65:
            rng.random()  # once chose landline or mobile: kept, so every later draw is the same
        phone = f"0113 496 0{rng.randrange(1000):03d}"
    if rng.random() < (0.6 if age < 60 else 0.2):
        email = f"{_ascii(given)}.{_ascii(family)}{rng.randrange(10, 99)}@email.example"
    contact = {ContactMethod.LETTER: 3, ContactMethod.IN_PERSON: 4}
    if phone:
        contact[ContactMethod.PHONE] = 10
    if email:
        contact[ContactMethod.EMAIL] = 5 if age < 60 else 2
    if language == "British Sign Language":
        contact = {ContactMethod.EMAIL: 1} if email else {ContactMethod.IN_PERSON: 1}
    return phone, email, contact


def _postcode(rng: random.Random, neighbourhood: str) -> str:
    district = POSTCODE_DISTRICT[neighbourhood]
    return (
        f"{district} {rng.randint(1, 9)}"
        f"{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    )


def _nhs_number(rng: random.Random, number: int) -> str | None:
    """Nine in ten have one; the index in the last four digits keeps every one different."""
    nhs_number = None
    if rng.random() < 0.9:
        while nhs_number is None:
            nhs_number = _with_check_digit(f"999{rng.randrange(100):02d}{number:04d}")
    return nhs_number


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalpha())


def _with_check_digit(nine: str) -> str | None:
    """The NHS number with its modulus 11 check digit, or None when none is possible."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else nine + str(check)


def age_on(person: Person, on: datetime) -> int:
    born = person.record.date_of_birth
    day = on.date()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
