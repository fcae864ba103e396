"""Users: list, create with a temporary password, change, deactivate, reactivate, reset."""

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from partnership.auth.passwords import verify_password
from partnership.auth.tokens import create_token, token_for_call
from partnership.extensions import db
from partnership.models import AccountAction, AccountEvent, Role, TokenScope, User
from tests.admin.conftest import (
    TEMPORARY_PASSWORD,
    assert_refused,
    count,
    error_summary,
    find,
    reload,
)

WRONG = "Enter a correct email address and password"


def sign_in(client, email: str, password: str):
    return client.post_form("/sign-in", {"email": email, "password": password})


def new_user(structure, **changes) -> dict:
    form = {
        "name": "Nia Newcomer",
        "email": "nia@example.org",
        "organisation": structure.pantry.id,
        "role": "caseworker",
        "password": TEMPORARY_PASSWORD,
    }
    return {**form, **changes}


def details(user: User, **changes) -> dict:
    """The change-details form as the page fills it in for `user`."""
    form = {
        "name": user.name,
        "email": user.email,
        "organisation": user.organisation_id,
        "role": user.role.value,
        "neighbourhoods": [n.id for n in user.neighbourhoods],
    }
    return {**form, **changes}


def test_list_shows_everyone_and_filters_by_organisation(structure, admin_client):
    page = admin_client.get("/admin/users").get_data(as_text=True)
    for name in ("Casey Worker", "Cora Ordinator", "Lee Lead", "Otto Outsider", "Lena Leaver"):
        assert name in page
    assert "Deactivated" in page

    page = admin_client.get(f"/admin/users?organisation={structure.pantry.id}").get_data(
        as_text=True
    )
    assert "Cora Ordinator" in page
    assert "Lena Leaver" in page
    assert "Casey Worker" not in page
    assert "Otto Outsider" not in page
    assert f'<option value="{structure.pantry.id}" selected>' in page
    # Adding a user from a filtered list starts in that organisation.
    assert f'href="/admin/users/new?organisation={structure.pantry.id}"' in page


def test_adding_from_an_organisation_starts_with_it_chosen(structure, admin_client):
    page = admin_client.get(f"/admin/users/new?organisation={structure.pantry.id}")
    assert f'<option value="{structure.pantry.id}" selected>' in page.get_data(as_text=True)


def test_the_form_names_its_role_and_neighbourhood_groups(structure, admin_client):
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    legends = [t.strip() for t in re.findall(r"<legend[^>]*>(.*?)</legend>", page, re.DOTALL)]
    assert legends == ["Role", "Neighbourhoods they lead (leads only)"]
    assert "Sees a neighbourhood&#39;s figures, never personal data" in page


def test_admin_creates_a_user_who_must_choose_their_own_password(structure, admin_client):
    form = new_user(structure, email=" Nia.Newcomer@Example.ORG ", role="coordinator")
    response = admin_client.post_form("/admin/users/new", form)
    user = find(User, email="nia.newcomer@example.org")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.name, user.organisation_id, user.role) == (
        "Nia Newcomer",
        structure.pantry.id,
        Role.COORDINATOR,
    )
    assert user.must_change_password
    assert user.active
    assert user.neighbourhoods == []
    assert verify_password(user.password_hash, TEMPORARY_PASSWORD)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created Nia Newcomer" in page
    assert "must choose a new password" in page


