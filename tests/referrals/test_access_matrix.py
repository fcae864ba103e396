"""Who may reach a referral's pages, fragments and forms (DESIGN section 4).

Only caseworkers and coordinators of the two party organisations; everyone else, of every
role, gets 404 and nothing is written. Every view of personal data writes one access-log row.
"""

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    DeclineReason,
    Event,
    Message,
    Referral,
    ReferralStatus,
    Role,
    Service,
    User,
)
from partnership.referrals import lifecycle
from partnership.referrals.messages import post_message
from tests import factories
from tests.conftest import sign_in_as
from tests.referrals.test_page import url, with_consent

S = ReferralStatus

# Every page, fragment and form of a referral: (method, path after /referrals/<id>, the
# status in which a party could use it, the party that could, and a form that would act).
REQUESTS = [
    ("GET", "", S.REQUESTED, Role.COORDINATOR, None),
    ("GET", "timeline", S.REQUESTED, Role.CASEWORKER, None),
    ("GET", "messages", S.REQUESTED, Role.CASEWORKER, None),
    ("GET", "status", S.REQUESTED, Role.CASEWORKER, None),
    ("POST", "messages", S.REQUESTED, Role.CASEWORKER, {"body": "Can you call her?"}),
    ("POST", "accept", S.REQUESTED, Role.COORDINATOR, {}),
    ("POST", "decline", S.REQUESTED, Role.COORDINATOR, {"decline-reason": "not-eligible"}),
    ("POST", "start", S.ACCEPTED, Role.COORDINATOR, {}),
    ("POST", "hold", S.IN_PROGRESS, Role.COORDINATOR, {}),
    ("POST", "resume", S.ON_HOLD, Role.COORDINATOR, {}),
    ("POST", "complete", S.IN_PROGRESS, Role.COORDINATOR, {"complete-outcome": "need-met"}),
    ("POST", "cancel", S.REQUESTED, Role.CASEWORKER, {"cancel-note": "Moved away"}),
    ("POST", "assignee", S.REQUESTED, Role.COORDINATOR, {"assignee": "coordinator"}),
    ("GET", "forward", S.REJECTED, Role.CASEWORKER, None),
    ("POST", "forward", S.REJECTED, Role.CASEWORKER, {"service": "other"}),
]
IDS = [f"{method} {path or 'page'}" for method, path, *_ in REQUESTS]

# Views that show the resident's details or messages, and so each write one access-log row.
# (who, path after /referrals/<id>, rows per view): only the referrer forwards.
PERSONAL_DATA_VIEWS = [
    (Role.CASEWORKER, "", 1),
    (Role.COORDINATOR, "", 1),
    # No messages yet: the fragment shows nothing personal (see the test below).
    (Role.CASEWORKER, "messages", 0),
    (Role.COORDINATOR, "messages", 0),
    (Role.CASEWORKER, "forward", 1),
    (Role.CASEWORKER, "timeline", 0),
    (Role.COORDINATOR, "timeline", 0),
]


@pytest.fixture
def world(partnership, password_hash):
    """A food service and another for forwarding, and people who are not party: a
    coordinator, lead and admin of a non-party organisation, and a lead and an admin of
    each party organisation."""
    food = factories.need()
    world = partnership
    world.service = factories.service(
        partnership.pantry, places=5, needs=[food], neighbourhoods=[partnership.north]
    )
    world.other = factories.service(
        partnership.council, needs=[food], neighbourhoods=[partnership.north]
    )

    def person(email, organisation, role):
        user = User(
            email=email,
            name=email.split("@")[0].title(),
            organisation=organisation,
            role=role,
            password_hash=password_hash,
            neighbourhoods=[partnership.north] if role is Role.LEAD else [],
        )
        db.session.add(user)
        return user

    world.non_party = {
        Role.CASEWORKER: partnership.outsider,
        Role.COORDINATOR: person(
            "other-coordinator@example.org", partnership.council, Role.COORDINATOR
        ),
        Role.LEAD: partnership.users[Role.LEAD],
        Role.ADMIN: partnership.users[Role.ADMIN],
    }
    world.party_leads_and_admins = [
        person("surgery-lead@example.org", partnership.surgery, Role.LEAD),
        person("surgery-admin@example.org", partnership.surgery, Role.ADMIN),
        person("pantry-lead@example.org", partnership.pantry, Role.LEAD),
        person("pantry-admin@example.org", partnership.pantry, Role.ADMIN),
    ]
    db.session.commit()
    return world


def make_referral(world, status: ReferralStatus) -> Referral:
    referral = factories.referral(world, to_service=world.service, status=status)
    with_consent(referral, world.users[Role.CASEWORKER])
    if status is S.REJECTED:
        referral.decline_reason = DeclineReason.NOT_ELIGIBLE
    db.session.commit()
    return referral


def concrete(world, form: dict | None) -> dict | None:
    if form is None:
        return None
    values = {
        "coordinator": str(world.users[Role.COORDINATOR].id),
        "other": str(world.other.id),
    }
    return {key: values.get(value, value) for key, value in form.items()}


def send(client, method: str, path: str, form: dict | None):
    if method == "GET":
        return client.get(path)
    # The home page carries a CSRF token for anyone signed in, party or not.
    return client.post_form(path, form, form_page="/")


def snapshot() -> list:
    """Everything these pages can write."""
    db.session.expire_all()
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (AccessLog, Event, Message, Referral)
    ]
    return [
        counts,
        db.session.execute(
            select(
                Referral.id,
                Referral.status,
                Referral.version,
                Referral.assignee_id,
                Referral.opened_at,
            )
        ).all(),
        db.session.execute(select(Service.id, Service.places_available)).all(),
    ]


