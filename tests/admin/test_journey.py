"""Done when: an admin sets up a new partner and its coordinator, who then signs in."""

from partnership.models import Organisation, Role, User
from tests.admin.conftest import find


def test_admin_adds_an_organisation_and_its_coordinator_who_signs_in(
    structure, admin_client, client
):
    # The admin adds the organisation ...
    response = admin_client.post_form(
        "/admin/organisations/new",
        {
            "name": "Eastside Lunch Club",
            "sector": "vcse",
            "charity_number": "1100001",
            "neighbourhoods": [structure.south.id],
        },
    )
    assert response.headers["Location"] == "/admin/organisations"
    club = find(Organisation, name="Eastside Lunch Club")
    assert "Eastside Lunch Club" in admin_client.get("/admin/organisations").get_data(as_text=True)

    # ... then a coordinator in it, from its list of users.
    page = admin_client.get(f"/admin/users/new?organisation={club.id}").get_data(as_text=True)
    assert f'<option value="{club.id}" selected>' in page
    response = admin_client.post_form(
        "/admin/users/new",
        {
            "name": "Nia Coordinator",
            "email": "Nia@Lunch-Club.example",
            "organisation": club.id,
            "role": "coordinator",
            "password": "given by phone 42",
        },
    )
    nia = find(User, email="nia@lunch-club.example")
    assert response.headers["Location"] == f"/admin/users/{nia.id}"
    assert (nia.organisation_id, nia.role) == (club.id, Role.COORDINATOR)
    listed = admin_client.get(f"/admin/users?organisation={club.id}").get_data(as_text=True)
    assert "Nia Coordinator" in listed

    # The coordinator signs in with the temporary password ...
    response = client.post_form(
        "/sign-in", {"email": "nia@lunch-club.example", "password": "given by phone 42"}
    )
    assert response.headers["Location"] == "/"

    # ... is made to choose a new one before anything else ...
    assert client.get("/").headers["Location"] == "/change-password"
    assert client.get("/admin/users").headers["Location"] == "/change-password"
    page = client.get("/change-password").get_data(as_text=True)
    assert "You signed in with a temporary password" in page
    response = client.post_form(
        "/change-password",
        {
            "current": "given by phone 42",
            "password": "my own long password",
            "confirm": "my own long password",
        },
    )
    assert response.headers["Location"] == "/"

    # ... and lands on the coordinator's home page.
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hello, Nia Coordinator" in page
    assert "Eastside Lunch Club" in page
    assert "You keep your services" in page  # the coordinator's page, not a caseworker's
    assert not find(User, id=nia.id).must_change_password

    # The new password is hers from now on; the temporary one no longer works.
    client.post_form("/sign-out", form_page="/")
    refused = client.post_form(
        "/sign-in", {"email": "nia@lunch-club.example", "password": "given by phone 42"}
    )
    assert refused.status_code == 200
    signed_in = client.post_form(
        "/sign-in", {"email": "nia@lunch-club.example", "password": "my own long password"}
    )
    assert signed_in.headers["Location"] == "/"
