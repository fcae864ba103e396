"""API bearer tokens: shown once when created, kept only as a SHA-256 hash.

A token works until it expires or is revoked, for an active user, and only as far as its
scope: a read token may not change anything. Revoking is for good: reactivating a person
does not bring their tokens back.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from partnership import clock
from partnership.auth import history
from partnership.extensions import db
from partnership.models import AccountAction, ApiToken, TokenScope, User

PREFIX = "pt_"
USE_RECORDED_EVERY = timedelta(minutes=1)
# The lifetimes offered on the token page and accepted on the command line, in days.
LIFETIMES = (7, 30, 90, 180, 365)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_days() -> int:
    return int(current_app.config["API_TOKEN_DAYS"])


def create_token(
    user: User,
    name: str,
    *,
    scope: TokenScope,
    days: int | None = None,
    by: User | None = None,
) -> tuple[str, ApiToken]:
    """Return the token (to print once) and its stored record."""
    token = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    record = ApiToken(
        user=user,
        name=name,
        scope=scope,
        token_hash=_digest(token),
        prefix=token[:10],
        created_at=now,
        expires_at=now + timedelta(days=days or default_days()),
    )
    db.session.add(record)
    history.note(user, AccountAction.TOKEN_CREATED, by=by, detail=describe(record))
    return token, record


def describe(record: ApiToken) -> str:
    """How a token is named in the account history: its name and visible prefix, no secret."""
    return f"{record.name} ({record.prefix}…)"[:200]


def is_live(record: ApiToken) -> bool:
    return record.revoked_at is None and record.expires_at > clock.now() and record.user.active


def token_state(record: ApiToken) -> str:
    """Whether a token still works, in words, for its owner's page and the command line."""
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at <= clock.now():
        return "expired"
    if not record.user.active:
        return "owner deactivated"
    return "works"


def _live_record(token: str) -> ApiToken | None:
    """The token's record, if it is unrevoked, unexpired and its user active."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if record is None or not is_live(record):
        return None
    return record


def token_user(token: str) -> User | None:
    """For an open live stream's heartbeat: the same check as each call, with no write."""
    record = _live_record(token)
    return record.user if record is not None else None


def token_for_call(token: str) -> ApiToken | None:
    """The live token an API call presents, with its last use noted (to the minute)."""
    record = _live_record(token)
    if record is None:
        return None
    now = clock.now()
    # To the minute is enough to see which tokens are in use, and spares a write per call.
    if record.last_used_at is None or now - record.last_used_at > USE_RECORDED_EVERY:
        record.last_used_at = now
    return record


def may_write(record: ApiToken) -> bool:
    return record.scope is TokenScope.WRITE


def tokens_of(user: User) -> list[ApiToken]:
    """A person's tokens, newest first, live or not (the page shows what ended and why)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(record: ApiToken, *, by: User | None = None) -> bool:
    """End one token for good; False if it had already been revoked."""
    if record.revoked_at is not None:
        return False
    record.revoked_at = clock.now()
    history.note(record.user, AccountAction.TOKEN_REVOKED, by=by, detail=describe(record))
    return True


def revoke_all(user: User, *, by: User | None = None) -> int:
    """End every token of the person (password reset by an admin, deactivation, or their
    own choice on changing their password). Returns how many were still unrevoked."""
    ended = 0
    for record in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        ended += revoke_token(record, by=by)
    return ended
