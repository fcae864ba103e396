"""Referrals over the JSON API: idempotent sending, ETags, transitions, privacy."""

import re

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    Event,
    Referral,
    ReferralStatus,
    Role,
    Service,
)
from tests import factories
from tests.referrals.test_page import submit, with_consent


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.fixture
def pantry_service(app, partnership):
    service = factories.service(partnership.pantry, name="Food parcels", places=2)
    service.needs = [factories.need("food", "Food")]
    db.session.commit()
    return service


@pytest.fixture
def resident(app, partnership):
    made = factories.resident(partnership.north, partnership.surgery, given_name="Ada")
    db.session.commit()
    return made


def _new_referral(resident, service, **overrides):
    body = {
        "resident_id": resident.id,
        "need": "food",
        "service_id": service.id,
        "urgency": "urgent",
        "summary": "No food in the house until payday",
        "consent": {"given_by": "resident", "covers": "Sharing with the food bank"},
    }
    body.update(overrides)
    return body


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_send_a_referral_and_retry_with_the_same_idempotency_key(
    caseworker_api, resident, pantry_service
):
    headers = {"Idempotency-Key": "abc-123"}
    first = caseworker_api.post(
        "/referrals", json=_new_referral(resident, pantry_service), headers=headers
    )
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["status"] == "requested" and body["reference"].startswith("REF-")
    assert first.headers["Location"] == f"/api/v1/referrals/{body['id']}"
    assert "resident" not in body  # no personal data outside the referral itself
    again = caseworker_api.post(
        "/referrals", json=_new_referral(resident, pantry_service), headers=headers
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    assert _count(Referral) == 1


def test_a_second_open_referral_to_the_same_service_is_409(
    caseworker_api, resident, pantry_service
):
    caseworker_api.post("/referrals", json=_new_referral(resident, pantry_service))
    problem = _problem(
        caseworker_api.post("/referrals", json=_new_referral(resident, pantry_service)), 409
    )
    assert problem["existing"].startswith("/api/v1/referrals/")
    assert _count(Referral) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"need": "no-such-need"}, "need"),
        ({"service_id": 999999}, "service_id"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"summary": ""}, "summary"),
        ({"consent": {"given_by": "neighbour", "covers": "x"}}, "consent.given_by"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_referral_values_are_422(caseworker_api, resident, pantry_service, changes, field):
    problem = _problem(
        caseworker_api.post("/referrals", json=_new_referral(resident, pantry_service, **changes)),
        422,
    )
    assert field in [error["field"] for error in problem["errors"]]
    assert _count(Referral) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resident_id": "RESIDENT"}, "resident_id"),  # the resident's id, as a string
        ({"resident_id": "FLOAT"}, "resident_id"),  # the resident's id, as 8.0
        ({"service_id": True}, "service_id"),
        ({"summary": 5}, "summary"),
        ({"need": ["food"]}, "need"),
        ({"urgency": True}, "urgency"),
        ({"consent": {"given_by": "resident", "covers": 5}}, "consent.covers"),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_converted(
    caseworker_api, resident, pantry_service, changes, field
):
    """Where the document says integer, "8", 8.0 and true are refused (and so on for strings):
    a client that sends the wrong type finds out now, not when a conversion guesses wrong."""
    stand_ins = {"RESIDENT": str(resident.id), "FLOAT": float(resident.id)}
    changes = {
        key: stand_ins.get(value, value) if isinstance(value, str) else value
        for key, value in changes.items()
    }
    problem = _problem(
        caseworker_api.post("/referrals", json=_new_referral(resident, pantry_service, **changes)),
        422,
    )
    assert [error["field"] for error in problem["errors"]] == [field]
    assert _count(Referral) == 0


@pytest.mark.parametrize("nobody_by", ["deactivating", "leaving only a lead"])
def test_a_service_nobody_can_receive_referrals_for_is_422_with_the_reason(
    caseworker_api, partnership, resident, pantry_service, nobody_by
):
    """The pantry's only caseworker or coordinator is its coordinator: without them its
    inbox has no reader, and a referral would wait there unseen."""
    coordinator = partnership.users[Role.COORDINATOR]
    if nobody_by == "deactivating":
        coordinator.active = False
    else:
        coordinator.role = Role.LEAD
    db.session.commit()
    problem = _problem(
        caseworker_api.post("/referrals", json=_new_referral(resident, pantry_service)), 422
    )
    [error] = problem["errors"]
    assert error["field"] == "service_id"
    assert (
        error["message"]
        == problem["detail"]
        == (
            "Food parcels takes no referrals through North Valley Partnership: nobody at "
            "Southside Pantry can receive them yet. Contact the service directly, or choose "
            "another service"
        )
    )
    assert _count(Referral) == 0
    assert _count(Event) == 0


def test_a_resident_the_caller_may_not_see_is_refused_without_saying_if_they_exist(
    api_as, partnership, resident, pantry_service
):
    outsider = api_as(partnership.outsider)
    unseen = _problem(
        outsider.post("/referrals", json=_new_referral(resident, pantry_service)), 422
    )
    missing = _problem(
        outsider.post(
            "/referrals", json=_new_referral(resident, pantry_service, resident_id=999999)
        ),
        422,
    )
    assert unseen["errors"] == missing["errors"]


def test_malformed_json_is_400(caseworker_api):
    response = caseworker_api.post(
        "/referrals", data="{", headers={"Content-Type": "application/json"}
    )
    _problem(response, 400)


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_leads_and_admins_cannot_send(api_as, partnership, resident, pantry_service, role):
    api = api_as(partnership.users[role])
    _problem(api.post("/referrals", json=_new_referral(resident, pantry_service)), 404)


def test_get_one_has_an_etag_and_logs_the_personal_data_view(caseworker_api, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    response = caseworker_api.get(f"/referrals/{referral.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["resident"]["family_name"] == referral.resident.family_name
    assert _count(AccessLog, AccessLog.referral_id == referral.id) == 1


@pytest.mark.parametrize("who", ["outsider", Role.LEAD, Role.ADMIN])
def test_anyone_not_party_gets_404_everywhere(api_as, partnership, who):
    referral = factories.referral(partnership)
    db.session.commit()
    user = partnership.outsider if who == "outsider" else partnership.users[who]
    api = api_as(user)
    _problem(api.get(f"/referrals/{referral.id}"), 404)
    _problem(api.post(f"/referrals/{referral.id}/transitions", json={"action": "accept"}), 404)
    assert _count(AccessLog) == 0
    assert _count(Event) == 0


def test_accept_with_if_match_and_412_when_stale(coordinator_api, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    accepted = coordinator_api.post(
        f"/referrals/{referral.id}/transitions",
        json={"action": "accept"},
        headers={"If-Match": '"1"'},
    )
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.headers["ETag"] == '"2"'
    stale = coordinator_api.post(
        f"/referrals/{referral.id}/transitions",
        json={"action": "start"},
        headers={"If-Match": '"1"'},
    )
    assert _problem(stale, 412)["current_version"] == 2
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.ACCEPTED


def test_a_transition_the_rules_do_not_allow_is_409(caseworker_api, coordinator_api, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    # The referrer cannot accept; the recipient cannot start a referral not yet accepted.
    problem = _problem(
        caseworker_api.post(f"/referrals/{referral.id}/transitions", json={"action": "accept"}), 409
    )
    assert problem["allowed_actions"] == ["cancel"]
    _problem(
        coordinator_api.post(f"/referrals/{referral.id}/transitions", json={"action": "start"}), 409
    )


def test_a_transition_someone_else_overtook_says_who_and_when(
    caseworker_api, coordinator_api, partnership
):
    referral = factories.referral(partnership)
    db.session.commit()
    declined = coordinator_api.post(
        f"/referrals/{referral.id}/transitions",
        json={"action": "decline", "reason": "not-eligible"},
    )
    assert declined.status_code == 200
    problem = _problem(
        caseworker_api.post(
            f"/referrals/{referral.id}/transitions", json={"action": "cancel", "note": "Moved"}
        ),
        409,
    )
    assert re.fullmatch(
        r"Declined by Southside Pantry at \d{1,2}:\d\d[ap]m; nothing was changed",
        problem["detail"],
    )
    assert problem["allowed_actions"] == []


def test_no_places_left_is_409(coordinator_api, partnership):
    service = factories.service(partnership.pantry, places=0)
    referral = factories.referral(partnership, to_service=service)
    db.session.commit()
    problem = _problem(
        coordinator_api.post(f"/referrals/{referral.id}/transitions", json={"action": "accept"}),
        409,
    )
    assert problem["title"] == "No places left"
    assert db.session.get(Service, service.id).places_available == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"action": "decline"}, 422),
        ({"action": "decline", "reason": "bored"}, 422),
        ({"action": "fly"}, 422),
        ({"action": "accept", "outcome": "need-met"}, 422),
        ({}, 422),
        ({"action": True}, 422),
        ({"action": "accept", "note": 5}, 422),
    ],
)
def test_invalid_transition_bodies(coordinator_api, partnership, body, status):
    referral = factories.referral(partnership)
    db.session.commit()
    _problem(coordinator_api.post(f"/referrals/{referral.id}/transitions", json=body), status)
    assert _count(Event) == 0


def test_the_whole_loop_over_the_api(caseworker_api, coordinator_api, resident, pantry_service):
    sent = caseworker_api.post(
        "/referrals", json=_new_referral(resident, pantry_service)
    ).get_json()
    path = f"/referrals/{sent['id']}/transitions"
    for body in (
        {"action": "accept"},
        {"action": "start"},
        {"action": "complete", "outcome": "need-met", "note": "Parcel collected"},
    ):
        response = coordinator_api.post(path, json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
    seen = caseworker_api.get(f"/referrals/{sent['id']}").get_json()
    assert (seen["status"], seen["outcome"]) == ("completed", "need-met")
    assert db.session.get(Service, pantry_service.id).places_available == 1


def test_messages_both_ways_and_reads_are_logged(caseworker_api, coordinator_api, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    path = f"/referrals/{referral.id}/messages"
    sent = caseworker_api.post(path, json={"body": "She prefers a morning call"})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert coordinator_api.post(path, json={"body": "Called, parcel booked"}).status_code == 201
    items = coordinator_api.get(path).get_json()["items"]
    assert [item["body"] for item in items] == [
        "She prefers a morning call",
        "Called, parcel booked",
    ]
    assert [item["organisation"] for item in items] == ["Northside Surgery", "Southside Pantry"]
    views = _count(AccessLog, AccessLog.action == "view", AccessLog.referral_id == referral.id)
    assert views == 1


@pytest.mark.parametrize(
    "body", [{"body": ""}, {"body": "x" * 2001}, {"text": "hi"}, {"body": 5}, {"body": True}]
)
def test_bad_messages_are_422(caseworker_api, partnership, body):
    referral = factories.referral(partnership)
    db.session.commit()
    _problem(caseworker_api.post(f"/referrals/{referral.id}/messages", json=body), 422)


def test_non_parties_get_404_on_messages(api_as, partnership):
    referral = factories.referral(partnership)
    db.session.commit()
    outsider = api_as(partnership.outsider)
    _problem(outsider.get(f"/referrals/{referral.id}/messages"), 404)
    _problem(outsider.post(f"/referrals/{referral.id}/messages", json={"body": "hello"}), 404)


def test_inbox_and_outbox_lists_with_status_filter_and_paging(
    caseworker_api, coordinator_api, partnership
):
    for status in ("requested", "requested", "accepted", "completed"):
        factories.referral(partnership, status=ReferralStatus(status))
    factories.referral(partnership, from_organisation=partnership.council)  # not the surgery's
    db.session.commit()
    inbox = coordinator_api.get("/referrals", query_string={"box": "inbox"}).get_json()
    assert inbox["total"] == 5
    outbox = caseworker_api.get("/referrals", query_string={"box": "outbox"}).get_json()
    assert outbox["total"] == 4
    waiting = coordinator_api.get(
        "/referrals", query_string={"box": "inbox", "status": "requested", "per_page": 2, "page": 2}
    ).get_json()
    assert (waiting["total"], waiting["pages"], len(waiting["items"])) == (3, 2, 1)
    assert all(item["status"] == "requested" for item in waiting["items"])
    assert "resident" not in waiting["items"][0]
    assert _count(AccessLog) == 0
    # The surgery receives nothing.
    assert caseworker_api.get("/referrals").get_json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        {"box": "sideways"},
        {"status": "lost"},
        {"page": 0},
        {"per_page": 500},
        {"page": "1.0"},
        {"per_page": "١٠"},  # Arabic-Indic digits
    ],
)
def test_bad_list_filters_are_422(caseworker_api, query):
    _problem(caseworker_api.get("/referrals", query_string=query), 422)


def _trail(referral_id: int) -> tuple[list, list]:
    """What a referral's history holds, in a form that compares across two referrals."""
    db.session.expire_all()
    events = db.session.scalars(
        select(Event).where(Event.referral_id == referral_id).order_by(Event.id)
    )
    logs = db.session.scalars(
        select(AccessLog).where(AccessLog.referral_id == referral_id).order_by(AccessLog.id)
    )
    return (
        [(e.kind, e.actor_id, e.from_status, e.to_status, e.detail) for e in events],
        [(row.user_id, row.action, row.what) for row in logs if row.action.value == "change"],
    )


def test_the_api_marks_opened_and_logs_as_the_web_does(coordinator_api, partnership, as_role):
    """The same accept and complete, one referral through the web and one through the API,
    leave the same timeline, the same opened stamp and the same change rows in the log."""
    coordinator = partnership.users[Role.COORDINATOR]
    by_web, by_api = factories.referral(partnership), factories.referral(partnership)
    for referral in (by_web, by_api):
        with_consent(referral, partnership.users[Role.CASEWORKER])
    db.session.commit()

    web = as_role(Role.COORDINATOR)
    for action, form in (("accept", {}), ("complete", {"complete-outcome": "need-met"})):
        assert submit(web, by_web, action, form).status_code == 302

    read = coordinator_api.get(f"/referrals/{by_api.id}")
    assert read.get_json()["opened_at"] is not None
    for body in ({"action": "accept"}, {"action": "complete", "outcome": "need-met"}):
        assert (
            coordinator_api.post(f"/referrals/{by_api.id}/transitions", json=body).status_code
            == 200
        )

    assert _trail(by_api.id) == _trail(by_web.id)
    events, changes = _trail(by_api.id)
    assert [kind for kind, *_ in events] == ["opened", "accepted", "completed"]
    assert changes == [
        (coordinator.id, AccessAction.CHANGE, "accepted the referral"),
        (coordinator.id, AccessAction.CHANGE, "completed the referral"),
    ]
    assert db.session.get(Referral, by_api.id).opened_at is not None


def test_acting_through_the_api_without_reading_first_still_marks_opened(
    coordinator_api, partnership
):
    referral = factories.referral(partnership)
    db.session.commit()
    body = {"action": "accept"}
    assert (
        coordinator_api.post(f"/referrals/{referral.id}/transitions", json=body).status_code == 200
    )
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).opened_at is not None
    kinds = db.session.scalars(select(Event.kind).where(Event.referral_id == referral.id)).all()
    assert kinds == ["opened", "accepted"]
