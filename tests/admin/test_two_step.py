"""An admin sees whether someone uses two-step sign-in, and resets it when they lose it."""

from sqlalchemy import func, select

from partnership.auth import two_step
from partnership.extensions import db
from partnership.models import AccountAction, AccountEvent, RecoveryCode, Role, User
from partnership.models.accounts import SignedInSession
from tests.admin.conftest import reload
from tests.auth.test_two_step import turn_on
from tests.conftest import sign_in_as


def reset(admin_client, user):
    url = f"/admin/users/{user.id}/reset-two-step"
    return admin_client.post_form(url, form_page=f"/admin/users/{user.id}")


def test_the_user_page_says_whether_two_step_sign_in_is_on(
    app, structure, admin_client, monkeypatch
):
    person = structure.users[Role.CASEWORKER]
    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Two-step sign-in" in page and "Reset two-step sign-in" not in page
    turn_on(structure.users[Role.ADMIN])  # or they too would be sent to set it up
    monkeypatch.setitem(app.config, "PARTNERSHIP_REQUIRE_TWO_STEP", True)
    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Off, required: they set it up when they next sign in" in page
    turn_on(person)
    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "On since" in page and "Reset two-step sign-in" in page


def test_resetting_forgets_it_signs_them_out_and_is_recorded(structure, admin_client, app):
    person = structure.users[Role.CASEWORKER]
    turn_on(person)
    version = person.session_version
    their_browser = sign_in_as(app.test_client(), person)
    assert their_browser.get("/").status_code == 200

    response = reset(admin_client, person)
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Reset two-step sign-in for {person.name}. They have been signed out." in page

    person = reload(User, person.id)
    assert person.two_step_secret is None
    assert person.two_step_enabled_at is None and person.two_step_last_step is None
    assert person.session_version == version + 1
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert (
        db.session.scalar(
            select(func.count()).where(
                SignedInSession.user_id == person.id, SignedInSession.ended_at.is_(None)
            )
        )
        == 0
    )
    assert their_browser.get("/").headers["Location"].startswith("/sign-in")
    [event] = db.session.scalars(
        select(AccountEvent).where(AccountEvent.action == AccountAction.TWO_STEP_RESET)
    )
    assert event.user_id == person.id and event.by_user_id == structure.users[Role.ADMIN].id

    # Their password alone signs them in again.
    response = app.test_client().post_form(
        "/sign-in", {"email": person.email, "password": structure.password}
    )
    assert response.headers["Location"] == "/"


def test_an_admin_cannot_reset_their_own(structure, admin_client):
    admin = structure.users[Role.ADMIN]
    turn_on(admin)
    page = admin_client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" not in page
    response = reset(admin_client, admin)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot reset your own two-step sign-in" in page
    assert two_step.is_on(reload(User, admin.id))


def test_a_reset_without_the_forms_token_changes_nothing(structure, admin_client):
    person = structure.users[Role.CASEWORKER]
    turn_on(person)
    response = admin_client.post(f"/admin/users/{person.id}/reset-two-step")
    assert response.status_code == 400
    assert two_step.is_on(reload(User, person.id))
