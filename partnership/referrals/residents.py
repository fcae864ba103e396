"""Residents: NHS number checks and finding possible duplicates among those a user may see."""

import re
from datetime import date

from sqlalchemy import String, and_, func, or_, select

from partnership.access import visible_residents_clause
from partnership.extensions import db
from partnership.inputs import containing, whole_number
from partnership.models import Resident, User


def clean_nhs_number(value: str | None) -> str | None:
    """Digits only ("943 476 5919" -> "9434765919"), or None when blank."""
    digits = re.sub(r"[\s-]", "", value or "")
    return digits or None


def valid_nhs_number(number: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if not re.fullmatch(r"\d{10}", number):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(number[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def possible_duplicates(
    user: User,
    *,
    nhs_number: str | None,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    limit: int = 5,
) -> list[Resident]:
    """Residents the user may see with the same NHS number, or the same name and birth date."""
    matches = []
    if nhs_number:
        matches.append(Resident.nhs_number == nhs_number)
    matches.append(
        (func.lower(Resident.given_name) == given_name.strip().lower())
        & (func.lower(Resident.family_name) == family_name.strip().lower())
        & (Resident.date_of_birth == date_of_birth)
    )
    query = (
        select(Resident)
        .where(or_(*matches), visible_residents_clause(user))
        .order_by(Resident.family_name, Resident.given_name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def find_residents(user: User, words: str, *, limit: int = 20) -> list[Resident]:
    """Search the residents this user may see by name, NHS number or postcode."""
    words = words.strip()
    if not words:
        return []
    postcode = func.replace(Resident.postcode, " ", "", type_=String)
    every_word = and_(
        *[
            or_(
                containing(Resident.given_name, word),
                containing(Resident.family_name, word),
                containing(postcode, word),
            )
            for word in words.split()
        ]
    )
    digits = clean_nhs_number(words) or ""
    condition = (
        or_(Resident.nhs_number == digits, every_word)
        if whole_number(digits) is not None
        else every_word
    )
    query = (
        select(Resident)
        .where(visible_residents_clause(user), condition)
        .order_by(Resident.family_name, Resident.given_name)
        .limit(limit)
    )
    return list(db.session.scalars(query))
