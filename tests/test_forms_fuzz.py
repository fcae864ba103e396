"""The web forms take any text a person or a script can send: NUL and other controls, lone
surrogates (sent as the bytes a broken encoder makes), 10,000 characters, right-to-left
marks, digits of other scripts. Whatever arrives, the answer is never a server error, and a
refused form writes no row.

Generated with hypothesis, bounded and derandomised: every run sends the same input.
"""

from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import Service
from tests import factories
from tests.hostile import HOSTILE, NASTY

pytestmark = pytest.mark.fuzz

# Rows a refused request may still write, on purpose: a view of the resident shown again
# with the form's errors, a failed sign-in counted towards lockout, a session's last use.
WRITTEN_ON_PURPOSE = {"access_logs", "sign_in_lockouts", "user_sessions"}


def hostile_forms(**valid: str):
    """Run the test with `fields`: first each NASTY text in every field, then generated
    forms where each field is either its valid answer or hostile text."""

    def decorate(test):
        for text in NASTY:
            test = example(fields=dict.fromkeys(valid, text))(test)
        strategy = st.fixed_dictionaries(
            {name: st.one_of(st.just(value), HOSTILE) for name, value in valid.items()}
        )
        return settings(
            max_examples=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )(given(fields=strategy)(test))

    return decorate


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in WRITTEN_ON_PURPOSE
    }


def send(client, url: str, fields: dict[str, str], *, token_from: str):
    """POST the form as a browser would (lone surrogates as their raw bytes): never a server
    error, and when refused (anything but a redirect onwards) no row more or fewer."""
    fields = {"csrf_token": client.csrf_token(token_from), **fields}
    before = row_counts()
    response = client.post(
        url,
        data=urlencode(fields, encoding="utf-8", errors="surrogatepass"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500, url
    if response.status_code not in (302, 303):
        assert row_counts() == before, (url, response.status_code)
    return response


@pytest.fixture
def world(partnership):
    food = factories.need("food", "Food")
    parcels = factories.service(
        partnership.pantry,
        name="Food parcels",
        places=4,
        needs=[food],
        neighbourhoods=[partnership.north],
    )
    ann = factories.resident(
        partnership.north,
        partnership.surgery,
        given_name="Ann",
        family_name="Smith",
        date_of_birth=date(1950, 1, 2),
    )
    referral = factories.referral(partnership, to_service=parcels, resident=ann)
    db.session.commit()
    return {"food": food.id, "parcels": parcels.id, "ann": ann.id, "referral": referral.id}


@hostile_forms(email="caseworker@example.org", password="not the password")
def test_sign_in(client, partnership, fields):
    send(client, "/sign-in", fields, token_from="/sign-in")


@hostile_forms(q="Smith")
def test_resident_search(caseworker_client, world, fields):
    query = urlencode(fields, encoding="utf-8", errors="surrogatepass")
    answer = caseworker_client.get(f"/referrals/new/resident?{query}")
    assert answer.status_code < 500


@hostile_forms(given_name="Bea", family_name="Jones")
def test_new_resident_name(caseworker_client, world, fields):
    new = "/referrals/new/new-resident/name"
    send(caseworker_client, new, fields, token_from=new)


def _new_resident_up_to(client, last: str, partnership) -> None:
    answers = {
        "name": {"given_name": "Bea", "family_name": "Jones"},
        "date-of-birth": {"date_of_birth": ["2", "1", "1950"]},
        "nhs-number": {"nhs_number": ""},
        "address": {"postcode": "M9 4DH", "neighbourhood": partnership.north.id},
    }
    for step, answer in answers.items():
        if step == last:
            return
        _answer(client, f"/referrals/new/new-resident/{step}", answer)


@hostile_forms(postcode="M9 4DH")
def test_new_resident_address(caseworker_client, partnership, world, fields):
    _new_resident_up_to(caseworker_client, "address", partnership)
    address = "/referrals/new/new-resident/address"
    fields = {**fields, "neighbourhood": str(partnership.north.id)}
    send(caseworker_client, address, fields, token_from=address)


@hostile_forms(phone="0161 496 0000", email="bea@example.org", preferred_contact="phone")
def test_new_resident_contact(caseworker_client, partnership, world, fields):
    _new_resident_up_to(caseworker_client, "contact", partnership)
    contact = "/referrals/new/new-resident/contact"
    send(caseworker_client, contact, fields, token_from=contact)


def _answer(client, url: str, answers: dict):
    response = client.post(url, data={"csrf_token": client.csrf_token(url), **answers})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _chosen(client, world) -> None:
    """Ann chosen, for food, at the food parcels, consent given."""
    new = "/referrals/new"
    _answer(client, f"{new}/resident", {"resident_id": world["ann"]})
    _answer(client, f"{new}/need", {"need": world["food"]})
    _answer(client, f"{new}/service", {"service": world["parcels"]})


@hostile_forms(given_by="resident", covers="Sharing with the pantry", representative_name="")
def test_consent(caseworker_client, world, fields):
    _chosen(caseworker_client, world)
    consent = "/referrals/new/consent"
    send(caseworker_client, consent, {**fields, "confirmed": "y"}, token_from=consent)


@hostile_forms(
    summary="No food until payday",
    best_times="Mornings",
    language="English",
    accessibility_needs="",
)
def test_referral_details(caseworker_client, world, fields):
    _chosen(caseworker_client, world)
    new = "/referrals/new"
    _answer(
        caseworker_client,
        f"{new}/consent",
        {"given_by": "resident", "covers": "Sharing", "confirmed": "y"},
    )
    answers = {"urgency": "routine", "preferred_contact": "phone", "interpreter_needed": "no"}
    send(caseworker_client, f"{new}/details", {**answers, **fields}, token_from=f"{new}/details")


@hostile_forms(body="Called, parcel booked")
def test_message(caseworker_client, world, fields):
    page = f"/referrals/{world['referral']}"
    send(caseworker_client, f"{page}/messages", fields, token_from=page)


@hostile_forms(status="open", places="3", wait_band="", note="Busy on Mondays")
def test_capacity(coordinator_client, world, fields):
    service = db.session.get(Service, world["parcels"])
    capacity = f"/services/{service.id}/capacity"
    before = (service.capacity_status, service.places_available, service.capacity_note)
    response = send(coordinator_client, capacity, fields, token_from=capacity)
    if response.status_code != 302:
        db.session.expire_all()
        service = db.session.get(Service, world["parcels"])
        after = (service.capacity_status, service.places_available, service.capacity_note)
        assert after == before


@hostile_forms(name="Riverside", ons_code="E05000099")
def test_admin_neighbourhood(admin_client, world, fields):
    new = "/admin/neighbourhoods/new"
    send(admin_client, new, fields, token_from=new)


@hostile_forms(name="Riverside Trust", sector="vcse", ods_code="", charity_number="1098765")
def test_admin_organisation(admin_client, world, fields):
    new = "/admin/organisations/new"
    send(admin_client, new, fields, token_from=new)


@hostile_forms(name="Food banks and pantries")
def test_admin_need(admin_client, world, fields):
    new = "/admin/needs/new"
    send(admin_client, new, fields, token_from=new)


@hostile_forms(name="Sam Jones", email="sam@example.org", role="caseworker")
def test_admin_user(admin_client, partnership, world, fields):
    new = "/admin/users/new"
    fields = {**fields, "organisation": str(partnership.surgery.id)}
    send(admin_client, new, fields, token_from=new)
