"""Neighbourhoods: list, add and change, with ONS codes checked and names kept unique."""

import pytest

from partnership.models import Neighbourhood
from tests.admin.conftest import assert_refused, count, find, reload


def test_list_shows_each_neighbourhood_with_its_ons_code(structure, admin_client):
    page = admin_client.get("/admin/neighbourhoods").get_data(as_text=True)
    assert "Northside" in page
    assert "E05000001" in page
    assert "Southside" in page
    assert f'href="/admin/neighbourhoods/{structure.south.id}/edit"' in page


def test_admin_adds_a_neighbourhood_with_a_tidied_ons_code(structure, admin_client):
    response = admin_client.post_form(
        "/admin/neighbourhoods/new", {"name": "  Eastside ", "ons_code": " e05 000 003"}
    )
    assert response.headers["Location"] == "/admin/neighbourhoods"
    assert find(Neighbourhood, name="Eastside").ons_code == "E05000003"
    page = admin_client.get("/admin/neighbourhoods").get_data(as_text=True)
    assert "Saved Eastside" in page
    assert "E05000003" in page


def test_the_ons_code_is_optional(structure, admin_client):
    admin_client.post_form("/admin/neighbourhoods/new", {"name": "Westside", "ons_code": ""})
    assert count(Neighbourhood) == 3
    page = admin_client.get("/admin/neighbourhoods").get_data(as_text=True)
    assert "Westside" in page
    assert "Not given" in page


def test_admin_changes_a_neighbourhood(structure, admin_client):
    url = f"/admin/neighbourhoods/{structure.north.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="Northside"' in page
    assert 'value="E05000001"' in page
    response = admin_client.post_form(url, {"name": "North End", "ons_code": "W05000009"})
    assert response.status_code == 302
    north = reload(Neighbourhood, structure.north.id)
    assert (north.name, north.ons_code) == ("North End", "W05000009")


def test_a_neighbourhood_may_keep_its_own_name_and_code_in_another_case(structure, admin_client):
    url = f"/admin/neighbourhoods/{structure.north.id}/edit"
    response = admin_client.post_form(url, {"name": "NORTHSIDE", "ons_code": "e05000001"})
    assert response.status_code == 302
    assert reload(Neighbourhood, structure.north.id).name == "NORTHSIDE"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "ons_code": ""}, "Enter the neighbourhood's name"),
        ({"name": "   ", "ons_code": ""}, "Enter the neighbourhood's name"),
        ({"name": "x" * 121, "ons_code": ""}, "Name must be 120 characters or fewer"),
        (
            {"name": "southside", "ons_code": ""},
            "There is already a neighbourhood called southside",
        ),
        ({"name": "Eastside", "ons_code": "E0500000"}, "Enter an ONS code of a letter and 8"),
        ({"name": "Eastside", "ons_code": "X05000003"}, "Enter an ONS code of a letter and 8"),
        ({"name": "Eastside", "ons_code": "ward 3"}, "Enter an ONS code of a letter and 8"),
        (
            {"name": "Eastside", "ons_code": "e05 000 002"},
            "Another neighbourhood has the ONS code E05000002",
        ),
    ],
)
def test_adding_refuses_bad_input_and_saves_nothing(structure, admin_client, form, message):
    response = admin_client.post_form("/admin/neighbourhoods/new", form)
    assert_refused(response, message)
    assert count(Neighbourhood) == 2


def test_every_mistake_is_listed_at_once(structure, admin_client):
    response = admin_client.post_form("/admin/neighbourhoods/new", {"name": "", "ons_code": "E1"})
    assert_refused(response, "Enter the neighbourhood's name")
    assert_refused(response, "Enter an ONS code of a letter and 8 digits")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"name": "SOUTHSIDE", "ons_code": ""},
            "There is already a neighbourhood called SOUTHSIDE",
        ),
        (
            {"name": "Northside", "ons_code": "E05000002"},
            "Another neighbourhood has the ONS code E05000002",
        ),
        ({"name": "", "ons_code": "E05000001"}, "Enter the neighbourhood's name"),
    ],
)
def test_changing_refuses_bad_input_and_keeps_the_neighbourhood(
    structure, admin_client, form, message
):
    response = admin_client.post_form(f"/admin/neighbourhoods/{structure.north.id}/edit", form)
    assert_refused(response, message)
    north = reload(Neighbourhood, structure.north.id)
    assert (north.name, north.ons_code) == ("Northside", "E05000001")
