"""What a token may do: its scope, its expiry and its revocation hold on every API call."""

from datetime import timedelta

from sqlalchemy import func, select

from partnership import clock
from partnership.admin.people import deactivate, reactivate, set_temporary_password
from partnership.auth.tokens import create_token, revoke_token
from partnership.extensions import db
from partnership.models import Message, Role, TokenScope
from tests.api.conftest import ApiClient


def api(client, user, scope, days=None):
    token, record = create_token(user, "tests", scope=scope, days=days)
    db.session.commit()
    return ApiClient(client, token), record


def test_a_read_token_reads_but_may_not_change_anything(client, partnership):
    reader, _ = api(client, partnership.users[Role.COORDINATOR], TokenScope.READ)
    assert reader.get("/services").status_code == 200
    assert reader.get("/referrals").status_code == 200
    for path in ("/referrals", "/referrals/1/transitions", "/referrals/1/messages"):
        response = reader.post(path, json={})
        assert response.status_code == 403, path
        assert response.mimetype == "application/problem+json"
        assert "may only read" in response.json["detail"]
    assert reader.put("/services/1/capacity", json={}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_write_token_may_change(client, partnership):
    writer, _ = api(client, partnership.users[Role.COORDINATOR], TokenScope.WRITE)
    # Past the scope check: the empty body is refused for what it is, not for the token.
    assert writer.post("/referrals", json={}).status_code == 422


def test_a_401_says_how_to_authenticate(client, partnership):
    for headers in ({}, {"Authorization": "Bearer pt_nonsense"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/referrals", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"


def test_an_expired_token_gets_401(client, partnership, clock_at):
    reader, record = api(client, partnership.users[Role.LEAD], TokenScope.READ, days=7)
    assert reader.get("/services").status_code == 200
    clock_at.move_to(record.expires_at + timedelta(seconds=1))
    assert reader.get("/services").status_code == 401


def test_revoked_tokens_and_deactivated_owners_get_401_for_good(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    revoked, record = api(client, user, TokenScope.READ)
    kept, _ = api(client, user, TokenScope.READ)
    revoke_token(record)
    db.session.commit()
    assert revoked.get("/services").status_code == 401
    assert kept.get("/services").status_code == 200
    deactivate(user)
    db.session.commit()
    assert kept.get("/services").status_code == 401
    reactivate(user)
    db.session.commit()
    assert kept.get("/services").status_code == 401


def test_an_admins_temporary_password_ends_the_persons_tokens(client, partnership):
    user = partnership.users[Role.CASEWORKER]
    reader, _ = api(client, user, TokenScope.READ)
    set_temporary_password(user, "temporary password 1")
    db.session.commit()
    assert reader.get("/services").status_code == 401


def test_last_use_is_recorded(client, partnership):
    reader, record = api(client, partnership.users[Role.LEAD], TokenScope.READ)
    assert record.last_used_at is None
    reader.get("/services")
    db.session.expire_all()
    assert record.last_used_at is not None
    assert record.last_used_at <= clock.now()
