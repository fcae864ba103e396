"""Fixtures: the app on each database, a client, and a signed-in user of each role.

The suite runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set. With
CI=true both PostgreSQL and Redis must be reachable: a missing service fails the run.
"""

import os
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

from partnership import clock, create_app
from partnership.auth import sessions
from partnership.auth.passwords import hash_password
from partnership.extensions import cache, db
from partnership.models import Neighbourhood, Organisation, Role, Sector, User
from tests import pinned

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
DATABASES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
# For a test of what only PostgreSQL does (concurrent transactions): skipped without one,
# which CI never is.
on_postgresql_only = pytest.mark.parametrize(
    "_app", ["postgresql"] if TEST_DATABASE_URL else [], indirect=True
)
PASSWORD = "correct horse battery"


def pytest_configure(config):
    """The whole run starts at `tests.pinned.NOW`, whatever the machine's date, and ticks on
    from there (so time never runs backwards under a signed cookie's timestamp)."""
    time_machine.travel(pinned.NOW, tick=True).start()


@pytest.fixture
def clock_at():
    """For a test that needs another moment: `clock_at.move_to(instant)`; undone after."""
    with time_machine.travel(clock.now(), tick=True) as traveller:
        yield traveller


def _check_services() -> list[str]:
    problems = []
    if not TEST_DATABASE_URL:
        problems.append("TEST_DATABASE_URL is not set")
    else:
        try:
            engine = sa.create_engine(_psycopg_url(TEST_DATABASE_URL))
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as error:  # noqa: BLE001
            problems.append(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")
    if not REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except Exception as error:  # noqa: BLE001
            problems.append(f"Redis at REDIS_URL is unreachable: {error}")
    return problems


def pytest_sessionstart(session):
    if IN_CI and (problems := _check_services()):
        pytest.exit("CI needs PostgreSQL and Redis: " + "; ".join(problems), returncode=3)


def _psycopg_url(url: str) -> str:
    from partnership.config import _sqlalchemy_url

    return _sqlalchemy_url(url)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _on_postgresql_server(*statements: str) -> None:
    admin = sa.create_engine(_psycopg_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    admin.dispose()


def _postgresql_database() -> str:
    """A fresh database for this test process on the server TEST_DATABASE_URL names
    (named by worker and process, so runs side by side never drop each other's)."""
    name = f"partnership_test_{_worker()}_{os.getpid()}"
    _on_postgresql_server(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    url = sa.engine.make_url(_psycopg_url(TEST_DATABASE_URL)).set(database=name)
    return url.render_as_string(hide_password=False)


class Client(FlaskClient):
    """A test client that sends forms as a browser would, CSRF token included.

    Each request runs in its own app context, as in production, so nothing cached in
    `g` (the signed-in user, the CSP nonce) or in the database session leaks between
    requests. The test's own writes are committed first so the request sees them.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, url: str = "/sign-in") -> str:
        page = self.get(url, follow_redirects=True).get_data(as_text=True)
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
        assert field, f"no CSRF token on {url}"
        return re.search(r'value="([^"]+)"', field.group(0)).group(1)

    def post_form(self, url: str, data: dict | None = None, *, form_page: str | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(form_page or url))
        return self.post(url, data=data, **kw)


def make_app(database: str, tmp_path_factory):
    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = _postgresql_database()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    app.test_client_class = Client
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, as in production
    return app


@pytest.fixture(scope="session", params=DATABASES)
def _app(request, tmp_path_factory):
    app = make_app(request.param, tmp_path_factory)
    yield app
    app.extensions["live_relay"].stop()
    with app.app_context():
        name = db.engine.url.database
        db.engine.dispose()
    if request.param == "postgresql":
        _on_postgresql_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_database() -> None:
    db.session.rollback()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(_app):
    """The app with its context pushed; every table and the cache are emptied after the test."""
    with _app.app_context():
        yield _app
        empty_database()
        cache.clear()  # emptied behind the sessions' backs, so nothing kept would know
        db.session.remove()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture(scope="session")
def password_hash(_app) -> str:
    """One hash for every fixture user: Argon2 costs ~27 ms a hash on purpose."""
    with _app.app_context():
        return hash_password(PASSWORD)


@pytest.fixture
def partnership(app, password_hash) -> SimpleNamespace:
    """A small partnership: two neighbourhoods, three organisations, a user of each role.

    `outsider` is a caseworker of an organisation party to nothing, for access tests.
    """
    north = Neighbourhood(name="Northside", ons_code="E05000001")
    south = Neighbourhood(name="Southside", ons_code="E05000002")
    surgery = Organisation(
        name="Northside Surgery", sector=Sector.NHS, ods_code="Y00001", neighbourhoods=[north]
    )
    pantry = Organisation(
        name="Southside Pantry",
        sector=Sector.VCSE,
        charity_number="1234567",
        neighbourhoods=[north, south],
    )
    council = Organisation(
        name="Borough Council", sector=Sector.COUNCIL, neighbourhoods=[north, south]
    )

    def user(email, name, organisation, role, neighbourhoods=()):
        return User(
            email=email,
            name=name,
            organisation=organisation,
            role=role,
            password_hash=password_hash,
            neighbourhoods=list(neighbourhoods),
        )

    users = {
        Role.CASEWORKER: user("caseworker@example.org", "Casey Worker", surgery, Role.CASEWORKER),
        Role.COORDINATOR: user(
            "coordinator@example.org", "Cora Ordinator", pantry, Role.COORDINATOR
        ),
        Role.LEAD: user("lead@example.org", "Lee Lead", council, Role.LEAD, [north]),
        Role.ADMIN: user("admin@example.org", "Ada Admin", council, Role.ADMIN),
    }
    outsider = user("outsider@example.org", "Otto Outsider", council, Role.CASEWORKER)
    db.session.add_all([north, south, surgery, pantry, council, outsider, *users.values()])
    db.session.commit()
    return SimpleNamespace(
        north=north,
        south=south,
        surgery=surgery,
        pantry=pantry,
        council=council,
        users=users,
        outsider=outsider,
        password=PASSWORD,
    )


def sign_in_as(client: Client, user: User) -> Client:
    """Sign a client in without a password round trip (sign-in itself has its own tests)."""
    token = sessions.begin(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[sessions.KEY] = token
    return client


@pytest.fixture
def as_role(app, partnership):
    """as_role(Role.LEAD) gives a fresh client signed in as the partnership's lead."""

    def signed_in(role: Role) -> Client:
        return sign_in_as(app.test_client(), partnership.users[role])

    return signed_in


@pytest.fixture
def caseworker_client(as_role):
    return as_role(Role.CASEWORKER)


@pytest.fixture
def coordinator_client(as_role):
    return as_role(Role.COORDINATOR)


@pytest.fixture
def lead_client(as_role):
    return as_role(Role.LEAD)


@pytest.fixture
def admin_client(as_role):
    return as_role(Role.ADMIN)
