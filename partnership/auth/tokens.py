"""API bearer tokens: shown once when created, kept only as a SHA-256 hash."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import ApiToken, User

PREFIX = "pt_"
USE_RECORDED_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[str, ApiToken]:
    """Return the token (to print once) and its stored record."""
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, name=name, token_hash=_digest(token), prefix=token[:10])
    db.session.add(record)
    return token, record


def _live_record(token: str) -> ApiToken | None:
    """The token's record, if it is unrevoked and its user active."""
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    return record


def token_user(token: str) -> User | None:
    """For an open live stream's heartbeat: the same check as each call, with no write."""
    record = _live_record(token)
    return record.user if record is not None else None


def user_for_token(token: str) -> User | None:
    """The active user a live, unrevoked token belongs to."""
    record = _live_record(token)
    if record is None:
        return None
    now = clock.now()
    # To the minute is enough to see which tokens are in use, and spares a write per call.
    if record.last_used_at is None or now - record.last_used_at > USE_RECORDED_EVERY:
        record.last_used_at = now
    return record.user


def revoke_token(record: ApiToken) -> None:
    record.revoked_at = clock.now()
