"""Need categories: list, add and rename; names unique whatever their case, slugs stable."""

import pytest

from partnership.models import NeedCategory
from tests.admin.conftest import assert_refused, count, find, reload


def test_list_shows_each_need_and_its_identifier(structure, admin_client):
    page = admin_client.get("/admin/needs").get_data(as_text=True)
    assert "Food" in page
    assert "<code>housing</code>" in page
    assert f'href="/admin/needs/{structure.food.id}/edit"' in page


def test_admin_adds_a_need_with_an_identifier_made_from_its_name(structure, admin_client):
    response = admin_client.post_form("/admin/needs/new", {"name": " Transport & travel "})
    assert response.headers["Location"] == "/admin/needs"
    assert find(NeedCategory, name="Transport & travel").slug == "transport-travel"
    page = admin_client.get("/admin/needs").get_data(as_text=True)
    assert "Saved Transport &amp; travel" in page


def test_renaming_a_need_keeps_its_identifier(structure, admin_client):
    url = f"/admin/needs/{structure.food.id}/edit"
    assert 'value="Food"' in admin_client.get(url).get_data(as_text=True)
    assert admin_client.post_form(url, {"name": "Food and drink"}).status_code == 302
    food = reload(NeedCategory, structure.food.id)
    assert (food.name, food.slug) == ("Food and drink", "food")


def test_a_need_may_be_renamed_to_its_own_name_in_another_case(structure, admin_client):
    url = f"/admin/needs/{structure.food.id}/edit"
    assert admin_client.post_form(url, {"name": "FOOD"}).status_code == 302
    assert reload(NeedCategory, structure.food.id).name == "FOOD"


def test_a_new_need_named_like_a_renamed_ones_identifier_gets_its_own(structure, admin_client):
    admin_client.post_form(f"/admin/needs/{structure.food.id}/edit", {"name": "Groceries"})
    response = admin_client.post_form("/admin/needs/new", {"name": "Food"})
    assert response.status_code == 302
    assert find(NeedCategory, name="Food").slug == "food-2"
    assert reload(NeedCategory, structure.food.id).slug == "food"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter the need's name"),
        ("   ", "Enter the need's name"),
        ("x" * 121, "Name must be 120 characters or fewer"),
        ("!!!", "Enter a name with letters or numbers"),
        ("FOOD", "There is already a need called FOOD"),
        (" housing ", "There is already a need called housing"),
    ],
)
def test_adding_refuses_bad_input_and_saves_nothing(structure, admin_client, name, message):
    assert_refused(admin_client.post_form("/admin/needs/new", {"name": name}), message)
    assert count(NeedCategory) == 2


def test_names_stay_unique_after_a_rename(structure, admin_client):
    admin_client.post_form(f"/admin/needs/{structure.food.id}/edit", {"name": "Food and drink"})
    response = admin_client.post_form("/admin/needs/new", {"name": "food AND drink"})
    assert_refused(response, "There is already a need called food AND drink")
    assert count(NeedCategory) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("housing", "There is already a need called housing"),
        ("", "Enter the need's name"),
        ("???", "Enter a name with letters or numbers"),
    ],
)
def test_renaming_refuses_bad_input_and_keeps_the_need(structure, admin_client, name, message):
    response = admin_client.post_form(f"/admin/needs/{structure.food.id}/edit", {"name": name})
    assert_refused(response, message)
    assert reload(NeedCategory, structure.food.id).name == "Food"
