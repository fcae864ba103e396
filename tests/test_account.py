"""A person's own account page and API tokens: created, listed, revoked, only their own."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from partnership import clock
from partnership.auth.tokens import create_token, token_for_call
from partnership.extensions import db
from partnership.models import AccountAction, AccountEvent, ApiToken, Role, TokenScope
from tests.auth.test_sessions import cookie_contents

TOKEN = r"pt_[A-Za-z0-9_-]{40,}"


def new_token(client, **fields):
    data = {"name": "Case system", "scope": "read", "days": "90", **fields}
    return client.post_form("/account/tokens", data, form_page="/account/tokens")


def test_a_person_creates_a_token_and_sees_it_once(app, as_role, partnership):
    import re

    client = as_role(Role.CASEWORKER)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Create a token" in page
    response = new_token(client, scope="write", days="30")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    [token] = re.findall(TOKEN, body)
    assert response.headers["Cache-Control"] == "no-store"
    # Never in the cookie, and never again on a page.
    assert token not in str(cookie_contents(app, client))
    assert token not in client.get("/account/tokens").get_data(as_text=True)
    record = token_for_call(token)
    assert record.user == partnership.users[Role.CASEWORKER]
    assert record.scope is TokenScope.WRITE
    assert record.expires_at - record.created_at == timedelta(days=30)
    [event] = db.session.scalars(select(AccountEvent))
    assert event.action is AccountAction.TOKEN_CREATED
    assert token not in event.detail


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Enter what the token is for"),
        ({"name": "x" * 121}, "120 characters or fewer"),
        ({"scope": "admin"}, "Select what the token may do"),
        ({"days": "10000"}, "Select how long the token should work"),
        ({"days": "²"}, "Select how long the token should work"),
    ],
)
def test_a_token_form_with_mistakes_creates_nothing(as_role, fields, message):
    client = as_role(Role.CASEWORKER)
    response = new_token(client, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken.id)) is None


def test_the_token_list_shows_state_and_last_use(as_role, partnership, clock_at):
    user = partnership.users[Role.CASEWORKER]
    used, _ = create_token(user, "Used one", scope=TokenScope.READ, days=7)
    create_token(user, "Never used", scope=TokenScope.WRITE)
    db.session.commit()
    token_for_call(used)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert page.count(">Works<") == 2
    assert "Never" in page
    clock_at.move_to(clock.now() + timedelta(days=8))
    page = as_role(Role.CASEWORKER).get("/account/tokens").get_data(as_text=True)
    assert ">Expired<" in page
    assert page.count(">Revoke<") == 1


def test_a_person_revokes_their_own_token(as_role, partnership):
    user = partnership.users[Role.CASEWORKER]
    token, record = create_token(user, "Case system", scope=TokenScope.READ)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    response = client.post_form(
        f"/account/tokens/{record.id}/revoke", {}, form_page="/account/tokens"
    )
    assert response.headers["Location"] == "/account/tokens"
    assert token_for_call(token) is None
    assert "Revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_nobody_revokes_someone_elses_token_from_their_own_page(as_role, partnership):
    token, record = create_token(partnership.users[Role.LEAD], "Board", scope=TokenScope.READ)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    response = client.post_form(
        f"/account/tokens/{record.id}/revoke", {}, form_page="/account/tokens"
    )
    assert response.status_code == 404
    assert token_for_call(token) is not None
    assert (
        client.post_form(
            "/account/tokens/2147483648/revoke", {}, form_page="/account/tokens"
        ).status_code
        == 404
    )


def test_the_account_page_shows_the_person_and_their_history(as_role, partnership):
    user = partnership.users[Role.LEAD]
    create_token(user, "Board pack", scope=TokenScope.READ)
    db.session.commit()
    page = as_role(Role.LEAD).get("/account").get_data(as_text=True)
    assert user.email in page
    assert "1 token that still work" in page
    assert "API token created: Board pack" in page


def test_the_account_pages_need_sign_in(client):
    for path in ("/account", "/account/tokens"):
        assert client.get(path).headers["Location"].startswith("/sign-in")
