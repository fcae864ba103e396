"""Idempotency-Key on POST /referrals: a retry gets the first answer, even when retries run
at once; the same key with other values is refused."""

import json
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.models import Referral, Role, TokenScope
from partnership.referrals import daily_summary, lifecycle
from tests.api.conftest import ApiClient
from tests.api.test_referrals import _new_referral, _problem

KEY = {"Idempotency-Key": "retry-me"}
# Generous bounds on waiting for the other thread: a hang fails the test, a slow machine
# does not. Nothing is measured.
PATIENCE = 60


def _referrals() -> int:
    return db.session.scalar(select(func.count()).select_from(Referral))


@pytest.fixture
def sending(app, partnership):
    """What each thread needs to send the same referral: a token and the body."""
    from tests import factories

    service = factories.service(partnership.pantry, name="Food parcels", places=2)
    service.needs = [factories.need("food", "Food")]
    resident = factories.resident(partnership.north, partnership.surgery)
    token, _ = create_token(partnership.users[Role.CASEWORKER], "tests", scope=TokenScope.WRITE)
    body = _new_referral(resident, service)
    # Nothing is read here after this: on SQLite a read would hold the write lock.
    db.session.commit()
    return token, body


def test_the_same_key_with_other_values_is_422_and_sends_nothing_new(caseworker_api, sending):
    _, body = sending
    first = caseworker_api.post("/referrals", json=body, headers=KEY)
    assert first.status_code == 201, first.get_data(as_text=True)
    changed = body | {"summary": "Something else entirely"}
    problem = _problem(caseworker_api.post("/referrals", json=changed, headers=KEY), 422)
    assert [error["field"] for error in problem["errors"]] == ["Idempotency-Key"]
    assert _referrals() == 1
    # The same values written another way are the same request.
    reordered = json.dumps(dict(reversed(body.items())), indent=4)
    again = caseworker_api.post(
        "/referrals", data=reordered, headers=KEY | {"Content-Type": "application/json"}
    )
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["id"] == first.get_json()["id"]


def _send_in_thread(app, token, body, answers, name):
    def run():
        with app.app_context():
            try:
                response = ApiClient(app.test_client(), token).post(
                    "/referrals", json=body, headers=KEY
                )
                answers[name] = (response.status_code, response.get_json())
            finally:
                db.session.remove()

    return threading.Thread(target=run, name=name)


def _same_first_answer(answers: dict) -> None:
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200] * (len(answers) - 1) + [201], answers
    assert len({document["id"] for _, document in answers.values()}) == 1, answers
    db.session.expire_all()
    assert _referrals() == 1


def test_retries_at_once_all_get_the_first_answer(app, sending, monkeypatch):
    """Four retries of one request at once: one sends, the others get it."""
    token, body = sending
    answers: dict = {}
    threads = [_send_in_thread(app, token, body, answers, f"retry-{n}") for n in range(4)]
    if db.engine.dialect.name == "postgresql":
        # Released together into send(). (SQLite runs one writing transaction at a time,
        # so there they queue and each finds the first on its turn.)
        ready = threading.Barrier(len(threads))
        original = lifecycle.send

        def send_together(*args, **kwargs):
            ready.wait(timeout=PATIENCE)
            return original(*args, **kwargs)

        monkeypatch.setattr(lifecycle, "send", send_together)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PATIENCE)
    _same_first_answer(answers)


def _other_session_waits_on_a_lock(url) -> None:
    """Return once some other session of this database waits on a lock (PostgreSQL)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            for _ in range(PATIENCE * 20):
                waiting = connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                if waiting:
                    return
                threading.Event().wait(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the second request never waited for the first")


def test_a_retry_whose_insert_waits_for_the_first_gets_the_first(app, sending, monkeypatch):
    """The retry inserts while the first request's insert is not yet committed: on
    PostgreSQL the unique index makes it wait, then fail; it must answer with the first
    referral, never 409."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: inserts never overlap")
    token, body = sending
    url = db.engine.url
    answers: dict = {}
    first = _send_in_thread(app, token, body, answers, "first")
    retry = _send_in_thread(app, token, body, answers, "retry")
    first_inserted = threading.Event()
    original = daily_summary.count_sent

    def count_sent(referral):
        # Called by send() after its insert, before the request commits.
        if threading.current_thread().name == "first":
            first_inserted.set()
            _other_session_waits_on_a_lock(url)
        return original(referral)

    monkeypatch.setattr(daily_summary, "count_sent", count_sent)
    first.start()
    assert first_inserted.wait(timeout=PATIENCE)
    retry.start()
    first.join(timeout=PATIENCE)
    retry.join(timeout=PATIENCE)
    _same_first_answer(answers)


def test_a_retry_that_finds_the_first_only_as_an_open_referral_gets_the_first(
    app, sending, monkeypatch
):
    """The retry looked for its key before the first request committed, and finds the
    first referral a moment later as the resident's open referral to the service: that is
    its own first answer, not a 409."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the retry holds the lock")
    token, body = sending
    answers: dict = {}
    first = _send_in_thread(app, token, body, answers, "first")
    retry = _send_in_thread(app, token, body, answers, "retry")
    retry_looked, first_done = threading.Event(), threading.Event()
    original = lifecycle.open_referral_for

    def open_referral_for(resident_id, service_id):
        if threading.current_thread().name == "retry" and not retry_looked.is_set():
            retry_looked.set()
            assert first_done.wait(timeout=PATIENCE)
        return original(resident_id, service_id)

    monkeypatch.setattr(lifecycle, "open_referral_for", open_referral_for)
    retry.start()
    assert retry_looked.wait(timeout=PATIENCE)
    first.start()
    first.join(timeout=PATIENCE)
    first_done.set()
    retry.join(timeout=PATIENCE)
    _same_first_answer(answers)
