"""Each signed-in session has a record on the server: sign-out and deactivation end it,
so a copy of the cookie stops working, and sign-out leaves nothing in the cookie."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from partnership import clock
from partnership.admin.people import deactivate
from partnership.auth import sessions
from partnership.auth.passwords import verify_password
from partnership.auth.tokens import create_token, token_for_call
from partnership.extensions import db
from partnership.models import AccountAction, AccountEvent, Role, TokenScope
from partnership.models.accounts import SignedInSession
from tests.auth.test_sign_in import sign_in


def cookie_contents(app, client) -> dict:
    """What the session cookie holds, decoded as anyone holding it could."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def records(user) -> list[SignedInSession]:
    query = select(SignedInSession).where(SignedInSession.user_id == user.id)
    return list(db.session.scalars(query.order_by(SignedInSession.created_at)))


def test_signing_in_starts_a_record_named_by_the_token_in_the_cookie(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    sign_in(client, user.email, partnership.password)
    [record] = records(user)
    assert record.ended_at is None
    assert cookie_contents(app, client)[sessions.KEY] == record.id
    assert len(record.id) >= 40  # 32 random bytes


def test_signing_out_ends_the_record(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    sign_in(client, user.email, partnership.password)
    client.post_form("/sign-out", form_page="/")
    db.session.expire_all()
    [record] = records(user)
    assert record.ended_at is not None


def test_a_cookie_copied_before_sign_out_gets_the_sign_in_page_afterwards(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    copied = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    browser.post_form("/sign-out", form_page="/")

    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert thief.get("/live").status_code == 401


def test_signing_out_of_one_session_leaves_the_others_signed_in(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user.email, partnership.password)
    sign_in(phone, user.email, partnership.password)
    laptop.post_form("/sign-out", form_page="/")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_after_sign_out_the_cookie_holds_only_what_an_anonymous_visitors_does(app, partnership):
    anonymous = app.test_client()
    anonymous.get("/", follow_redirects=True)  # told to sign in
    anonymous.get("/sign-in")
    anonymous_cookie = cookie_contents(app, anonymous)
    anonymous_keys = set(anonymous_cookie)

    user = partnership.users[Role.CASEWORKER]
    client = app.test_client()
    sign_in(client, user.email, partnership.password)
    with client.session_transaction() as session:
        session["anything_else"] = "kept for the session, such as a half-made referral"
    client.get("/")

    response = client.post_form("/sign-out", form_page="/")
    assert set(cookie_contents(app, client)) <= anonymous_keys | {"_flashes"}
    client.get(response.headers["Location"])  # the sign-in page, showing "You have signed out"
    client.get("/sign-in")
    contents = cookie_contents(app, client)
    # The same keys and values, but for the CSRF token, which is random for every visitor.
    del contents["csrf_token"], anonymous_cookie["csrf_token"]
    assert contents == anonymous_cookie


def test_deactivation_ends_every_session_of_the_user(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    for _ in range(2):
        sign_in(app.test_client(), user.email, partnership.password)
    other = partnership.users[Role.COORDINATOR]
    sign_in(app.test_client(), other.email, partnership.password)
    deactivate(user)
    db.session.commit()
    db.session.expire_all()
    assert all(record.ended_at is not None for record in records(user))
    assert [record.ended_at for record in records(other)] == [None]


def test_the_loader_refuses_an_ended_record_even_if_the_user_is_reactivated(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    token = sessions.begin(user)
    db.session.commit()
    assert sessions.signed_in_user(user.get_id(), token) == user
    sessions.end(token)
    db.session.commit()
    assert sessions.signed_in_user(user.get_id(), token) is None


def test_the_loader_refuses_another_users_token_and_nonsense(app, partnership):
    user, other = partnership.users[Role.CASEWORKER], partnership.users[Role.LEAD]
    token = sessions.begin(other)
    db.session.commit()
    assert sessions.signed_in_user(user.get_id(), token) is None
    assert sessions.signed_in_user(user.get_id(), None) is None
    assert sessions.signed_in_user(user.get_id(), 12) is None
    assert sessions.signed_in_user("9" * 40 + ":1", token) is None
    assert sessions.signed_in_user(f"{other.id}:{other.session_version + 1}", token) is None
    assert sessions.signed_in_user(other.get_id(), token) == other


# Timeouts: idle for SESSION_IDLE_MINUTES, or SESSION_ABSOLUTE_HOURS since sign-in


def test_a_session_idle_for_thirty_minutes_has_ended_and_is_cleared(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    clock_at.move_to(clock.now() + timedelta(minutes=29))
    assert browser.get("/").status_code == 200  # a request in time keeps it going
    clock_at.move_to(clock.now() + timedelta(minutes=29))
    assert browser.get("/").status_code == 200
    clock_at.move_to(clock.now() + timedelta(minutes=31))
    response = browser.get("/")
    assert response.headers["Location"].startswith("/sign-in")
    # Cleared, not just the user: no record token or user id is left in the cookie.
    contents = cookie_contents(app, browser)
    assert sessions.KEY not in contents
    assert "_user_id" not in contents


def test_pages_refreshing_themselves_do_not_keep_a_session_from_idling(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    for _ in range(4):
        clock_at.move_to(clock.now() + timedelta(minutes=10))
        browser.get("/inbox", headers={"HX-Request": "true"})
    assert browser.get("/").headers["Location"].startswith("/sign-in")


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    for _ in range(11 * 3):
        clock_at.move_to(clock.now() + timedelta(minutes=20))
        assert browser.get("/").status_code == 200
    clock_at.move_to(clock.now() + timedelta(minutes=61))
    assert browser.get("/").headers["Location"].startswith("/sign-in")


def test_both_timeouts_are_configurable(app, partnership, clock_at, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    monkeypatch.setitem(app.config, "SESSION_ABSOLUTE_HOURS", 1)
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    clock_at.move_to(clock.now() + timedelta(minutes=6))
    assert browser.get("/").status_code == 302
    sign_in(browser, user.email, partnership.password)
    for _ in range(15):
        clock_at.move_to(clock.now() + timedelta(minutes=4))
        browser.get("/")
    assert browser.get("/").status_code == 302


def test_an_idle_sessions_live_stream_is_refused(app, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    token = sessions.begin(user)
    db.session.commit()
    assert sessions.signed_in_user(user.get_id(), token) is user
    clock_at.move_to(clock.now() + timedelta(minutes=31))
    assert sessions.signed_in_user(user.get_id(), token) is None


# Changing one's own password


def change_password(client, current, new, **extra):
    return client.post_form(
        "/change-password", {"current": current, "password": new, "confirm": new, **extra}
    )


def test_changing_a_password_needs_the_current_one(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    page = change_password(browser, "not my password", "quiet lantern orchard river")
    assert page.status_code == 200
    assert "Your current password is not right" in page.get_data(as_text=True)
    db.session.expire_all()
    assert verify_password(user.password_hash, partnership.password)


def test_changing_a_password_ends_every_other_session_and_keeps_this_one(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    other = app.test_client()
    sign_in(other, user.email, partnership.password)
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    copied = browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    response = change_password(browser, partnership.password, "quiet lantern orchard river")
    assert response.headers["Location"] == "/"
    assert browser.get("/").status_code == 200
    assert other.get("/").status_code == 302
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    assert thief.get("/").status_code == 302
    db.session.expire_all()
    assert [record.ended_at is None for record in records(user)] == [False, False, True]
    [event] = db.session.scalars(select(AccountEvent))
    assert (event.action, event.by_user) == (AccountAction.PASSWORD_CHANGED, user)


def test_changing_a_password_ends_api_tokens_only_when_asked(app, partnership):
    user = partnership.users[Role.CASEWORKER]
    kept, _ = create_token(user, "Kept", scope=TokenScope.READ)
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    page = browser.get("/change-password").get_data(as_text=True)
    assert "You have 1 API token that still work" in page
    change_password(browser, partnership.password, "quiet lantern orchard river")
    assert token_for_call(kept) is not None

    change_password(
        browser, "quiet lantern orchard river", "another calm meadow tune", end_tokens="y"
    )
    assert token_for_call(kept) is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short one", "Password must be 12 characters or more"),
        ("passwordpassword", "Password is too easy to guess"),
        ("caseworker@example.org", "Password must not contain the email address"),
        ("Casey Worker Casey", "must not be made of the name"),
        ("casey.worker2026", "must not be made of the name"),
        ("north valley partnership", "must not be made of the name"),
    ],
)
def test_a_new_password_must_be_hard_to_guess(app, partnership, password, message):
    user = partnership.users[Role.CASEWORKER]
    browser = app.test_client()
    sign_in(browser, user.email, partnership.password)
    page = change_password(browser, partnership.password, password).get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert verify_password(user.password_hash, partnership.password)
