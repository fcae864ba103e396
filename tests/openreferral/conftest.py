"""A small directory to publish, and the Open Referral UK standard to check it against."""

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import CapacityStatus, NeedCategory, Service, WaitBand
from partnership.reference import seed_reference_data

# The standard's own files, copied into the repository so that any clone can run the tests.
PROFILE = Path(__file__).resolve().parent / "oruk-uk-profile"

FORMATS = FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    """jsonschema checks "uri" only with an extra package: a scheme and a host will do."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def standard_file(relative: str) -> dict:
    path = PROFILE / relative
    if not path.is_file():
        pytest.fail(
            f"The Open Referral UK profile file {path} is missing from the repository.",
            pytrace=False,
        )
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(document: dict, schema: str) -> list[str]:
    """Every way `document` breaks the standard's compiled schema, as readable lines."""
    validator = Draft202012Validator(standard_file(f"schema/{schema}"), format_checker=FORMATS)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def page_errors(page: dict) -> list[str]:
    """A `/services` page: the standard's Page fields, and each item against service_list."""
    openapi = standard_file("schema/openapi.json")
    page_schema = dict(openapi["components"]["schemas"]["Page"])
    page_schema["required"] = list(page_schema["properties"]) + ["contents"]
    errors = [
        error.message
        for error in Draft202012Validator(page_schema, format_checker=FORMATS).iter_errors(page)
    ]
    for index, item in enumerate(page.get("contents", [])):
        errors += [f"contents/{index}/{e}" for e in schema_errors(item, "service_list.json")]
    return errors


def need(slug: str) -> NeedCategory:
    return db.session.scalar(select(NeedCategory).where(NeedCategory.slug == slug))


@pytest.fixture
def directory(partnership) -> SimpleNamespace:
    """Three services across the partnership's organisations, needs and neighbourhoods."""
    seed_reference_data()
    now = clock.now()
    pantry = Service(
        organisation=partnership.pantry,
        name="Southside Food Bank",
        description="Emergency food parcels and a weekly community pantry.",
        needs=[need("food"), need("money-and-debt")],
        neighbourhoods=[partnership.north, partnership.south],
        eligibility_notes="Anyone referred by a partner",
        contact_email="food@pantry.example.org",
        contact_phone="0161 496 0000",
        website="https://pantry.example.org/food",
        referral_instructions="Refer through the partnership; we call within a day.",
        capacity_status=CapacityStatus.LIMITED,
        places_available=4,
        capacity_note="Mrs Example's parcel is ready",  # free text: never published
        capacity_updated_at=now - timedelta(hours=2),
    )
    debt = Service(
        organisation=partnership.council,
        name="Money Advice Drop-in",
        description="Debt and benefits advice, no appointment needed.",
        needs=[need("money-and-debt")],
        neighbourhoods=[partnership.north],
        min_age=18,
        contact_phone="0161 496 0001",
        capacity_status=CapacityStatus.WAITLIST,
        wait_band=WaitBand.ONE_TO_4_WEEKS,
    )
    walking = Service(
        organisation=partnership.surgery,
        name="Walking for Health",
        description="Gentle group walks from the surgery every Tuesday.",
        needs=[need("physical-activity"), need("loneliness-and-isolation")],
        neighbourhoods=[partnership.south],
        min_age=50,
        max_age=90,
        website="https://surgery.example.org/walks",
        capacity_status=CapacityStatus.CLOSED,
    )
    db.session.add_all([pantry, debt, walking])
    db.session.commit()
    return SimpleNamespace(
        partnership=partnership,
        pantry=pantry,
        debt=debt,
        walking=walking,
        all=[pantry, debt, walking],
    )