def test_every_referral_url_is_in_the_matrix(app):
    """A new page or form on a referral without access tests fails this test."""
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("referrals.")
        for method in rule.methods & {"GET", "POST"}
    }
    actions = "|".join(a.value for a in lifecycle.Action)
    listed = set()
    for method, path, *_ in REQUESTS:
        rule = "/referrals/<int:referral_id>" + (f"/{path}" if path else "")
        if path in actions.split("|"):
            rule = f"/referrals/<int:referral_id>/<any({actions.replace('|', ', ')}):action>"
        listed.add((method, rule))
    assert served == listed


@pytest.mark.parametrize(("method", "path", "status", "role", "form"), REQUESTS, ids=IDS)
def test_a_party_can_use_it(world, as_role, method, path, status, role, form):
    """The control for the tests below: each request works for the right party."""
    referral = make_referral(world, status)
    before = snapshot()
    response = send(
        as_role(role), method, url(referral, path) if path else url(referral), concrete(world, form)
    )
    assert response.status_code == (200 if method == "GET" else 302), response.get_data(
        as_text=True
    )
    if method == "POST":
        assert snapshot() != before


@pytest.mark.parametrize(("method", "path", "status", "role", "form"), REQUESTS, ids=IDS)
@pytest.mark.parametrize("other_role", list(Role))
def test_a_non_party_organisation_gets_404_in_every_role(
    world, app, method, path, status, role, form, other_role
):
    referral = make_referral(world, status)
    before = snapshot()
    client = sign_in_as(app.test_client(), world.non_party[other_role])
    response = send(
        client, method, url(referral, path) if path else url(referral), concrete(world, form)
    )
    assert response.status_code == 404, f"{other_role} {method} {path}"
    assert "Page not found" in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "status", "role", "form"), REQUESTS, ids=IDS)
def test_leads_and_admins_of_a_party_organisation_get_404(
    world, app, method, path, status, role, form
):
    referral = make_referral(world, status)
    before = snapshot()
    for user in world.party_leads_and_admins:
        client = sign_in_as(app.test_client(), user)
        response = send(
            client, method, url(referral, path) if path else url(referral), concrete(world, form)
        )
        assert response.status_code == 404, f"{user.email} {method} {path}"
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "status", "role", "form"), REQUESTS, ids=IDS)
def test_a_signed_out_visitor_is_asked_to_sign_in(world, client, method, path, status, role, form):
    referral = make_referral(world, status)
    before = snapshot()
    response = send(
        client, method, url(referral, path) if path else url(referral), concrete(world, form)
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert snapshot() == before


@pytest.mark.parametrize(("role", "path", "rows"), PERSONAL_DATA_VIEWS)
def test_each_view_of_personal_data_writes_one_access_log_row(world, as_role, role, path, rows):
    referral = make_referral(world, S.REJECTED if path == "forward" else S.REQUESTED)
    client = as_role(role)
    response = client.get(url(referral, path) if path else url(referral))
    assert response.status_code == 200
    logged = db.session.scalars(select(AccessLog)).all()
    assert len(logged) == rows
    user = world.users[role]
    for row in logged:
        assert (row.user_id, row.resident_id, row.referral_id, row.action) == (
            user.id,
            referral.resident_id,
            referral.id,
            AccessAction.VIEW,
        )
    # Every view again, not only the first.
    client.get(url(referral, path) if path else url(referral))
    assert len(db.session.scalars(select(AccessLog)).all()) == 2 * rows


def test_the_page_and_its_own_messages_fetch_write_one_row_until_a_message_is_new(world, as_role):
    """The open page fetches its messages again on every event of the referral: only a
    fetch that shows a message the user was not logged as seeing is a new view."""
    referral = make_referral(world, S.REQUESTED)
    caseworker, coordinator = world.users[Role.CASEWORKER], world.users[Role.COORDINATOR]
    post_message(referral, coordinator, "We can see her on Tuesday")
    db.session.commit()
    client = as_role(Role.CASEWORKER)

    def views() -> int:
        return len(
            db.session.scalars(
                select(AccessLog).where(
                    AccessLog.user_id == caseworker.id, AccessLog.action == AccessAction.VIEW
                )
            ).all()
        )

    assert client.get(url(referral)).status_code == 200
    assert client.get(url(referral, "messages")).status_code == 200
    assert views() == 1
    post_message(referral, coordinator, "Tuesday at ten, at the pantry")
    db.session.commit()
    assert "Tuesday at ten" in client.get(url(referral, "messages")).get_data(as_text=True)
    assert views() == 2
    client.get(url(referral, "messages"))
    assert views() == 2


def test_a_message_posted_is_logged_as_a_change(world, as_role):
    referral = make_referral(world, S.REQUESTED)
    as_role(Role.CASEWORKER).post_form(url(referral, "messages"), {"body": "Hello"}, form_page="/")
    db.session.expire_all()
    assert [row.action for row in db.session.scalars(select(AccessLog))] == [AccessAction.CHANGE]


@pytest.mark.parametrize(("method", "path", "status", "role", "form"), REQUESTS, ids=IDS)
def test_a_referral_that_does_not_exist_is_not_found(
    world, as_role, method, path, status, role, form
):
    response = send(
        as_role(role),
        method,
        "/referrals/999999" + (f"/{path}" if path else ""),
        concrete(world, form),
    )
    assert response.status_code == 404
