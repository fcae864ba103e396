"""Only admins reach /admin: everyone else is told it does not exist, or asked to sign in."""

import pytest
from sqlalchemy import select

from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.models import (
    ApiToken,
    BankHoliday,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Role,
    TokenScope,
    User,
)
from tests.admin.conftest import TEMPORARY_PASSWORD

# Every admin URL with each method it answers, and a valid form for each POST: were the
# guard missing, each POST would change something.
ADMIN_URLS = [
    ("GET", "/admin/neighbourhoods"),
    ("GET", "/admin/neighbourhoods/new"),
    ("POST", "/admin/neighbourhoods/new"),
    ("GET", "/admin/neighbourhoods/<int:neighbourhood_id>/edit"),
    ("POST", "/admin/neighbourhoods/<int:neighbourhood_id>/edit"),
    ("GET", "/admin/organisations"),
    ("GET", "/admin/organisations/new"),
    ("POST", "/admin/organisations/new"),
    ("GET", "/admin/organisations/<int:organisation_id>/edit"),
    ("POST", "/admin/organisations/<int:organisation_id>/edit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/<int:user_id>"),
    ("GET", "/admin/users/<int:user_id>/edit"),
    ("POST", "/admin/users/<int:user_id>/edit"),
    ("POST", "/admin/users/<int:user_id>/deactivate"),
    ("POST", "/admin/users/<int:user_id>/reactivate"),
    ("POST", "/admin/users/<int:user_id>/tokens/<int:token_id>/revoke"),
    ("POST", "/admin/users/<int:user_id>/reset-two-step"),
    ("GET", "/admin/users/<int:user_id>/temporary-password"),
    ("POST", "/admin/users/<int:user_id>/temporary-password"),
    ("GET", "/admin/needs"),
    ("GET", "/admin/needs/new"),
    ("POST", "/admin/needs/new"),
    ("GET", "/admin/needs/<int:need_id>/edit"),
    ("POST", "/admin/needs/<int:need_id>/edit"),
    ("GET", "/admin/access-log"),
    ("GET", "/admin/bank-holidays"),
    ("POST", "/admin/bank-holidays"),
    ("POST", "/admin/bank-holidays/<day>/remove"),
]


def url_and_form(structure, method: str, rule: str) -> tuple[str, dict]:
    """The concrete URL for `rule`, and for a POST a form that would change something."""
    # The outsider is active and the leaver deactivated, so that both buttons do something.
    user = structure.leaver if rule.endswith("/reactivate") else structure.outsider
    if "<int:token_id>" in rule:
        _token, record = create_token(user, "Integration", scope=TokenScope.READ)
        db.session.commit()
        rule = rule.replace("<int:token_id>", str(record.id))
    url = (
        rule.replace("<int:neighbourhood_id>", str(structure.north.id))
        .replace("<int:organisation_id>", str(structure.surgery.id))
        .replace("<int:user_id>", str(user.id))
        .replace("<int:need_id>", str(structure.food.id))
        .replace("<day>", structure.christmas.day.isoformat())
    )
    forms = {
        "/admin/neighbourhoods/new": {"name": "Eastside", "ons_code": "E05000003"},
        "/admin/neighbourhoods/<int:neighbourhood_id>/edit": {"name": "Renamed", "ons_code": ""},
        "/admin/organisations/new": {"name": "New Partner", "sector": "council"},
        "/admin/organisations/<int:organisation_id>/edit": {"name": "Renamed", "sector": "nhs"},
        "/admin/users/new": {
            "name": "New Person",
            "email": "new@example.org",
            "organisation": structure.council.id,
            "role": "admin",
            "password": TEMPORARY_PASSWORD,
        },
        "/admin/users/<int:user_id>/edit": {
            "name": "Otto Outsider",
            "email": "outsider@example.org",
            "organisation": structure.council.id,
            "role": "admin",
        },
        "/admin/users/<int:user_id>/deactivate": {},
        "/admin/users/<int:user_id>/reactivate": {},
        "/admin/users/<int:user_id>/temporary-password": {"password": TEMPORARY_PASSWORD},
        "/admin/needs/new": {"name": "Transport"},
        "/admin/needs/<int:need_id>/edit": {"name": "Renamed"},
        "/admin/bank-holidays": {"day": "1", "month": "6", "year": "2027", "name": "Extra day"},
    }
    return url, forms.get(rule, {}) if method == "POST" else {}


def snapshot() -> list:
    """Everything an admin page can change, to show that a refused request changed nothing."""
    db.session.expire_all()
    return [
        db.session.execute(select(Neighbourhood.name, Neighbourhood.ons_code)).all(),
        db.session.execute(select(Organisation.name, Organisation.sector)).all(),
        [
            (u.email, u.name, u.role, u.active, u.password_hash, u.session_version)
            for u in db.session.scalars(select(User).order_by(User.id))
        ],
        db.session.execute(select(NeedCategory.name)).all(),
        db.session.execute(select(BankHoliday.day, BankHoliday.name)).all(),
        db.session.execute(select(ApiToken.id, ApiToken.revoked_at)).all(),
    ]


def request(client, method: str, url: str, form: dict, *, form_page: str):
    if method == "GET":
        return client.get(url)
    return client.post_form(url, form, form_page=form_page)


def test_every_admin_url_is_listed_here(app):
    """A new admin page without access tests fails this test."""
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        for method in rule.methods & {"GET", "POST"}
    }
    assert served == set(ADMIN_URLS)


@pytest.mark.parametrize(("method", "rule"), ADMIN_URLS)
def test_admin_uses_every_admin_url(structure, admin_client, method, rule):
    """The control for the tests below: each URL works for an admin, and each POST acts."""
    url, form = url_and_form(structure, method, rule)
    before = snapshot()
    response = request(admin_client, method, url, form, form_page=url)
    if method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302, response.get_data(as_text=True)
        assert snapshot() != before


@pytest.mark.parametrize(("method", "rule"), ADMIN_URLS)
def test_every_admin_url_is_not_found_for_other_roles(structure, as_role, method, rule):
    url, form = url_and_form(structure, method, rule)
    before = snapshot()
    for role in (Role.CASEWORKER, Role.COORDINATOR, Role.LEAD):
        response = request(as_role(role), method, url, form, form_page="/")
        assert response.status_code == 404, f"{role} {method} {url}"
        assert "Page not found" in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "rule"), ADMIN_URLS)
def test_every_admin_url_sends_a_signed_out_visitor_to_sign_in(structure, client, method, rule):
    url, form = url_and_form(structure, method, rule)
    before = snapshot()
    response = request(client, method, url, form, form_page="/sign-in")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/admin/neighbourhoods/999999/edit",
        "/admin/organisations/999999/edit",
        "/admin/users/999999",
        "/admin/users/999999/edit",
        "/admin/users/999999/temporary-password",
        "/admin/needs/999999/edit",
    ],
)
def test_unknown_records_are_not_found_for_an_admin(structure, admin_client, path):
    assert admin_client.get(path).status_code == 404


def test_admin_navigation_is_shown_to_admins_only(structure, admin_client, as_role):
    assert 'href="/admin/users"' in admin_client.get("/").get_data(as_text=True)
    for role in (Role.CASEWORKER, Role.COORDINATOR, Role.LEAD):
        assert 'href="/admin/' not in as_role(role).get("/").get_data(as_text=True)
