"""Signing in and out, lockout, deactivation and temporary passwords, over HTTP."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partnership import clock
from partnership.admin.people import deactivate, set_temporary_password
from partnership.extensions import db
from partnership.models import Role, SignInLockout
from tests.conftest import sign_in_as

WRONG = "Enter a correct email address and password"
LOCKED = "Too many failed attempts. You can try again in 15 minutes."


def sign_in(client, email, password):
    return client.post_form("/sign-in", {"email": email, "password": password})


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_and_lands_on_its_home_page(client, partnership, role):
    user = partnership.users[role]
    response = sign_in(client, user.email.upper(), partnership.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert f"Hello, {user.name}" in page
    assert user.organisation.name in page


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_wrong_password_shows_an_error_summary_that_reveals_nothing(client, partnership):
    known = sign_in(client, partnership.users[Role.ADMIN].email, "wrong password!")
    unknown = sign_in(client, "nobody@example.org", "wrong password!")
    for response in (known, unknown):
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "govuk-error-summary" in page
        assert WRONG in page
        assert "<title>Error: Sign in" in page


def test_empty_form_shows_field_errors_not_a_500(client):
    page = client.post_form("/sign-in", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address" in page
    assert "Enter your password" in page


def test_form_without_csrf_token_is_refused(client, partnership):
    response = client.post(
        "/sign-in", data={"email": partnership.users[Role.ADMIN].email, "password": "x"}
    )
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["admin@example.org", "nobody@example.org"])
def test_five_failures_lock_the_address_for_15_minutes_whether_or_not_it_exists(
    client, partnership, email
):
    for _ in range(4):
        assert WRONG in sign_in(client, email, "wrong password!").get_data(as_text=True)
    assert LOCKED in sign_in(client, email, "wrong password!").get_data(as_text=True)
    # Locked: even the right password is refused, with the same message.
    page = sign_in(client, "admin@example.org", partnership.password).get_data(as_text=True)
    if email == "admin@example.org":
        assert LOCKED in page
    else:
        assert "govuk-error-summary" not in page


def test_an_address_longer_than_any_account_can_have_is_wrong_not_a_server_error(
    client, partnership
):
    """Found by the form fuzzer: the lockout row could not hold it (500 on PostgreSQL)."""
    email = "x" * 250 + "@example.org"
    page = sign_in(client, email, "wrong password!")
    assert page.status_code == 200
    assert WRONG in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SignInLockout)) == 0


def test_lock_lifts_after_15_minutes(client, partnership):
    email = partnership.users[Role.ADMIN].email
    for _ in range(5):
        sign_in(client, email, "wrong password!")
    lockout = db.session.get(SignInLockout, email)
    lockout.locked_until = clock.now() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, email, partnership.password).status_code == 302
    assert db.session.get(SignInLockout, email) is None


def test_failures_spread_over_time_do_not_lock(client, partnership):
    email = partnership.users[Role.ADMIN].email
    for _ in range(4):
        sign_in(client, email, "wrong password!")
    lockout = db.session.get(SignInLockout, email)
    lockout.last_failed_at = clock.now() - timedelta(minutes=16)
    db.session.commit()
    assert WRONG in sign_in(client, email, "wrong password!").get_data(as_text=True)


def test_deactivated_user_cannot_sign_in(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    deactivate(user)
    db.session.commit()
    assert WRONG in sign_in(client, user.email, partnership.password).get_data(as_text=True)


def test_deactivated_user_is_signed_out_on_their_next_request(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    assert sign_in(client, user.email, partnership.password).status_code == 302
    assert client.get("/").status_code == 200
    deactivate(user)
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_sign_out_ends_the_session(client, partnership):
    sign_in(client, partnership.users[Role.LEAD].email, partnership.password)
    response = client.post_form("/sign-out", form_page="/")
    assert response.headers["Location"] == "/sign-in"
    assert client.get("/").status_code == 302


def test_sign_out_needs_a_post_with_csrf(client, partnership):
    sign_in_as(client, partnership.users[Role.LEAD])
    assert client.get("/sign-out").status_code == 404
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200


def test_temporary_password_must_be_changed_before_anything_else(client, partnership):
    user = partnership.users[Role.COORDINATOR]
    set_temporary_password(user, "temporary password 1")
    db.session.commit()
    assert sign_in(client, user.email, partnership.password).status_code == 200  # old one gone
    assert sign_in(client, user.email, "temporary password 1").status_code == 302
    response = client.get("/")
    assert response.headers["Location"] == "/change-password"

    page = client.post_form(
        "/change-password",
        {"current": "temporary password 1", "password": "short", "confirm": "short"},
    ).get_data(as_text=True)
    assert "Password must be 12 characters or more" in page
    response = client.post_form(
        "/change-password",
        {
            "current": "temporary password 1",
            "password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert response.headers["Location"] == "/"
    assert "Hello, Cora Ordinator" in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert not user.must_change_password


def test_next_only_follows_paths_on_this_site(client, partnership):
    user = partnership.users[Role.ADMIN]
    token = client.csrf_token()
    response = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": user.email, "password": partnership.password, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_lax(client):
    cookie = client.get("/sign-in").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_password_is_stored_as_argon2id_at_the_owasp_minimum(app, partnership):
    from partnership.auth.passwords import hash_password

    encoded = hash_password("any password at all")
    assert encoded.startswith("$argon2id$")
    params = dict(p.split("=") for p in encoded.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1


def test_lockouts_are_keyed_by_lower_cased_email(client, partnership):
    sign_in(client, "Admin@Example.org", "wrong password!")
    emails = db.session.scalars(select(SignInLockout.email)).all()
    assert emails == ["admin@example.org"]
