"""Bearer tokens for the API. No cookies: a browser session never authorises an API call."""

from flask import g, request

from partnership.auth.tokens import may_write, token_for_call
from partnership.extensions import db
from partnership.models import User
from partnership.problems import Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate() -> None:
    """Resolve `Authorization: Bearer <token>` to an active user, or refuse with 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    record = token_for_call(token.strip()) if scheme.lower() == "bearer" and token else None
    if record is None:
        raise Problem(
            401,
            "Unauthorised",
            "Send a valid API token as 'Authorization: Bearer <token>'. Tokens come from "
            "your account's API tokens page; an expired or revoked one no longer works.",
            headers={"WWW-Authenticate": 'Bearer realm="partnership"'},
        )
    if db.session.dirty:
        db.session.commit()  # keep the token's last-used time
    if request.method not in SAFE_METHODS and not may_write(record):
        raise Problem(
            403,
            "Forbidden",
            "This token may only read. Create a read and write token to make changes.",
        )
    g.api_user = record.user


def api_user() -> User:
    return g.api_user
