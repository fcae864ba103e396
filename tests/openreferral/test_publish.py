"""The public Open Referral UK API: what it publishes, how it filters and pages, its errors."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import update

from partnership.extensions import db
from partnership.models import Service
from partnership.openreferral.taxonomy import need_term_id
from tests.openreferral.conftest import page_errors, schema_errors, standard_file


def names(page: dict) -> list[str]:
    return [item["name"] for item in page["contents"]]


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_the_root_says_which_standard_and_profile(client):
    info = get_json(client, "/openreferral/")

    assert info["version"] == "3.0"
    assert "uk-profile" in info["profile"].lower()


def test_a_service_validates_against_the_uk_profile(client, directory):
    document = get_json(client, f"/openreferral/services/{directory.pantry.uuid}")

    assert schema_errors(document, "service.json") == []
    assert UUID(document["id"]) == directory.pantry.uuid
    assert UUID(document["organization"]["id"]) == directory.partnership.pantry.uuid
    assert document["status"] == "active"
    assert document["email"] == "food@pantry.example.org"
    assert document["url"] == "https://pantry.example.org/food"
    assert [p["number"] for p in document["phones"]] == ["0161 496 0000"]
    assert {a["taxonomy_term"]["term"] for a in document["attributes"]} == {
        "food",
        "money-and-debt",
    }
    assert {a["name"] for a in document["service_areas"]} == {"Northside", "Southside"}
    assert document["organization"]["organization_identifiers"][0]["identifier"] == "1234567"


def test_capacity_travels_as_an_extension_without_the_free_text(client, directory):
    pantry = get_json(client, f"/openreferral/services/{directory.pantry.uuid}")
    debt = get_json(client, f"/openreferral/services/{directory.debt.uuid}")
    walking = get_json(client, f"/openreferral/services/{directory.walking.uuid}")

    assert pantry["partnership_capacity"]["status"] == "limited"
    assert pantry["partnership_capacity"]["places_available"] == 4
    assert debt["partnership_capacity"]["wait_band"] == "1-4-weeks"
    assert walking["partnership_capacity"]["status"] == "closed"
    assert walking["status"] == "temporarily closed"
    assert "Mrs Example" not in str(pantry)


def test_the_list_validates_against_the_uk_profile(client, directory):
    page = get_json(client, "/openreferral/services")

    assert page_errors(page) == []
    assert page["total_items"] == 3
    assert names(page) == ["Money Advice Drop-in", "Southside Food Bank", "Walking for Health"]


def test_ids_are_uuids_everywhere(client, directory):
    document = get_json(client, f"/openreferral/services/{directory.walking.uuid}")

    ids = [document["id"], document["organization"]["id"]]
    ids += [a["id"] for a in document["attributes"]]
    ids += [a["taxonomy_term"]["id"] for a in document["attributes"]]
    ids += [a["id"] for a in document["service_areas"]]
    for value in ids:
        UUID(value)
    assert len(set(ids)) == len(ids)


def test_paging_fields(client, directory):
    first = get_json(client, "/openreferral/services?per_page=2")
    second = get_json(client, "/openreferral/services?per_page=2&page=2")
    beyond = get_json(client, "/openreferral/services?per_page=2&page=3")

    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 3,
        "total_pages": 2,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    assert (second["size"], second["first_page"], second["last_page"]) == (1, False, True)
    assert (beyond["size"], beyond["empty"], beyond["contents"]) == (0, True, [])
    far = get_json(client, f"/openreferral/services?page={10**20}")
    assert (far["empty"], far["last_page"], far["total_items"]) == (True, True, 3)
    assert names(first) + names(second) == names(get_json(client, "/openreferral/services"))


def test_per_page_is_capped(client, directory):
    organisation = directory.partnership.council
    db.session.add_all(Service(organisation=organisation, name=f"Extra {n}") for n in range(110))

    page = get_json(client, "/openreferral/services?per_page=1000")

    assert page["total_items"] == 113
    assert page["size"] == 100
    assert page["total_pages"] == 2


def test_an_empty_directory_is_an_empty_page(client):
    page = get_json(client, "/openreferral/services")

    assert page["empty"] is True
    assert page["total_items"] == 0
    assert page_errors(page) == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("food", ["Southside Food Bank"]),
        ("ADVICE", ["Money Advice Drop-in"]),
        ("community pantry", ["Southside Food Bank"]),  # every word, name or description
        ("gentle tuesday", ["Walking for Health"]),
        ("food tuesday", []),
        ("100%", []),  # wildcards are matched as themselves
    ],
)
def test_search_matches_every_word(client, directory, search, expected):
    assert names(get_json(client, f"/openreferral/services?search={search}")) == expected


def test_filter_by_taxonomy_term(client, directory):
    money = need_term_id("money-and-debt")
    unknown = uuid4()

    assert names(get_json(client, f"/openreferral/services?taxonomy_term_id={money}")) == [
        "Money Advice Drop-in",
        "Southside Food Bank",
    ]
    assert names(get_json(client, f"/openreferral/services?taxonomy_term_id={unknown}")) == []


def test_the_published_term_id_filters(client, directory):
    walking = get_json(client, f"/openreferral/services/{directory.walking.uuid}")
    term = walking["attributes"][0]["taxonomy_term_id"]

    found = names(get_json(client, f"/openreferral/services?taxonomy_term_id={term}"))

    assert "Walking for Health" in found


def test_filter_by_organisation(client, directory):
    council = directory.partnership.council.uuid

    page = get_json(client, f"/openreferral/services?organization_id={council}")

    assert names(page) == ["Money Advice Drop-in"]
    assert names(get_json(client, f"/openreferral/services?organization_id={uuid4()}")) == []


def test_filter_by_modified_after(client, directory):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    db.session.execute(
        update(Service).where(Service.id != directory.pantry.id).values(updated_at=long_ago)
    )

    recent = get_json(client, "/openreferral/services?modified_after=2025-01-01T00:00:00Z")
    everything = get_json(client, "/openreferral/services?modified_after=2019-12-31")
    naive = get_json(client, "/openreferral/services?modified_after=2020-01-01T00:00:00")
    offset = (long_ago + timedelta(minutes=30)).isoformat()  # "+00:00", sent unescaped
    later = get_json(client, f"/openreferral/services?modified_after={offset}")

    assert names(recent) == ["Southside Food Bank"]
    assert everything["total_items"] == 3
    assert naive["total_items"] == 3  # on or after
    assert names(later) == ["Southside Food Bank"]


def test_filters_combine(client, directory):
    money = need_term_id("money-and-debt")
    pantry = directory.partnership.pantry.uuid

    page = get_json(
        client, f"/openreferral/services?taxonomy_term_id={money}&organization_id={pantry}"
    )

    assert names(page) == ["Southside Food Bank"]


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        "per_page=0",
        "per_page=1.5",
        "modified_after=garbage",
        "modified_after=2024-13-40",
        "modified_after=0001-01-01T00:00:00%2B01:00",
        "taxonomy_term_id=food",
        "organization_id=12",
        "search=" + "x" * 201,
    ],
)
def test_bad_query_values_are_problems_not_errors(client, query):
    response = client.get(f"/openreferral/services?{query}")

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    problem = response.get_json()
    assert set(problem) == {"type", "title", "status", "detail"}
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert query.split("=")[0] in problem["detail"]


@pytest.mark.parametrize(
    "service_id", ["0b6a1f1e-5c3d-4e8b-9a7f-2d4c6e8f0a1b", "not-a-uuid", "1", "%00"]
)
def test_unknown_and_malformed_ids_are_404_problems(client, directory, service_id):
    response = client.get(f"/openreferral/services/{service_id}")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["status"] == 404


def test_other_paths_and_methods_answer_in_json_with_cors(client, directory):
    missing = client.get("/openreferral/organizations")
    posted = client.post("/openreferral/services", json={"name": "Sneaky"})
    deleted = client.delete(f"/openreferral/services/{directory.pantry.uuid}")

    assert missing.status_code == 404
    assert (posted.status_code, deleted.status_code) == (405, 405)
    for response in (missing, posted, deleted):
        assert response.mimetype == "application/problem+json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert db.session.get(Service, directory.pantry.id) is not None


def test_directory_data_only(client, directory):
    """Standard fields and our documented extras: nothing about referrals or users."""
    document = get_json(client, f"/openreferral/services/{directory.pantry.uuid}")
    text = client.get("/openreferral/services?per_page=100").get_data(as_text=True)

    standard = set(standard_file("schema/service.json")["properties"])
    extras = {"phones", "eligibility_description", "application_process", "partnership_capacity"}
    assert set(document) <= standard | extras
    assert set(document["partnership_capacity"]) == {
        "status",
        "places_available",
        "wait_band",
        "updated",
    }
    for user in [*directory.partnership.users.values(), directory.partnership.outsider]:
        assert user.email not in text
        assert user.name not in text
