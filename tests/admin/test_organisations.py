"""Member organisations: sector, ODS code or charity number, and the neighbourhoods served."""

import re

import pytest

from partnership.models import Organisation, Sector
from tests.admin.conftest import assert_refused, count, find, reload


def checked(page: str, name: str) -> set[str]:
    """The values of the ticked checkboxes or chosen radios called `name`."""
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return {re.search(r'value="([^"]*)"', i).group(1) for i in inputs if " checked" in i}


def legends(page: str) -> list[str]:
    return [text.strip() for text in re.findall(r"<legend[^>]*>(.*?)</legend>", page, re.DOTALL)]


def test_list_shows_sector_codes_and_neighbourhoods_served(structure, admin_client):
    page = admin_client.get("/admin/organisations").get_data(as_text=True)
    assert "Northside Surgery" in page
    assert "ODS code Y00001" in page
    assert "Charity 1234567" in page
    assert "Voluntary, community and social enterprise" in page
    assert "Northside, Southside" in page
    assert f'href="/admin/users?organisation={structure.pantry.id}"' in page


def test_the_form_offers_sector_radios_and_neighbourhood_checkboxes(structure, admin_client):
    page = admin_client.get("/admin/organisations/new").get_data(as_text=True)
    sectors = re.findall(r'<input[^>]*name="sector" type="radio" value="([^"]+)"', page)
    assert sectors == ["nhs", "council", "vcse", "other"]
    boxes = re.findall(r'<input[^>]*name="neighbourhoods"[^>]*type="checkbox"[^>]*>', page)
    assert len(boxes) == 2
    assert f'value="{structure.north.id}"' in boxes[0]
    # Each group is named by its legend, for screen readers as for everyone else.
    assert legends(page) == ["Sector", "Neighbourhoods served"]


def test_admin_adds_an_nhs_organisation_with_an_ods_code(structure, admin_client):
    response = admin_client.post_form(
        "/admin/organisations/new",
        {
            "name": " Eastside Practice ",
            "sector": "nhs",
            "ods_code": "p84 001",
            "neighbourhoods": [structure.north.id, structure.south.id],
        },
    )
    assert response.headers["Location"] == "/admin/organisations"
    added = find(Organisation, name="Eastside Practice")
    assert added.sector is Sector.NHS
    assert added.ods_code == "P84001"
    assert added.charity_number is None
    assert [n.name for n in added.neighbourhoods] == ["Northside", "Southside"]
    assert "Saved Eastside Practice" in admin_client.get("/admin/organisations").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("sector", "typed", "stored"),
    [
        ("vcse", "1100001", "1100001"),
        ("vcse", "sc012345", "SC012345"),
        ("other", "NIC 100001", "NIC100001"),
        ("other", "", None),
    ],
)
def test_admin_adds_a_voluntary_organisation_with_a_charity_number(
    structure, admin_client, sector, typed, stored
):
    response = admin_client.post_form(
        "/admin/organisations/new",
        {"name": "Eastside Lunch Club", "sector": sector, "charity_number": typed},
    )
    assert response.status_code == 302
    added = find(Organisation, name="Eastside Lunch Club")
    assert (added.sector.value, added.charity_number, added.neighbourhoods) == (sector, stored, [])


def test_admin_changes_an_organisation_and_the_neighbourhoods_it_serves(structure, admin_client):
    url = f"/admin/organisations/{structure.pantry.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert checked(page, "sector") == {"vcse"}
    assert checked(page, "neighbourhoods") == {str(structure.north.id), str(structure.south.id)}
    assert 'value="1234567"' in page

    response = admin_client.post_form(
        url,
        {
            "name": "Southside Community Pantry",
            "sector": "other",
            "charity_number": "1234567",
            "neighbourhoods": [structure.south.id],
        },
    )
    assert response.status_code == 302
    pantry = reload(Organisation, structure.pantry.id)
    assert pantry.name == "Southside Community Pantry"
    assert pantry.sector is Sector.OTHER
    assert pantry.charity_number == "1234567"
    assert [n.name for n in pantry.neighbourhoods] == ["Southside"]