def test_admin_creates_a_lead_with_their_neighbourhoods(structure, admin_client):
    form = new_user(
        structure,
        role="lead",
        organisation=structure.council.id,
        neighbourhoods=[structure.south.id, structure.north.id],
    )
    assert admin_client.post_form("/admin/users/new", form).status_code == 302
    lead = find(User, email="nia@example.org")
    assert lead.role is Role.LEAD
    assert [n.name for n in lead.neighbourhoods] == ["Northside", "Southside"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "Enter the user's full name"),
        ({"name": "x" * 121}, "Name must be 120 characters or fewer"),
        ({"email": ""}, "Enter the user's email address"),
        ({"email": "nia.example.org"}, "Enter an email address in the correct format"),
        ({"email": "CaseWorker@Example.org"}, "There is already a user with this email address"),
        ({"organisation": 0}, "Select the user's organisation"),
        ({"organisation": 999999}, "Select the user's organisation"),
        ({"organisation": ""}, "Select the user's organisation"),
        ({"role": ""}, "Select the user's role"),
        ({"role": "superuser"}, "Select the user's role"),
        ({"role": "lead"}, "Select at least one neighbourhood for a lead"),
        ({"neighbourhoods": [1]}, "Only neighbourhood leads are given neighbourhoods"),
        ({"role": "lead", "neighbourhoods": [999999]}, "Select neighbourhoods from the list"),
        ({"password": ""}, "Enter a temporary password"),
        ({"password": "too short"}, "Password must be 12 characters or more"),
        ({"password": "qwertyuiop123"}, "Password is too easy to guess"),
        ({"password": "nia newcomer 2026"}, "must not be made of the name"),
    ],
)
def test_creating_refuses_bad_input_and_saves_nothing(structure, admin_client, changes, message):
    if changes.get("neighbourhoods") == [1]:
        changes["neighbourhoods"] = [structure.north.id]
    response = admin_client.post_form("/admin/users/new", new_user(structure, **changes))
    assert_refused(response, message)
    assert count(User) == 6


def test_admin_changes_a_users_details(structure, admin_client):
    casey = structure.users[Role.CASEWORKER]
    url = f"/admin/users/{casey.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="caseworker@example.org"' in page
    assert f'<option value="{structure.surgery.id}" selected>' in page
    assert 'type="password"' not in page  # passwords are reset, never changed here

    form = details(
        casey,
        name="Casey Case-Worker",
        email="Casey@Example.org",
        organisation=structure.council.id,
        role="coordinator",
    )
    response = admin_client.post_form(url, form)
    assert response.headers["Location"] == f"/admin/users/{casey.id}"
    casey = reload(User, casey.id)
    assert (casey.name, casey.email, casey.organisation_id, casey.role) == (
        "Casey Case-Worker",
        "casey@example.org",
        structure.council.id,
        Role.COORDINATOR,
    )
    assert "Saved Casey Case-Worker" in admin_client.get(f"/admin/users/{casey.id}").get_data(
        as_text=True
    )


def test_the_change_form_shows_a_leads_neighbourhoods_ticked(structure, admin_client):
    lead = structure.users[Role.LEAD]
    page = admin_client.get(f"/admin/users/{lead.id}/edit").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="neighbourhoods"[^>]*>', page)
    ticked = [box for box in boxes if " checked" in box]
    assert len(boxes) == 2
    assert len(ticked) == 1
    assert f'value="{structure.north.id}"' in ticked[0]
    assert re.search(r'value="lead" checked', page)


def test_a_lead_made_a_caseworker_loses_their_neighbourhoods(structure, admin_client):
    lead = structure.users[Role.LEAD]
    form = details(lead, role="caseworker", neighbourhoods=[])
    assert admin_client.post_form(f"/admin/users/{lead.id}/edit", form).status_code == 302
    lead = reload(User, lead.id)
    assert (lead.role, lead.neighbourhoods) == (Role.CASEWORKER, [])


def test_a_user_keeps_their_own_email_in_another_case(structure, admin_client):
    casey = structure.users[Role.CASEWORKER]
    form = details(casey, email="CASEWORKER@example.org")
    assert admin_client.post_form(f"/admin/users/{casey.id}/edit", form).status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "Coordinator@Example.org"}, "There is already a user with this email address"),
        ({"role": "lead"}, "Select at least one neighbourhood for a lead"),
        ({"name": ""}, "Enter the user's full name"),
        ({"organisation": 0}, "Select the user's organisation"),
    ],
)
def test_changing_refuses_bad_input_and_keeps_the_user(structure, admin_client, changes, message):
    casey = structure.users[Role.CASEWORKER]
    form = details(casey, **{"name": "Someone Else", **changes})
    response = admin_client.post_form(f"/admin/users/{casey.id}/edit", form)
    assert_refused(response, message)
    casey = reload(User, casey.id)
    assert (casey.name, casey.email, casey.role) == (
        "Casey Worker",
        "caseworker@example.org",
        Role.CASEWORKER,
    )


