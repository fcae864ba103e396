"""Reference data every partnership starts with: the needs taxonomy and bank holidays."""

from datetime import date

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import BankHoliday, NeedCategory

NEEDS = [
    ("food", "Food"),
    ("housing", "Housing"),
    ("money-and-debt", "Money and debt"),
    ("mental-wellbeing", "Mental wellbeing"),
    ("loneliness-and-isolation", "Loneliness and isolation"),
    ("physical-activity", "Physical activity"),
    ("employment-and-skills", "Employment and skills"),
    ("carers", "Carers"),
    ("digital-inclusion", "Digital inclusion"),
    ("domestic-abuse", "Domestic abuse"),
    ("substance-use", "Substance use"),
    ("children-and-families", "Children and families"),
]

# England and Wales, as published by GOV.UK; administrators keep the list current.
BANK_HOLIDAYS = [
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 5, 4), "Early May bank holiday"),
    (date(2026, 5, 25), "Spring bank holiday"),
    (date(2026, 8, 31), "Summer bank holiday"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "Boxing Day (substitute day)"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
    (date(2027, 5, 3), "Early May bank holiday"),
    (date(2027, 5, 31), "Spring bank holiday"),
    (date(2027, 8, 30), "Summer bank holiday"),
    (date(2027, 12, 27), "Christmas Day (substitute day)"),
    (date(2027, 12, 28), "Boxing Day (substitute day)"),
]


def seed_reference_data() -> None:
    """Add whatever of the reference data is missing; never changes what admins edited."""
    existing = set(db.session.scalars(select(NeedCategory.slug)))
    for slug, name in NEEDS:
        if slug not in existing:
            db.session.add(NeedCategory(slug=slug, name=name))
    days = set(db.session.scalars(select(BankHoliday.day)))
    for day, name in BANK_HOLIDAYS:
        if day not in days:
            db.session.add(BankHoliday(day=day, name=name))
    db.session.flush()
