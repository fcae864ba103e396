"""Rules for the partnership's structure, shared by the admin pages and the command line."""

import re

from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import Neighbourhood, Organisation, Role, Sector, User
from partnership.models.accounts import normalise_email

# ODS codes: 3 to 6 letters and digits for most NHS organisations (e.g. "RW3", "P84001").
ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
# Charity Commission for England and Wales: 6 to 8 digits (registered charity numbers),
# Scotland: SC then 6 digits, Northern Ireland: NIC then 6 digits (also as "NIC 100001").
CHARITY_NUMBER = re.compile(r"^(\d{6,8}|SC\d{6}|NIC\d{6})$")
# ONS area codes: a letter, 2 digits, 6 digits (e.g. ward "E05011361").
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


class StructureError(ValueError):
    """A rule of the partnership's structure was broken; the message says which, in words."""


def clean_code(value: str | None) -> str | None:
    value = (value or "").replace(" ", "").upper()
    return value or None


def check_ods_code(value: str | None) -> str | None:
    code = clean_code(value)
    if code and not ODS_CODE.match(code):
        raise StructureError("Enter an ODS code of 3 to 6 letters and numbers, like RW3 or P84001")
    return code


def check_charity_number(value: str | None) -> str | None:
    number = clean_code(value)
    if number and not CHARITY_NUMBER.match(number):
        raise StructureError(
            "Enter a charity number of 6 to 8 digits, or SC or NIC followed by 6 digits"
        )
    return number


def check_ons_code(value: str | None) -> str | None:
    code = clean_code(value)
    if code and not ONS_CODE.match(code):
        raise StructureError("Enter an ONS code of a letter and 8 digits, like E05011361")
    return code


def neighbourhoods_named(names: list[str]) -> list[Neighbourhood]:
    found = {
        n.name.lower(): n
        for n in db.session.scalars(
            select(Neighbourhood).where(
                func.lower(Neighbourhood.name).in_([x.lower() for x in names])
            )
        )
    }
    missing = [name for name in names if name.lower() not in found]
    if missing:
        raise StructureError("No neighbourhood called " + ", ".join(missing))
    return [found[name.lower()] for name in names]


def organisation_exists(name: str, *, other_than: Organisation | None = None) -> bool:
    """Names are unique whatever their case."""
    query = select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower())
    if other_than is not None:
        query = query.where(Organisation.id != other_than.id)
    return db.session.scalar(query) is not None


def neighbourhood_exists(name: str, *, other_than: Neighbourhood | None = None) -> bool:
    query = select(Neighbourhood.id).where(func.lower(Neighbourhood.name) == name.strip().lower())
    if other_than is not None:
        query = query.where(Neighbourhood.id != other_than.id)
    return db.session.scalar(query) is not None


def organisation_named(name: str) -> Organisation:
    organisation = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    )
    if organisation is None:
        raise StructureError(f"No organisation called {name}")
    return organisation


def email_taken(email: str, *, other_than: User | None = None) -> bool:
    query = select(User.id).where(User.email == normalise_email(email))
    if other_than is not None:
        query = query.where(User.id != other_than.id)
    return db.session.scalar(query) is not None


def check_organisation_codes(sector: Sector, ods_code: str | None, charity_number: str | None):
    """ODS codes belong to NHS organisations; charity numbers to the voluntary sector."""
    ods_code = check_ods_code(ods_code)
    charity_number = check_charity_number(charity_number)
    if ods_code and sector is not Sector.NHS:
        raise StructureError("Only NHS organisations have an ODS code")
    if charity_number and sector not in (Sector.VCSE, Sector.OTHER):
        raise StructureError("Only voluntary sector organisations have a charity number")
    return ods_code, charity_number


def check_user_role(role: Role, neighbourhoods: list[Neighbourhood]) -> None:
    if neighbourhoods and role is not Role.LEAD:
        raise StructureError("Only neighbourhood leads are given neighbourhoods")