def test_unticking_every_neighbourhood_leaves_none_served(structure, admin_client):
    url = f"/admin/organisations/{structure.council.id}/edit"
    response = admin_client.post_form(url, {"name": "Borough Council", "sector": "council"})
    assert response.status_code == 302
    assert reload(Organisation, structure.council.id).neighbourhoods == []


NEW = {"name": "Eastside Practice", "sector": "nhs"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({**NEW, "name": ""}, "Enter the organisation's name"),
        ({**NEW, "name": "  "}, "Enter the organisation's name"),
        ({**NEW, "name": "x" * 201}, "Name must be 200 characters or fewer"),
        ({"name": "Eastside Practice"}, "Select the organisation's sector"),
        ({**NEW, "sector": "charity"}, "Select the organisation's sector"),
        ({**NEW, "name": "NORTHSIDE surgery"}, "There is already an organisation called NORTHSIDE"),
        ({**NEW, "ods_code": "P8"}, "Enter an ODS code of 3 to 6 letters and numbers"),
        ({**NEW, "ods_code": "P84-001"}, "Enter an ODS code of 3 to 6 letters and numbers"),
        ({**NEW, "ods_code": "y00001"}, "Another organisation has the ODS code Y00001"),
        ({**NEW, "sector": "council", "ods_code": "P84001"}, "Only NHS organisations have an ODS"),
        ({**NEW, "sector": "vcse", "ods_code": "P84001"}, "Only NHS organisations have an ODS"),
        ({**NEW, "charity_number": "1100001"}, "Only voluntary sector organisations have a"),
        (
            {**NEW, "sector": "council", "charity_number": "1100001"},
            "Only voluntary sector organisations have a charity number",
        ),
        ({**NEW, "sector": "vcse", "charity_number": "12345"}, "Enter a charity number of 6 to 8"),
        ({**NEW, "sector": "vcse", "charity_number": "SC12345"}, "Enter a charity number of 6"),
        (
            {**NEW, "sector": "vcse", "charity_number": "1234567"},
            "Another organisation has the charity number 1234567",
        ),
        ({**NEW, "neighbourhoods": "999999"}, "Select neighbourhoods from the list"),
        ({**NEW, "neighbourhoods": "north"}, "Select neighbourhoods from the list"),
    ],
)
def test_adding_refuses_bad_input_and_saves_nothing(structure, admin_client, form, message):
    response = admin_client.post_form("/admin/organisations/new", form)
    assert_refused(response, message)
    assert count(Organisation) == 3


def test_every_mistake_is_listed_at_once(structure, admin_client):
    form = {"name": "", "sector": "vcse", "ods_code": "1", "charity_number": "2"}
    response = admin_client.post_form("/admin/organisations/new", form)
    for message in (
        "Enter the organisation's name",
        "Enter an ODS code of 3 to 6 letters and numbers",
        "Enter a charity number of 6 to 8 digits",
    ):
        assert_refused(response, message)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Borough COUNCIL", "sector": "nhs"}, "There is already an organisation called"),
        # Changing the sector leaves an ODS code that only NHS organisations have.
        ({"name": "Northside Surgery", "sector": "council", "ods_code": "Y00001"}, "Only NHS"),
        ({"name": "", "sector": "nhs"}, "Enter the organisation's name"),
    ],
)
def test_changing_refuses_bad_input_and_keeps_the_organisation(
    structure, admin_client, form, message
):
    url = f"/admin/organisations/{structure.surgery.id}/edit"
    response = admin_client.post_form(url, {**form, "neighbourhoods": [structure.south.id]})
    assert_refused(response, message)
    surgery = reload(Organisation, structure.surgery.id)
    assert (surgery.name, surgery.sector, surgery.ods_code) == (
        "Northside Surgery",
        Sector.NHS,
        "Y00001",
    )
    assert [n.name for n in surgery.neighbourhoods] == ["Northside"]


def test_an_organisation_keeps_its_own_codes_when_changed(structure, admin_client):
    url = f"/admin/organisations/{structure.surgery.id}/edit"
    form = {"name": "Northside Surgery", "sector": "nhs", "ods_code": "Y00001"}
    assert admin_client.post_form(url, form).status_code == 302
