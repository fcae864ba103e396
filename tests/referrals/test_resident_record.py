"""A resident's page and correcting their details later: only for residents the user may
see, with the rules of adding a resident, each correction a CHANGE in the access log."""

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import AccessAction, AccessLog, ContactMethod, Resident, Role
from partnership.referrals.residents import missing_contact_detail, uk_phone
from tests import factories, pinned
from tests.conftest import sign_in_as
from tests.referrals.test_making import readable_cookie


@pytest.fixture
def ann(partnership):
    made = factories.resident(
        partnership.north,
        partnership.surgery,
        given_name="Ann",
        family_name="Smith",
        date_of_birth=date(1950, 1, 2),
        postcode="M9 4DH",
        phone="0161 496 0123",
    )
    db.session.commit()
    return made


def text(response) -> str:
    """The page's HTML, entities read."""
    return html.unescape(response.get_data(as_text=True))


def logged(resident, action) -> list[AccessLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AccessLog)
            .where(AccessLog.resident_id == resident.id, AccessLog.action == action)
            .order_by(AccessLog.id)
        )
    )


def fresh(resident) -> Resident:
    db.session.expire_all()
    return db.session.get(Resident, resident.id)


def post(client, url: str, data: dict):
    return client.post_form(url, data)


# The rules, in their one home


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0161 496 0000", "0161 496 0000"),
        ("01614960000", "0161 496 0000"),
        ("+44 161 496 0000", "0161 496 0000"),
        ("0161-496-0000", "0161 496 0000"),
        ("(0113) 496 0101", "0113 496 0101"),
        ("020 7946 0123", "020 7946 0123"),
        ("abc", None),
        ("0161 496", None),
        ("+33 1 23 45 67 89", None),  # not a UK number
        ("07700 900123", None),  # Ofcom's drama mobiles are never anyone's number
        ("", None),
        ("0" * 41, None),
    ],
)
def test_phone_numbers_are_uk_ones_kept_in_one_form(typed, kept):
    assert uk_phone(typed) == kept


@pytest.mark.parametrize(
    ("preferred", "phone", "email", "missing"),
    [
        ("phone", None, None, "phone"),
        ("phone", "", "a@example.org", "phone"),
        ("email", "0161 496 0000", None, "email"),
        ("phone", "0161 496 0000", None, None),
        ("email", None, "a@example.org", None),
        ("letter", None, None, None),
        ("in-person", None, None, None),
    ],
)
def test_the_preferred_contact_needs_its_detail(preferred, phone, email, missing):
    found = missing_contact_detail(ContactMethod(preferred), phone, email)
    assert (found[0] if found else None) == missing


# The resident's page


def test_the_resident_page_shows_their_details_with_change_links_and_logs_a_view(
    ann, partnership, caseworker_client
):
    referral = factories.referral(partnership, resident=ann)
    db.session.commit()
    response = caseworker_client.get(f"/residents/{ann.id}")
    page = text(response)
    assert response.status_code == 200
    for shown in ("Ann Smith", "2 January 1950", "M9 4DH", "0161 496 0123", referral.reference):
        assert shown in page
    for part in ("name", "date-of-birth", "nhs-number", "address", "contact", "language"):
        assert f'href="/residents/{ann.id}/{part}?back=/residents/{ann.id}"' in page
    assert f'href="/referrals/{referral.id}?back=/residents/{ann.id}"' in page
    [view] = logged(ann, AccessAction.VIEW)
    assert view.what == "resident page"


def test_the_referral_page_leads_to_the_resident_s_record(ann, partnership, as_role):
    referral = factories.referral(partnership, resident=ann)
    db.session.commit()
    for role in (Role.CASEWORKER, Role.COORDINATOR):
        page = text(as_role(role).get(f"/referrals/{referral.id}"))
        assert f'href="/residents/{ann.id}?back=/referrals/{referral.id}"' in page
        # The recipient may correct them too: they are party to the referral.
        assert as_role(role).get(f"/residents/{ann.id}").status_code == 200


@pytest.mark.parametrize("path", ["", "/name", "/contact", "/address"])
def test_a_resident_the_user_may_not_see_is_not_found(ann, app, partnership, as_role, path):
    outsider = sign_in_as(app.test_client(), partnership.outsider)
    # The pantry's coordinator is party to no referral of Ann's.
    for client in (outsider, as_role(Role.COORDINATOR)):
        assert client.get(f"/residents/{ann.id}{path}").status_code == 404
        assert client.get(f"/residents/999999{path}").status_code == 404
    for role in (Role.LEAD, Role.ADMIN):
        assert as_role(role).get(f"/residents/{ann.id}{path}").status_code == 404
    response = outsider.post_form(
        f"/residents/{ann.id}/name",
        {"given_name": "X", "family_name": "Y"},
        form_page="/account",
    )
    assert response.status_code == 404
    assert fresh(ann).given_name == "Ann"
    assert logged(ann, AccessAction.VIEW) == logged(ann, AccessAction.CHANGE) == []


# Correcting


