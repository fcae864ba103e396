"""The app factory, its configuration and the headers every page carries."""

import re

import pytest

from partnership import create_app
from partnership.models import Role


def test_production_refuses_to_start_without_secret_key_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")


def test_production_refuses_a_weak_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/partnership")
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app("production")


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_uses_sqlite_under_instance_and_no_redis(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from partnership.config import DevelopmentConfig

    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("instance/partnership.db")


def test_postgres_urls_are_read_with_psycopg_3():
    from partnership.config import _sqlalchemy_url

    assert _sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_pages_carry_a_strict_csp_whose_nonce_matches_the_one_inline_script(client):
    response = client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    page = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline == [f' nonce="{nonce}"']
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_each_request_gets_a_new_nonce(client):
    first = client.get("/sign-in").headers["Content-Security-Policy"]
    second = client.get("/sign-in").headers["Content-Security-Policy"]
    assert first != second


@pytest.mark.parametrize("path", ["/accessibility", "/cookies"])
def test_accessibility_and_cookies_pages_are_open_to_everyone(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "govuk-footer" in response.get_data(as_text=True)


def test_unknown_page_is_a_404_in_the_service_style(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_error_shows_the_500_page(app, client, monkeypatch):
    def boom():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.cookies", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/cookies")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)


def test_too_many_sign_in_attempts_from_one_address_get_the_429_page(app, client, monkeypatch):
    from partnership.extensions import limiter

    monkeypatch.setitem(app.config, "RATELIMIT_SIGN_IN", "3 per minute")
    limiter.reset()
    statuses = [
        client.post_form("/sign-in", {"email": "a@example.org", "password": "x"}).status_code
        for _ in range(4)
    ]
    limiter.reset()
    assert statuses == [200, 200, 200, 429]


def test_production_starts_with_a_real_secret_in_a_fresh_process(tmp_path):
    """In a new process the configuration is read from the environment at import."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PARTNERSHIP_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }
    code = "from partnership import create_app; print(create_app().config['SESSION_COOKIE_SECURE'])"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    env["SECRET_KEY"] = "development-only-not-secret"
    refused = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode != 0
    assert "SECRET_KEY must be a random value" in refused.stderr


@pytest.mark.parametrize(
    "path",
    [
        "/referrals/2147483648",
        "/referrals/99999999999999999999999/messages",
        "/referrals/0/timeline",
        "/api/v1/referrals/2147483648",
        "/neighbourhoods/9223372036854775808/dashboard",
        "/referrals/new/sent/2147483648",
    ],
)
def test_an_id_no_column_can_hold_is_not_found_not_an_error(app, as_role, path):
    """Ids in URLs stop at 2³¹ − 1, which every id column holds on both databases."""
    for role in (Role.CASEWORKER, Role.ADMIN):
        assert as_role(role).get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/referrals/0/messages"),
        ("GET", "/api/v1/referrals/2147483648/messages"),
        ("POST", "/referrals/0/messages"),
    ],
)
def test_an_id_out_of_range_is_404_where_the_address_has_rules_for_other_methods(
    app, as_role, method, path
):
    """Found by the API fuzzer: werkzeug answered 405 (GET and POST share the address)."""
    assert as_role(Role.CASEWORKER).open(path, method=method).status_code == 404


def production_app(monkeypatch, **overrides):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    return create_app("production", **overrides)


def test_production_asks_browsers_to_keep_to_https(monkeypatch):
    response = production_app(monkeypatch).test_client().get("/no-such-page")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_development_and_tests_send_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_production_hides_sql_parameters_and_asks_for_two_step(monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_REQUIRE_TWO_STEP", raising=False)
    app = production_app(monkeypatch)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    from partnership.config import ProductionConfig

    assert ProductionConfig.PARTNERSHIP_REQUIRE_TWO_STEP is True


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(app, client, monkeypatch):
    """Nobody picks their own address for the sign-in limit by sending X-Forwarded-For."""
    from partnership.extensions import limiter

    monkeypatch.setitem(app.config, "RATELIMIT_SIGN_IN", "3 per minute")
    limiter.reset()
    statuses = [
        client.post_form(
            "/sign-in",
            {"email": "a@example.org", "password": "x"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]
    limiter.reset()
    assert statuses == [200, 200, 200, 429]


def test_proxy_headers_are_believed_from_as_many_proxies_as_configured(monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert not isinstance(production_app(monkeypatch).wsgi_app, ProxyFix)
    behind_two = production_app(monkeypatch, TRUSTED_PROXIES=2).wsgi_app
    assert isinstance(behind_two, ProxyFix)
    assert (behind_two.x_for, behind_two.x_proto, behind_two.x_host) == (2, 2, 2)


SIGN_IN_WITHOUT_REDIS = """
import sys
from flask_migrate import upgrade
from partnership import create_app
app = create_app(
    "test",
    SQLALCHEMY_DATABASE_URI="sqlite:///" + sys.argv[1],
    RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",  # nothing listens there
    WTF_CSRF_ENABLED=False,
)
with app.app_context():
    upgrade()
client = app.test_client()
answers = [
    client.post("/sign-in", data={"email": "a@example.org", "password": "x"}).status_code
    for _ in range(3)
]
print(answers)
"""


def test_sign_in_goes_on_working_while_the_limiters_redis_is_down(tmp_path):
    """The limiter's storage is shared by every app in a process: try it in a fresh one."""
    import subprocess
    import sys

    from partnership.config import ROOT

    result = subprocess.run(
        [sys.executable, "-c", SIGN_IN_WITHOUT_REDIS, str(tmp_path / "p.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[200, 200, 200]"


def _database_down(*_args, **_kwargs):
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_pages_answer_503_while_the_database_is_down(app, as_role, monkeypatch):
    from partnership.auth import sessions

    client = as_role(Role.CASEWORKER)
    monkeypatch.setattr(sessions, "signed_in_user", _database_down)
    response = client.get("/inbox")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Sorry, the service is unavailable" in response.get_data(as_text=True)


def test_the_live_stream_and_the_api_answer_503_problems_while_the_database_is_down(
    app, as_role, monkeypatch
):
    from partnership.auth import sessions, tokens

    client = as_role(Role.CASEWORKER)
    monkeypatch.setattr(sessions, "signed_in_user", _database_down)
    monkeypatch.setattr(tokens, "_live_record", _database_down)
    for response in (
        client.get("/live"),
        client.get("/api/v1/services", headers={"Authorization": "Bearer pt_x"}),
    ):
        assert response.status_code == 503
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"] == "5"
        assert "database is not answering" in response.json["detail"]
