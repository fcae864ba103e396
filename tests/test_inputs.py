"""Hostile input is refused before any view reads it: 400, 413 or 414, never a 500, nothing
saved."""

import http.client
import os
import runpy
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.inputs import JSON_DEPTH_AT_MOST, URL_AT_MOST, _json_depth, whole_number
from partnership.models import Message, Referral, Role, TokenScope
from tests import factories
from tests.conftest import PASSWORD
from tests.live.servers import ROOT, free_port, wait_for_port
from tests.referrals.test_page import with_consent


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        ("0", 0),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        ("1" * 19, None),
        (" 3", None),
    ],
)
def test_a_whole_number_is_ascii_digits_only(text, number):
    assert whole_number(text) == number


def test_json_depth_is_counted_without_parsing_and_ignores_brackets_in_strings():
    assert _json_depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert _json_depth(b"[" * 100_000) == 100_000


@pytest.mark.parametrize(
    "path",
    [
        "/sign-in?next=%00",
        "/inbox?page=%00",
        "/directory?q=bread%00",
        "/referrals/new/resident?q=%01",
        "/directory?q=bread%0D%0ASet-Cookie:%20x",
    ],
)
def test_a_control_character_in_a_query_is_a_400_page(app, as_role, path):
    response = as_role(Role.CASEWORKER).get(path)
    assert response.status_code == 400
    assert "Your request could not be used" in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_form_is_refused_not_a_server_error(app, client, partnership):
    response = client.post_form(
        "/sign-in", {"email": "x\x00@example.org", "password": "anything at all"}
    )
    assert response.status_code == 400


def test_a_nul_in_a_message_is_refused_and_nothing_is_saved(app, partnership, as_role):
    referral = with_consent(factories.referral(partnership), partnership.users[Role.CASEWORKER])
    db.session.commit()
    response = as_role(Role.CASEWORKER).post_form(
        f"/referrals/{referral.id}/messages",
        {"body": "Hello\x00there"},
        form_page=f"/referrals/{referral.id}",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_api_refuses_nul_and_deep_nesting_with_problem_json(app, client, partnership):
    token, _ = create_token(partnership.users[Role.CASEWORKER], "tests", scope=TokenScope.WRITE)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in (
        '{"resident_id": 1, "need": "food", "service_id": 1, "urgency": "routine", '
        '"summary": "a\\u0000b", "consent": {"given_by": "resident", "covers": "x"}}',
        "[" * 100_000,
        "[" * (JSON_DEPTH_AT_MOST + 1) + "]" * (JSON_DEPTH_AT_MOST + 1),
    ):
        response = client.post("/api/v1/referrals", data=body, headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        assert response.mimetype == "application/problem+json"
    response = client.get("/api/v1/services?q=%00", headers=headers)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_lone_surrogate_in_api_json_is_refused_with_the_field_named(app, client, partnership):
    """JSON can spell one ("\\udfff") though no UTF-8 can carry it: 422, never a database
    error. (The API fuzzer cannot send one, so it is tested here.)"""
    referral = factories.referral(partnership)
    token, _ = create_token(partnership.users[Role.CASEWORKER], "tests", scope=TokenScope.WRITE)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = client.post(
        f"/api/v1/referrals/{referral.id}/messages", data='{"body": "a\\udfffb"}', headers=headers
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.get_json()["errors"]] == ["body"]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_body_over_the_limit_is_413(app, client):
    response = client.post("/sign-in", data={"password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Nothing was saved" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/inbox?page=²", "/outbox?page=١"])
def test_digits_that_are_not_ascii_read_as_no_number(app, as_role, path):
    assert as_role(Role.CASEWORKER).get(path).status_code == 200


def test_a_last_event_id_in_other_digits_starts_afresh(app, as_role):
    client = as_role(Role.CASEWORKER)
    response = client.get("/live", headers={"Last-Event-ID": "²"}, buffered=False)
    assert response.status_code == 200
    response.close()


def test_a_line_break_in_next_never_reaches_the_location_header(app, client, partnership):
    user = partnership.users[Role.CASEWORKER]
    response = client.post_form(
        "/sign-in?next=/inbox%0D%0ASet-Cookie:%20a=b",
        {"email": user.email, "password": PASSWORD},
        form_page="/sign-in",
    )
    assert response.status_code == 400
    assert "Set-Cookie: a=b" not in str(response.headers)


def test_ids_and_pages_in_api_input_stop_where_the_columns_do(app, client, partnership):
    token, _ = create_token(partnership.users[Role.CASEWORKER], "tests", scope=TokenScope.WRITE)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "resident_id": 2**63,
        "need": "food",
        "service_id": 2**31,
        "summary": "Needs food",
        "consent": {"given_by": "resident", "covers": "Sharing with the food bank"},
    }
    response = client.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code == 422
    for query in ("neighbourhood=2147483648", "page=99999999999999999999"):
        assert client.get(f"/api/v1/services?{query}", headers=headers).status_code == 422


def test_an_address_over_the_limit_is_414_for_people_and_machines(app, client, partnership):
    token, _ = create_token(partnership.users[Role.CASEWORKER], "tests", scope=TokenScope.WRITE)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    words = "a" * (URL_AT_MOST - len("/api/v1/services"))
    answer = client.get("/api/v1/services", query_string={"q": words[:190]}, headers=headers)
    assert answer.status_code == 200
    too_long = client.get("/api/v1/services?q=" + words, headers=headers)
    assert too_long.status_code == 414
    assert too_long.mimetype == "application/problem+json"
    page = client.get("/sign-in?next=/" + "a" * URL_AT_MOST)
    assert page.status_code == 414
    assert "Nothing was saved" in page.get_data(as_text=True)


def test_gunicorn_answers_a_request_line_over_the_limit_with_414(tmp_path):
    """In production gunicorn refuses a long request line before the app sees it, with
    the limit the app keeps under any other server."""
    settings = runpy.run_path(str(ROOT / "partnership" / "gunicorn.conf.py"))
    assert settings["limit_request_line"] == URL_AT_MOST
    port = free_port()
    env = {
        **os.environ,
        "PARTNERSHIP_ENV": "production",
        "SECRET_KEY": "inputs-test-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'inputs.db'}",
        "REDIS_URL": "",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "partnership/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        # Generous: the worker may still be starting when the port opens.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/api/v1/services?q=" + "a" * URL_AT_MOST)
        assert connection.getresponse().status == 414
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
