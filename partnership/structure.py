"""Rules for the partnership's structure, shared by the admin pages and the command line."""

import re

from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import NeedCategory, Neighbourhood, Organisation, Role, Sector, User
from partnership.models.accounts import normalise_email

# ODS codes: 3 to 6 letters and digits for most NHS organisations (e.g. "RW3", "P84001").
ODS_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
# Charity Commission for England and Wales: 6 to 8 digits (registered charity numbers),
# Scotland: SC then 6 digits, Northern Ireland: NIC then 6 digits (also as "NIC 100001").
CHARITY_NUMBER = re.compile(r"^(\d{6,8}|SC\d{6}|NIC\d{6})$")
# ONS area codes: a letter, 2 digits, 6 digits (e.g. ward "E05011361").
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


class StructureError(ValueError):
    """A rule of the partnership's structure was broken; the message says which, in words.

    `field` names the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def clean_code(value: str | None) -> str | None:
    value = (value or "").replace(" ", "").upper()
    return value or None


def check_ods_code(value: str | None) -> str | None:
    code = clean_code(value)
    if code and not ODS_CODE.match(code):
        raise StructureError(
            "Enter an ODS code of 3 to 6 letters and numbers, like RW3 or P84001",
            field="ods_code",
        )
    return code


def check_charity_number(value: str | None) -> str | None:
    number = clean_code(value)
    if number and not CHARITY_NUMBER.match(number):
        raise StructureError(
            "Enter a charity number of 6 to 8 digits, or SC or NIC followed by 6 digits",
            field="charity_number",
        )
    return number


def check_ons_code(value: str | None) -> str | None:
    code = clean_code(value)
    if code and not ONS_CODE.match(code):
        raise StructureError("Enter an ONS code of a letter and 8 digits, like E05011361")
    return code


def _taken(model, condition, other_than) -> bool:
    """Whether a row other than `other_than` meets `condition`."""
    query = select(model.id).where(condition)
    if other_than is not None:
        query = query.where(model.id != other_than.id)
    return db.session.scalar(query) is not None


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
    same_name = func.lower(Organisation.name) == name.strip().lower()
    return _taken(Organisation, same_name, other_than)


def neighbourhood_exists(name: str, *, other_than: Neighbourhood | None = None) -> bool:
    same_name = func.lower(Neighbourhood.name) == name.strip().lower()
    return _taken(Neighbourhood, same_name, other_than)


def ons_code_taken(code: str | None, *, other_than: Neighbourhood | None = None) -> bool:
    """An ONS code names one area."""
    return code is not None and _taken(Neighbourhood, Neighbourhood.ons_code == code, other_than)


def check_need_name(name: str, *, other_than: NeedCategory | None = None) -> None:
    """A need's name has letters or numbers and is unique whatever its case."""
    name = name.strip()
    if not re.search(r"[A-Za-z0-9]", name):
        raise StructureError("Enter a name with letters or numbers")
    if _taken(NeedCategory, func.lower(NeedCategory.name) == name.lower(), other_than):
        raise StructureError(f"There is already a need called {name}")


def need_slug(name: str) -> str:
    """The identifier feeds and links use for a new need; numbered when already taken.

    A need keeps its slug when renamed, so a new need's name can match a slug in use.
    """
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-") or "need"
    slug, number = base, 1
    while _taken(NeedCategory, NeedCategory.slug == slug, None):
        number += 1
        suffix = f"-{number}"
        slug = base[: 60 - len(suffix)].strip("-") + suffix
    return slug


def organisation_named(name: str) -> Organisation:
    organisation = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    )
    if organisation is None:
        raise StructureError(f"No organisation called {name}")
    return organisation


def email_taken(email: str, *, other_than: User | None = None) -> bool:
    """Emails are unique whatever their case."""
    return _taken(User, User.email == normalise_email(email), other_than)


def ods_code_taken(code: str | None, *, other_than: Organisation | None = None) -> bool:
    """An ODS code names one organisation."""
    return code is not None and _taken(Organisation, Organisation.ods_code == code, other_than)


def charity_number_taken(number: str | None, *, other_than: Organisation | None = None) -> bool:
    """A charity number names one organisation."""
    same_number = Organisation.charity_number == number
    return number is not None and _taken(Organisation, same_number, other_than)


def check_organisation_codes(sector: Sector, ods_code: str | None, charity_number: str | None):
    """ODS codes belong to NHS organisations; charity numbers to the voluntary sector."""
    ods_code = check_ods_code(ods_code)
    charity_number = check_charity_number(charity_number)
    if ods_code and sector is not Sector.NHS:
        raise StructureError("Only NHS organisations have an ODS code", field="ods_code")
    if charity_number and sector not in (Sector.VCSE, Sector.OTHER):
        raise StructureError(
            "Only voluntary sector organisations have a charity number", field="charity_number"
        )
    return ods_code, charity_number


def check_user_role(role: Role, neighbourhoods: list[Neighbourhood]) -> None:
    if neighbourhoods and role is not Role.LEAD:
        raise StructureError("Only neighbourhood leads are given neighbourhoods")
