"""The directory over the JSON API: bearer tokens, filters, capacity posts, problem+json."""

import pytest
from sqlalchemy import func, select

from partnership.auth.tokens import revoke_token
from partnership.extensions import db
from partnership.models import ApiToken, CapacityUpdate, Event, Role, Service, TokenScope
from tests import factories
from tests.api.conftest import ApiClient


def _is_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    return body


@pytest.fixture
def directory(app, partnership):
    food = factories.need("food", "Food")
    debt = factories.need("money-and-debt", "Money and debt")
    pantry = factories.service(
        partnership.pantry, name="Southside food parcels", places=4, min_age=18
    )
    pantry.needs, pantry.neighbourhoods = [food], [partnership.north, partnership.south]
    advice = factories.service(partnership.council, name="Debt advice", places=None, max_age=64)
    advice.needs, advice.neighbourhoods = [debt], [partnership.south]
    full = factories.service(partnership.pantry, name="Hot meals", places=0, status="full")
    full.needs, full.neighbourhoods = [food], [partnership.north]
    db.session.commit()
    return {"pantry": pantry, "advice": advice, "full": full}


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer "])
def test_no_valid_token_is_401(client, partnership, header):
    headers = {"Authorization": header} if header else {}
    _is_problem(client.get("/api/v1/services", headers=headers), 401)


def test_a_revoked_token_is_401(app, client, caseworker_api):
    revoke_token(db.session.scalar(select(ApiToken)))
    db.session.commit()
    _is_problem(caseworker_api.get("/services"), 401)


def test_a_browser_session_does_not_authorise_the_api(as_role):
    client = as_role(Role.CASEWORKER)
    _is_problem(client.get("/api/v1/services"), 401)


def test_the_api_sets_no_cookie(caseworker_api, directory):
    assert "Set-Cookie" not in caseworker_api.get("/services").headers


def test_search_by_need_neighbourhood_age_and_places(caseworker_api, directory, partnership):
    def names(**query):
        response = caseworker_api.get("/services", query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return sorted(item["name"] for item in response.get_json()["items"])

    assert names() == ["Debt advice", "Hot meals", "Southside food parcels"]
    assert names(need="food") == ["Hot meals", "Southside food parcels"]
    assert names(need="food", has_places="true") == ["Southside food parcels"]
    assert names(neighbourhood=partnership.south.id) == ["Debt advice", "Southside food parcels"]
    assert names(age=70) == ["Hot meals", "Southside food parcels"]
    assert names(age=16) == ["Debt advice", "Hot meals"]
    assert names(q="parcels") == ["Southside food parcels"]


def test_results_are_paged(caseworker_api, directory):
    body = caseworker_api.get("/services", query_string={"per_page": 2, "page": 2}).get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 3, 2)
    assert len(body["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"age": "old"}, "age"),
        ({"age": -1}, "age"),
        ({"per_page": 1000}, "per_page"),
        ({"page": 0}, "page"),
        ({"need": "no-such-need"}, "need"),
        ({"neighbourhood": 999999}, "neighbourhood"),
        # A query string's integer is ASCII digits and a boolean is true or false, nothing
        # a conversion might guess at.
        ({"page": "2.0"}, "page"),
        ({"page": "+2"}, "page"),
        ({"page": " 2"}, "page"),
        ({"per_page": "2_0"}, "per_page"),
        ({"age": "²"}, "age"),
        ({"has_places": "1"}, "has_places"),
        ({"has_places": "yes"}, "has_places"),
    ],
)
def test_bad_filters_are_422(caseworker_api, directory, query, field):
    body = _is_problem(caseworker_api.get("/services", query_string=query), 422)
    assert field in [error["field"] for error in body["errors"]]


def test_one_service_carries_capacity_and_record(caseworker_api, directory):
    service = directory["pantry"]
    body = caseworker_api.get(f"/services/{service.id}").get_json()
    assert body["uuid"] == str(service.uuid)
    assert body["organisation"]["sector"] == "vcse"
    assert body["needs"] == ["food"]
    assert body["capacity"]["places_available"] == 4
    assert body["capacity"]["status"] == "open"
    assert body["record"] == {
        "answered": 0,
        "enough_data": False,
        "accepted_share": None,
        "median_hours_to_reply": None,
    }


def test_an_unknown_service_is_a_404_problem(caseworker_api, directory):
    _is_problem(caseworker_api.get("/services/999999"), 404)


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(CapacityUpdate)),
        db.session.scalar(select(func.count()).select_from(Event)),
    )


