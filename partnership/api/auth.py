"""Bearer tokens for the API. No cookies: a browser session never authorises an API call."""

from flask import g, request

from partnership.auth.tokens import user_for_token
from partnership.extensions import db
from partnership.models import User
from partnership.problems import Problem


def authenticate() -> None:
    """Resolve `Authorization: Bearer <token>` to an active user, or refuse with 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise Problem(
            401,
            "Unauthorised",
            "Send a valid API token as 'Authorization: Bearer <token>'. "
            "Tokens come from `flask --app partnership tokens create`.",
        )
    if db.session.dirty:
        db.session.commit()  # keep the token's last-used time
    g.api_user = user


def api_user() -> User:
    return g.api_user
