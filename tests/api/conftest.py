import pytest

from partnership.auth.tokens import create_token
from partnership.extensions import db
from partnership.models import Role, TokenScope


class ApiClient:
    """Calls the API as an integration would: a bearer token, JSON in and out."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.client.get(
            "/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, path, json=None, data=None, **kw):
        return self.client.put(
            "/api/v1" + path,
            json=json,
            data=data,
            headers=self._headers(kw.pop("headers", None)),
            **kw,
        )

    def post(self, path, json=None, data=None, **kw):
        return self.client.post(
            "/api/v1" + path,
            json=json,
            data=data,
            headers=self._headers(kw.pop("headers", None)),
            **kw,
        )


@pytest.fixture
def api_as(app, client, partnership):
    """api_as(user) gives an API client holding a fresh token of that user."""

    def for_user(user):
        token, _ = create_token(user, "tests", scope=TokenScope.WRITE)
        db.session.commit()
        return ApiClient(client, token)

    return for_user


@pytest.fixture
def coordinator_api(api_as, partnership):
    return api_as(partnership.users[Role.COORDINATOR])


@pytest.fixture
def caseworker_api(api_as, partnership):
    return api_as(partnership.users[Role.CASEWORKER])