def test_an_admin_cannot_take_away_their_own_admin_role(structure, admin_client):
    admin = structure.users[Role.ADMIN]
    form = details(admin, role="coordinator")
    response = admin_client.post_form(f"/admin/users/{admin.id}/edit", form)
    assert_refused(response, "You cannot take away your own admin role")
    assert reload(User, admin.id).role is Role.ADMIN
    assert admin_client.get("/admin/users").status_code == 200


def test_a_deactivated_user_is_signed_out_on_their_next_request(structure, admin_client, client):
    cora = structure.users[Role.COORDINATOR]
    assert sign_in(client, cora.email, structure.password).status_code == 302
    assert client.get("/").status_code == 200

    response = admin_client.post_form(f"/admin/users/{cora.id}/deactivate", form_page="/")
    assert response.headers["Location"] == f"/admin/users/{cora.id}"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deactivated Cora Ordinator. They have been signed out." in page
    assert f"Reactivate {cora.name}" in page
    assert not reload(User, cora.id).active

    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert WRONG in sign_in(client, cora.email, structure.password).get_data(as_text=True)


def test_an_admin_cannot_deactivate_themself(structure, admin_client):
    admin = structure.users[Role.ADMIN]
    page = admin_client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Deactivate " not in page  # no button to press

    response = admin_client.post_form(f"/admin/users/{admin.id}/deactivate", form_page="/")
    assert response.headers["Location"] == f"/admin/users/{admin.id}"
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot deactivate your own account" in page
    assert reload(User, admin.id).active
    assert admin_client.get("/admin/users").status_code == 200


def test_a_reactivated_user_can_sign_in_again(structure, admin_client, client):
    leaver = structure.leaver
    page = admin_client.get(f"/admin/users/{leaver.id}").get_data(as_text=True)
    assert "Reactivate Lena Leaver" in page
    assert WRONG in sign_in(client, leaver.email, structure.password).get_data(as_text=True)

    response = admin_client.post_form(f"/admin/users/{leaver.id}/reactivate", form_page="/")
    assert response.headers["Location"] == f"/admin/users/{leaver.id}"
    assert "Reactivated Lena Leaver" in admin_client.get(f"/admin/users/{leaver.id}").get_data(
        as_text=True
    )
    assert reload(User, leaver.id).active
    assert sign_in(client, leaver.email, structure.password).status_code == 302
    assert "Hello, Lena Leaver" in client.get("/").get_data(as_text=True)


def test_a_temporary_password_ends_sessions_and_must_be_changed(structure, admin_client, client):
    casey = structure.users[Role.CASEWORKER]
    sign_in(client, casey.email, structure.password)
    assert client.get("/").status_code == 200

    url = f"/admin/users/{casey.id}/temporary-password"
    response = admin_client.post_form(url, {"password": TEMPORARY_PASSWORD})
    assert response.headers["Location"] == f"/admin/users/{casey.id}"
    assert "Set a temporary password for Casey Worker" in admin_client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    casey = reload(User, casey.id)
    assert casey.must_change_password
    assert verify_password(casey.password_hash, TEMPORARY_PASSWORD)

    assert client.get("/").headers["Location"].startswith("/sign-in")  # signed out
    assert WRONG in sign_in(client, casey.email, structure.password).get_data(as_text=True)
    assert sign_in(client, casey.email, TEMPORARY_PASSWORD).status_code == 302
    assert client.get("/").headers["Location"] == "/change-password"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter a temporary password"),
        ("too short", "Password must be 12 characters or more"),
        ("passwordpassword", "Password is too easy to guess"),
        ("caseworker@example.org", "must not contain the email address"),
    ],
)
def test_a_bad_temporary_password_is_refused_and_changes_nothing(
    structure, admin_client, password, message
):
    casey = structure.users[Role.CASEWORKER]
    before = casey.password_hash
    url = f"/admin/users/{casey.id}/temporary-password"
    assert_refused(admin_client.post_form(url, {"password": password}), message)
    casey = reload(User, casey.id)
    assert casey.password_hash == before
    assert not casey.must_change_password


