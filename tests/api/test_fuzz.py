"""Every API operation, fuzzed from the OpenAPI document with schemathesis: whatever it
sends, the answer is never a server error and always what the document says it can be.

Bounded (`FUZZ_EXAMPLES` examples an operation, derandomised) so CI runs it in a few minutes; on
PostgreSQL when the run has it (`make fuzz` in .ci/run). Each failure it ever found has a
regression test of its own beside the rule it broke.
"""

import os
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from partnership import create_app
from partnership.auth.tokens import create_token
from partnership.columns import LARGEST_ID
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    ConsentGiver,
    ReferralStatus,
    Role,
    TokenScope,
    Urgency,
)
from partnership.referrals import lifecycle
from tests import factories
from tests.conftest import DATABASES
from tests.hostile import HOSTILE, NASTY

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _world(partnership) -> dict[str, list]:
    """Services, residents and referrals in every status; returns the ids to aim at."""
    food = factories.need("food", "Food")
    factories.need("money-and-debt", "Money and debt")
    pantry = factories.service(
        partnership.pantry,
        name="Food parcels",
        places=3,
        needs=[food],
        neighbourhoods=[partnership.north],
    )
    meals = factories.service(partnership.pantry, name="Hot meals", places=None, min_age=18)
    advice = factories.service(partnership.council, name="Debt advice", places=2)
    full = factories.service(partnership.council, name="Housing", status=CapacityStatus.FULL)
    referrals = [
        factories.referral(partnership, to_service=pantry, status=status)
        for status in ReferralStatus
        if status is not ReferralStatus.DRAFT
    ]
    # One sent by the pantry's coordinator through the lifecycle, with consent and timeline.
    resident = factories.resident(
        partnership.north, partnership.pantry, date_of_birth=date(1980, 5, 6)
    )
    sent, _ = lifecycle.send(
        partnership.users[Role.COORDINATOR],
        resident=resident,
        need=food,
        service=advice,
        urgency=Urgency.URGENT,
        summary="Needs advice",
        consent=lifecycle.ConsentGiven(ConsentGiver.RESIDENT, "Sharing with the council"),
    )
    return {
        "referral_id": [r.id for r in referrals] + [sent.id],
        "service_id": [pantry.id, meals.id, advice.id, full.id],
        "neighbourhood_id": [partnership.north.id, partnership.south.id],
        "resident_id": [resident.id, referrals[0].resident_id],
        "need": ["food", "money-and-debt"],
    }


def _document() -> dict:
    """The OpenAPI document, as the app serves it (it depends on the code, not the data)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    return app.test_client().get("/api/v1/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())
# Unknown query parameters are ignored by design (a cache-buster `_=…` is harmless), so
# none are added to make a request invalid.
schema.config.generation.update(
    max_examples=EXAMPLES, deterministic=True, allow_extra_parameters=False
)
# Input the document does not allow must be refused: with any 4xx the app gives for it,
# including an address too long (414) or a body too large (413).
schema.config.checks.negative_data_rejection.expected_statuses = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "409",
    "413",
    "414",
    "422",
]


@pytest.fixture
def world(app, partnership):
    if "postgresql" in DATABASES and db.engine.dialect.name != "postgresql":
        pytest.skip("fuzzed on PostgreSQL when the run has it")
    ids = _world(partnership)
    db.session.commit()
    return ids


@pytest.fixture
def tokens(app, partnership) -> dict[str, str]:
    """A read and write token of the pantry's coordinator (who sends, receives and posts
    capacity) and one of the Northside lead (who reads the dashboard)."""
    made = {
        role: create_token(partnership.users[role], "fuzz", scope=TokenScope.WRITE)[0]
        for role in (Role.COORDINATOR, Role.LEAD)
    }
    db.session.commit()
    return made


# Lone surrogates as a server would decode them: no client can send one as text, and
# schemathesis cannot check a case holding one. (JSON's "\udfff" has its own test.)
HOSTILE_TEXT = st.one_of(st.sampled_from(NASTY), HOSTILE).map(
    lambda text: text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
)


def _aimed(value, name: str, world: dict, data):
    """Now and then an id (or a need) that exists in place of a valid one that does not,
    so the fuzzer reaches past the 404s, and hostile text in place of a string. Other
    invalid values are left to be refused."""
    valid_here = (
        isinstance(value, str)
        if name == "need"
        else type(value) is int and 1 <= value <= LARGEST_ID
    )
    if name in world and valid_here and data.draw(st.booleans()):
        return data.draw(st.sampled_from(world[name]))
    if isinstance(value, str) and data.draw(st.integers(0, 3)) == 0:
        return data.draw(HOSTILE_TEXT)
    if isinstance(value, dict):
        return {key: _aimed(item, key, world, data) for key, item in value.items()}
    return value


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gives_a_server_error_or_an_answer_the_document_does_not_describe(
    case, data, world, client, tokens
):
    if case.path_parameters:
        case.path_parameters = _aimed(case.path_parameters, "", world, data)
    if case.query:
        case.query = _aimed(case.query, "", world, data)
    if isinstance(case.body, dict):
        case.body = _aimed(case.body, "", world, data)
    role = Role.LEAD if case.path.startswith("/neighbourhoods") else Role.COORDINATOR
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[role]}"}
    case.call_and_validate(session=client, app=client.application, checks=CHECKS)
