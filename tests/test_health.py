"""/healthz: the database and Redis answer, or a 503 that names the failing check and no more."""

import os
import subprocess
import sys
import urllib.request

import pytest
from sqlalchemy import func, select

from partnership import create_app
from partnership.extensions import db
from partnership.models import AccessLog, Role
from tests.conftest import IN_CI, REDIS_URL, sign_in_as
from tests.live.servers import ROOT, free_port, wait_for_port

UNREACHABLE_DATABASES = [
    "postgresql+psycopg://nobody:secret-password@127.0.0.1:1/nothing",
    "sqlite:////no-such-directory/partnership.db",
]
UNREACHABLE_REDIS = "redis://:secret-password@127.0.0.1:1/0"


@pytest.fixture
def make_app(tmp_path):
    """Apps of their own, for configurations the shared test app does not have."""
    made = []

    def make(**overrides):
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'health.db'}")
        app = create_app("test", **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["live_relay"].stop()
        with app.app_context():
            db.engine.dispose()


def test_healthy_without_redis(app, client):
    logged = db.session.scalar(select(func.count()).select_from(AccessLog))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count()).select_from(AccessLog)) == logged


def test_no_sign_in_even_for_someone_who_must_change_their_password(partnership, client):
    caseworker = partnership.users[Role.CASEWORKER]
    caseworker.must_change_password = True
    sign_in_as(client, caseworker)
    assert client.get("/").status_code == 302  # every other page sends them to change it

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["status"] == "ok"


# Skipped only outside CI: with CI=true a missing Redis is a failure, never a skip.
@pytest.mark.skipif(not REDIS_URL and not IN_CI, reason="needs REDIS_URL")
def test_healthy_with_redis(make_app):
    response = make_app(REDIS_URL=REDIS_URL).test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def assert_says_nothing_of_the_failure(response):
    body = response.get_data(as_text=True)
    for secret in ("secret-password", "nobody", "127.0.0.1", "no-such-directory", "Error"):
        assert secret not in body


@pytest.mark.parametrize("url", UNREACHABLE_DATABASES, ids=["postgresql", "sqlite"])
def test_unreachable_database_is_a_503(make_app, url):
    response = make_app(SQLALCHEMY_DATABASE_URI=url).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 503
    assert response.json["title"] == "Service unavailable"
    assert response.json["checks"] == {"database": "failing", "redis": "not configured"}
    assert_says_nothing_of_the_failure(response)


def test_unreachable_redis_is_a_503(make_app):
    response = make_app(REDIS_URL=UNREACHABLE_REDIS).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["checks"] == {"database": "ok", "redis": "failing"}
    assert_says_nothing_of_the_failure(response)


def test_only_get_is_answered(client):
    assert client.post("/healthz").status_code == 404  # as every page answers a wrong method


def test_gunicorn_keeps_health_checks_out_of_its_access_log(tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "PARTNERSHIP_ENV": "production",
        "SECRET_KEY": "health-test-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'health.db'}",
        "REDIS_URL": "",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "partnership/gunicorn.conf.py"]
        + ["--access-logfile", str(access_log), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        for path in ("/healthz", "/accessibility"):
            # Generous: the worker may still be starting when the port opens.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
                assert answer.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)

    logged = access_log.read_text()
    assert "GET /accessibility" in logged
    assert "/healthz" not in logged


def test_each_gunicorn_gets_its_own_control_socket(monkeypatch):
    import runpy

    sockets = set()
    for bind in ("127.0.0.1:8000", "127.0.0.1:8001", "unix:/run/partnership.sock"):
        monkeypatch.setenv("BIND", bind)
        monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
        settings = runpy.run_path(str(ROOT / "partnership" / "gunicorn.conf.py"))
        assert "/" not in os.path.basename(settings["control_socket"])
        sockets.add(settings["control_socket"])
    assert len(sockets) == 3