def test_the_user_page_lists_tokens_and_an_admin_revokes_one(structure, admin_client):
    casey = structure.users[Role.CASEWORKER]
    token, record = create_token(casey, "Case system", scope=TokenScope.READ)
    db.session.commit()
    page = admin_client.get(f"/admin/users/{casey.id}").get_data(as_text=True)
    assert "Case system" in page
    assert record.prefix in page
    assert token not in page
    url = f"/admin/users/{casey.id}/tokens/{record.id}/revoke"
    response = admin_client.post_form(url, {}, form_page=f"/admin/users/{casey.id}")
    assert response.headers["Location"] == f"/admin/users/{casey.id}"
    assert token_for_call(token) is None
    page = admin_client.get(f"/admin/users/{casey.id}").get_data(as_text=True)
    assert "API token revoked: Case system" in page
    assert "Ada Admin" in page or "By" in page


def test_an_admin_revokes_only_through_the_tokens_owner(structure, admin_client):
    casey, lena = structure.users[Role.CASEWORKER], structure.users[Role.LEAD]
    token, record = create_token(casey, "Case system", scope=TokenScope.READ)
    db.session.commit()
    url = f"/admin/users/{lena.id}/tokens/{record.id}/revoke"
    assert admin_client.post_form(url, {}, form_page="/admin/users").status_code == 404
    assert token_for_call(token) is not None


def test_deactivating_and_resetting_are_in_the_account_history(structure, admin_client):
    casey = structure.users[Role.CASEWORKER]
    admin_client.post_form(
        f"/admin/users/{casey.id}/deactivate", {}, form_page=f"/admin/users/{casey.id}"
    )
    admin_client.post_form(
        f"/admin/users/{casey.id}/reactivate", {}, form_page=f"/admin/users/{casey.id}"
    )
    admin_client.post_form(
        f"/admin/users/{casey.id}/temporary-password", {"password": TEMPORARY_PASSWORD}
    )
    events = db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == casey.id).order_by(AccountEvent.id)
    ).all()
    assert [event.action for event in events] == [
        AccountAction.DEACTIVATED,
        AccountAction.REACTIVATED,
        AccountAction.TEMPORARY_PASSWORD,
    ]
    assert {event.by_user.role for event in events} == {Role.ADMIN}
    page = admin_client.get(f"/admin/users/{casey.id}").get_data(as_text=True)
    for words in ("Deactivated", "Reactivated", "Temporary password set"):
        assert words in page


def test_every_error_shows_at_once_not_a_few_at_a_time(structure, admin_client):
    """The rules that need the database (organisation, email in use, a lead's
    neighbourhoods) are checked with the form's own, not only once those pass."""
    form = {
        "name": "",
        "email": "caseworker@example.org",  # in use
        "organisation": 0,
        "role": "lead",
        "password": "",
    }
    response = admin_client.post_form("/admin/users/new", form)
    summary = error_summary(response)
    for message in (
        "Enter the user's full name",
        "There is already a user with this email address",
        "Select the user's organisation",
        "Select at least one neighbourhood for a lead",
        "Enter a temporary password",
    ):
        assert str(escape(message)) in summary, message
    assert count(User) == 6


def test_every_error_shows_at_once_when_changing_a_user(structure, admin_client):
    casey = find(User, email="caseworker@example.org")
    form = details(casey, name="", email="lead@example.org", organisation=0, role="lead")
    summary = error_summary(admin_client.post_form(f"/admin/users/{casey.id}/edit", form))
    for message in (
        "Enter the user's full name",
        "There is already a user with this email address",
        "Select the user's organisation",
        "Select at least one neighbourhood for a lead",
    ):
        assert str(escape(message)) in summary, message
    assert reload(User, casey.id).role is Role.CASEWORKER