def test_a_correction_is_saved_logged_as_a_change_and_goes_back(ann, caseworker_client):
    url = f"/residents/{ann.id}/contact?back=/referrals/new/check"
    response = post(
        caseworker_client,
        url,
        {"phone": "+44 161 4960999", "email": "ann@example.org", "preferred_contact": "email"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/referrals/new/check"
    saved = fresh(ann)
    assert (saved.phone, saved.email, saved.preferred_contact) == (
        "0161 496 0999",
        "ann@example.org",
        ContactMethod.EMAIL,
    )
    [change] = logged(ann, AccessAction.CHANGE)
    assert change.what == "corrected contact details"
    # The banner travels in the cookie: it names nothing personal.
    cookie = readable_cookie(caseworker_client)
    assert "Ann" not in cookie and "0161" not in cookie and "ann@" not in cookie


def test_saving_what_is_already_there_changes_and_logs_nothing(ann, caseworker_client):
    response = post(
        caseworker_client,
        f"/residents/{ann.id}/name",
        {"given_name": "Ann", "family_name": "Smith"},
    )
    assert response.headers["Location"] == f"/residents/{ann.id}"
    assert logged(ann, AccessAction.CHANGE) == []


@pytest.mark.parametrize(
    ("part", "data", "message"),
    [
        ("contact", {"phone": "abc", "preferred_contact": "phone"}, "Enter a UK phone number"),
        (
            "contact",
            {"phone": "", "email": "", "preferred_contact": "phone"},
            "Enter a phone number, or choose another way to contact them",
        ),
        (
            "contact",
            {"phone": "0161 496 0000", "email": "", "preferred_contact": "email"},
            "Enter an email address, or choose another way to contact them",
        ),
        ("name", {"given_name": "", "family_name": "Smith"}, "Enter the resident's first name"),
        ("nhs-number", {"nhs_number": "943 476 5918"}, "This is not a valid NHS number"),
        ("address", {"postcode": "nowhere", "neighbourhood": ""}, "Enter a real postcode"),
        ("date-of-birth", {"date_of_birth": ["31", "2", "1950"]}, "must be a real date"),
    ],
)
def test_a_correction_follows_the_rules_of_adding_a_resident(
    ann, caseworker_client, part, data, message
):
    before = (fresh(ann).phone, fresh(ann).given_name, fresh(ann).nhs_number, fresh(ann).postcode)
    response = post(caseworker_client, f"/residents/{ann.id}/{part}", data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page
    assert "<title>Error:" in page
    after = fresh(ann)
    assert (after.phone, after.given_name, after.nhs_number, after.postcode) == before
    assert logged(ann, AccessAction.CHANGE) == []


def test_a_date_of_birth_in_the_future_is_refused(ann, caseworker_client):
    soon = pinned.TODAY + timedelta(days=2)
    response = post(
        caseworker_client,
        f"/residents/{ann.id}/date-of-birth",
        {"date_of_birth": [str(soon.day), str(soon.month), str(soon.year)]},
    )
    assert "Date of birth must be in the past" in text(response)
    assert fresh(ann).date_of_birth == date(1950, 1, 2)


def test_every_part_can_be_corrected(ann, partnership, caseworker_client):
    for part, data in [
        ("name", {"given_name": "Anne", "family_name": "Smyth"}),
        ("date-of-birth", {"date_of_birth": ["3", "4", "1951"]}),
        ("nhs-number", {"nhs_number": "943 476 5919"}),
        ("address", {"postcode": "m9 4dj", "neighbourhood": partnership.south.id}),
        ("language", {"language": "Polish", "interpreter_needed": "yes"}),
    ]:
        assert post(caseworker_client, f"/residents/{ann.id}/{part}", data).status_code == 302
    saved = fresh(ann)
    assert (saved.given_name, saved.family_name) == ("Anne", "Smyth")
    assert saved.date_of_birth == date(1951, 4, 3)
    assert saved.nhs_number == "9434765919"
    assert (saved.postcode, saved.neighbourhood_id) == ("M9 4DJ", partnership.south.id)
    assert (saved.language, saved.interpreter_needed) == ("Polish", True)
    assert len(logged(ann, AccessAction.CHANGE)) == 5


def test_the_change_page_shows_the_record_and_logs_a_view(ann, caseworker_client):
    page = text(caseworker_client.get(f"/residents/{ann.id}/contact"))
    assert 'value="0161 496 0123"' in page
    assert f'href="/residents/{ann.id}"' in page  # back, and cancel
    assert [row.what for row in logged(ann, AccessAction.VIEW)] == ["correcting contact details"]


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_back_never_leads_off_the_site(ann, caseworker_client, back):
    page = text(caseworker_client.get(f"/residents/{ann.id}/name", query_string={"back": back}))
    assert "evil" not in page and "javascript:" not in page
    response = caseworker_client.post_form(
        f"/residents/{ann.id}/name?back={back}",
        {"given_name": "Ann", "family_name": "Smith"},
        form_page=f"/residents/{ann.id}/name",
    )
    assert response.headers["Location"] == f"/residents/{ann.id}"


def test_no_resident_page_query_is_made_for_a_number_too_large(caseworker_client):
    assert caseworker_client.get("/residents/99999999999999999999").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AccessLog)) == 0
