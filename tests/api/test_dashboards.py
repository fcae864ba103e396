"""A neighbourhood's dashboard over the API: the page's figures, withheld the same way,
for the neighbourhood's leads and admins only."""

import json
import re
from datetime import timedelta

import pytest

from partnership import clock
from partnership.extensions import db
from partnership.models import DeclineReason, Role, User
from tests import factories
from tests.dashboards.conftest import (
    ELSEWHERE,
    MESSAGE,
    NO_SERVICE,
    NORTHSIDE,
    NOTE,
    RESIDENT_NAMES,
    SUMMARY,
    Made,
    S,
    accepted,
    build_northside,
    expected_headline,
    make_referrals,
)

COUNTS = ("made", "accepted", "declined", "completed", "overdue_now", "unmet_need")


def _is_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def dashboard_of(northside) -> str:
    return f"/neighbourhoods/{northside.north.id}/dashboard"


@pytest.fixture
def northside(partnership):
    return build_northside(partnership)


@pytest.fixture
def lead_api(api_as, partnership):
    return api_as(partnership.users[Role.LEAD])


def test_the_lead_gets_the_figures_worked_out_from_the_referrals(northside, lead_api):
    response = lead_api.get(dashboard_of(northside))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    expected = expected_headline(NORTHSIDE + ELSEWHERE, NO_SERVICE)
    assert body["neighbourhood"] == {"id": northside.north.id, "name": "Northside"}
    assert body["period"] == {
        "from": (clock.today() - timedelta(days=83)).isoformat(),
        "to": clock.today().isoformat(),
    }
    assert body["headline"] == {
        "made": expected.made,
        "accepted": expected.accepted,
        "declined": expected.declined,
        "completed": expected.completed,
        "acceptance_rate": round(expected.accepted / (expected.accepted + expected.declined), 3),
        "median_days_to_accept": expected.days_to_accept,
        "median_days_to_complete": expected.days_to_complete,
        "overdue_now": "<5",
        "unmet_need": expected.declined_for_capacity + expected.no_suitable_service,
    }
    assert body["vcse_share"] == round(13 / 22, 3)
    assert len(body["weekly_trend"]) == 12
    assert sum(week["made"] != "<5" for week in body["weekly_trend"]) == 0  # all small weeks


def test_small_counts_and_what_would_reveal_them_are_the_string_lt5(northside, lead_api):
    body = lead_api.get(dashboard_of(northside)).get_json()
    assert body["demand_by_need"] == [
        {"need": "Food", "need_slug": "food", "made": 13},
        {"need": "Housing", "need_slug": "housing", "made": "<5"},  # 8, hidden beside the 1
        {"need": "Money and debt", "need_slug": "money-and-debt", "made": "<5"},
    ]
    sectors = {row["sector_code"]: (row["made"], row["share"]) for row in body["receiving_sector"]}
    assert sectors == {
        "nhs": ("<5", "<5"),
        "council": ("<5", "<5"),
        "vcse": (13, round(13 / 22, 3)),
        "other": (0, 0.0),
    }
    assert body["unmet_need"]["total"] == {
        "declined_for_capacity": "<5",
        "no_suitable_service": "<5",
        "total": 11,
    }
    assert body["capacity_now"]["total"] == {"services": 4, "places_available": 6, "stale": 1}


def test_a_rate_that_would_reveal_a_small_count_is_withheld(partnership, lead_api):
    made = [accepted(20 + n, "food", "parcels", 1) for n in range(10)] + [
        Made(15, "food", "parcels", S.REJECTED, decline_reason=DeclineReason.NOT_ELIGIBLE),
        Made(16, "food", "parcels", S.REJECTED, decline_reason=DeclineReason.NOT_ELIGIBLE),
    ]
    service = factories.service(partnership.pantry, name="Food parcels", places=3)
    make_referrals(partnership, made, {"parcels": service}, {"food": factories.need("food")})
    db.session.commit()
    headline = lead_api.get(f"/neighbourhoods/{partnership.north.id}/dashboard").get_json()[
        "headline"
    ]
    assert (headline["made"], headline["accepted"], headline["declined"]) == (12, 10, "<5")
    assert headline["acceptance_rate"] == "<5"


def test_the_api_and_the_page_agree(northside, lead_api, lead_client):
    start = (clock.today() - timedelta(days=60)).isoformat()
    api = lead_api.get(dashboard_of(northside), query_string={"from": start}).get_json()
    page = lead_client.get(
        dashboard_of(northside), query_string={"from": start, "to": clock.today().isoformat()}
    ).get_data(as_text=True)
    shown = dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', page))
    for name in COUNTS:
        assert str(api["headline"][name]) == shown[name].replace("&lt;", "<"), name


def test_a_lead_of_another_neighbourhood_caseworkers_and_coordinators_get_404(
    northside,
    api_as,
    password_hash,
):
    other = User(
        email="south.lead@example.org",
        name="Sol Lead",
        organisation=northside.council,
        role=Role.LEAD,
        password_hash=password_hash,
        neighbourhoods=[northside.south],
    )
    db.session.add(other)
    db.session.commit()
    for user in (other, northside.users[Role.CASEWORKER], northside.users[Role.COORDINATOR]):
        api = api_as(user)
        _is_problem(api.get(dashboard_of(northside)), 404)
        _is_problem(api.get(dashboard_of(northside), query_string={"from": "nonsense"}), 404)
    assert api_as(other).get(f"/neighbourhoods/{northside.south.id}/dashboard").status_code == 200


def test_an_admin_sees_every_neighbourhood(northside, api_as):
    admin = api_as(northside.users[Role.ADMIN])
    for neighbourhood in (northside.north, northside.south):
        assert admin.get(f"/neighbourhoods/{neighbourhood.id}/dashboard").status_code == 200
    _is_problem(admin.get("/neighbourhoods/999999/dashboard"), 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"from": "01/02/2026"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "to"),
        ({"from": "1999-12-31", "to": "2000-01-31"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"to": "2999-01-01"}, "to"),
        ({"from": "2026-01-01-and-more"}, "from"),
    ],
)
def test_wrong_dates_are_422_problems(northside, lead_api, query, field):
    body = _is_problem(lead_api.get(dashboard_of(northside), query_string=query), 422)
    assert field in {error["field"] for error in body["errors"]}


def test_either_date_may_be_left_out(northside, lead_api):
    start = (clock.today() - timedelta(days=30)).isoformat()
    body = lead_api.get(dashboard_of(northside), query_string={"from": start}).get_json()
    assert body["period"] == {"from": start, "to": clock.today().isoformat()}
    end = clock.today() - timedelta(days=7)
    body = lead_api.get(dashboard_of(northside), query_string={"to": end.isoformat()}).get_json()
    assert body["period"] == {
        "from": (end - timedelta(days=83)).isoformat(),
        "to": end.isoformat(),
    }


def test_no_personal_data_or_free_text(northside, lead_api):
    body = json.dumps(lead_api.get(dashboard_of(northside)).get_json())
    for words in (*RESIDENT_NAMES, SUMMARY, NOTE, MESSAGE, "Casey Worker", "REF-TEST"):
        assert words not in body


def test_the_openapi_document_describes_the_dashboard(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/neighbourhoods/{neighbourhood_id}/dashboard"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"neighbourhood_id", "from", "to"}
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    schema = document["components"]["schemas"]["HeadlineFigures"]["properties"]["made"]
    assert {"const": "<5", "type": "string"} in schema["anyOf"]
