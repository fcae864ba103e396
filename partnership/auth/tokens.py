"""API bearer tokens: shown once when created, kept only as a SHA-256 hash."""

import hashlib
import secrets

from sqlalchemy import select

from partnership.columns import utcnow
from partnership.extensions import db
from partnership.models import ApiToken, User

PREFIX = "pt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[str, ApiToken]:
    """Return the token (to print once) and its stored record."""
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, name=name, token_hash=_digest(token), prefix=token[:10])
    db.session.add(record)
    return token, record


def user_for_token(token: str) -> User | None:
    """The active user a live, unrevoked token belongs to."""
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    record.last_used_at = utcnow()
    return record.user


def revoke_token(record: ApiToken) -> None:
    record.revoked_at = utcnow()