def test_a_coordinator_posts_capacity_for_their_service(coordinator_api, directory):
    service = directory["pantry"]
    response = coordinator_api.put(
        f"/services/{service.id}/capacity",
        json={"status": "limited", "places_available": 3, "note": "Two volunteers off"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["capacity"]["places_available"] == 3
    db.session.expire_all()
    assert db.session.get(Service, service.id).capacity_status.value == "limited"
    assert _counts() == (1, 1)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.LEAD, Role.ADMIN])
def test_anyone_else_gets_404_and_nothing_changes(api_as, partnership, directory, role):
    api = api_as(partnership.users[role])
    response = api.put(
        f"/services/{directory['pantry'].id}/capacity",
        json={"status": "full", "places_available": 0},
    )
    _is_problem(response, 404)
    assert _counts() == (0, 0)


def test_another_organisations_coordinator_gets_404(api_as, partnership, directory):
    other = factories.service(partnership.council, name="Council service", places=2)
    db.session.commit()
    api = api_as(partnership.users[Role.COORDINATOR])  # a coordinator at the pantry
    _is_problem(api.put(f"/services/{other.id}/capacity", json={"status": "full"}), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "bursting"}, "status"),
        ({"status": "open", "places_available": -1}, "places_available"),
        ({"status": "open", "places_available": "many"}, "places_available"),
        ({"status": "waitlist"}, "wait_band"),
        ({"status": "open", "wait_band": "1-4-weeks", "places_available": 2}, "wait_band"),
        ({"status": "open", "places_available": 2, "note": "x" * 201}, "note"),
        ({"places_available": 2}, "status"),
        ({"status": "open", "places_available": 2, "colour": "red"}, "colour"),
        ([], "(body)"),
        # Integers are JSON integers, strings JSON strings: nothing is converted.
        ({"status": "open", "places_available": "3"}, "places_available"),
        ({"status": "open", "places_available": 3.0}, "places_available"),
        ({"status": "open", "places_available": True}, "places_available"),
        ({"status": "open", "places_available": 3, "note": 5}, "note"),
    ],
)
def test_bad_capacity_values_are_422_and_write_nothing(coordinator_api, directory, body, field):
    response = coordinator_api.put(f"/services/{directory['pantry'].id}/capacity", json=body)
    problem = _is_problem(response, 422)
    assert field in [error["field"] for error in problem["errors"]]
    assert _counts() == (0, 0)


def test_malformed_json_is_400(coordinator_api, directory):
    response = coordinator_api.put(
        f"/services/{directory['pantry'].id}/capacity",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    _is_problem(response, 400)


def test_unknown_api_paths_are_404_problems(caseworker_api):
    _is_problem(caseworker_api.get("/no-such-thing"), 404)


def test_a_token_user_who_is_deactivated_is_refused(app, client, partnership, directory):
    from partnership.admin.people import deactivate
    from partnership.auth.tokens import create_token

    user = partnership.users[Role.CASEWORKER]
    token, _ = create_token(user, "tests", scope=TokenScope.WRITE)
    deactivate(user)
    db.session.commit()
    _is_problem(ApiClient(client, token).get("/services"), 401)


def test_rule_errors_name_the_api_field(coordinator_api, directory):
    # Open with 0 places is refused by the capacity rules, not by the schema.
    response = coordinator_api.put(
        f"/services/{directory['pantry'].id}/capacity",
        json={"status": "open", "places_available": 0},
    )
    problem = _is_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["places_available"]


def test_unknown_query_parameters_are_ignored(caseworker_api, directory):
    assert caseworker_api.get("/services", query_string={"_": "123"}).status_code == 200


def test_a_service_says_whether_it_takes_referrals_and_whether_its_capacity_was_posted(
    caseworker_api, coordinator_api, directory, partnership
):
    pantry = directory["pantry"]
    body = caseworker_api.get(f"/services/{pantry.id}").get_json()
    # Made as an import makes it: capacity set, but by nobody.
    assert body["capacity"]["updated_at"] is None
    assert body["takes_referrals"] is True

    coordinator_api.put(f"/services/{pantry.id}/capacity", json={"status": "open"})
    assert caseworker_api.get(f"/services/{pantry.id}").get_json()["capacity"]["updated_at"]

    partnership.users[Role.COORDINATOR].active = False
    db.session.commit()
    assert caseworker_api.get(f"/services/{pantry.id}").get_json()["takes_referrals"] is False
