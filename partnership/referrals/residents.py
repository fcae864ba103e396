"""Residents: NHS number and contact checks, and finding possible duplicates among those a
user may see.

The contact rules here are the one home for every form that takes a resident's phone,
email or preferred contact (adding a resident, the referral's details, correcting a
record): a phone number is a UK one, kept in one normal form, and the preferred way to
contact someone comes with the detail it needs.
"""

import re
from datetime import date

import phonenumbers
from sqlalchemy import String, and_, func, or_, select

from partnership.access import visible_residents_clause
from partnership.extensions import db
from partnership.inputs import containing, whole_number
from partnership.models import ContactMethod, Resident, User

PHONE_EXAMPLE = "0161 496 0000"


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


def uk_phone(typed: str | None) -> str | None:
    """A UK phone number in its normal form, like "0161 496 0000", or None when `typed` is
    not a valid UK number ("abc", a number too short, or one no UK range has).

    UK numbers only (country code 44: Great Britain, Northern Ireland and the Crown
    dependencies), so the national format is unambiguous; it is also how people write and
    read them, and what every page and the API show. "+44 161 4960000" and "0161-496-0000"
    are kept as "0161 496 0000".
    """
    if not typed or len(typed) > 40:
        return None
    try:
        number = phonenumbers.parse(typed, "GB")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


PHONE_PROBLEM = f"Enter a UK phone number, like {PHONE_EXAMPLE}"


def missing_contact_detail(
    preferred: ContactMethod | str | None, phone: str | None, email: str | None
) -> tuple[str, str] | None:
    """(field, message) when the preferred way of contact lacks its detail: phone needs a
    phone number and email an email address. None when nothing is missing."""
    if preferred == ContactMethod.PHONE and not phone:
        return "phone", "Enter a phone number, or choose another way to contact them"
    if preferred == ContactMethod.EMAIL and not email:
        return "email", "Enter an email address, or choose another way to contact them"
    return None


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
