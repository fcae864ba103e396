"""Signed-in sessions, each with a record on the server.

The session cookie is signed but kept by the browser, so a copy of it would outlive
sign-out. Each sign-in therefore starts a record named by a random token that the cookie
carries; sign-out and deactivation end it, and a session is honoured only while its record
is open, its user active and its user's session version unchanged (a password change moves
the version on), and while it is neither idle too long (SESSION_IDLE_MINUTES without a
request) nor too old (SESSION_ABSOLUTE_HOURS since sign-in). The user loader and every
open live stream ask `signed_in_user`; only requests the person makes move `last_seen_at`.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from partnership import clock
from partnership.extensions import db
from partnership.inputs import whole_number
from partnership.models import User
from partnership.models.accounts import SignedInSession

KEY = "signed_in_session"  # the Flask session key holding the record's token


def begin(user: User) -> str:
    """Start a session record for the user; returns the token for their session cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignedInSession(id=token, user_id=user.id))
    return token


def end(token: str | None) -> None:
    """End one session: its cookie, and any copy of it, no longer signs anyone in."""
    if isinstance(token, str):
        db.session.execute(
            update(SignedInSession)
            .where(SignedInSession.id == token, SignedInSession.ended_at.is_(None))
            .values(ended_at=clock.now())
        )


def end_all(user: User) -> None:
    """End every session of the user (on deactivation and password change)."""
    db.session.execute(
        update(SignedInSession)
        .where(SignedInSession.user_id == user.id, SignedInSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )


# How often a session's last-seen time is written: idle timeouts are counted in minutes.
SEEN_RECORDED_EVERY = timedelta(minutes=1)


def _oldest_allowed(now: datetime) -> tuple[datetime, datetime]:
    """The earliest last request, and the earliest sign-in, a usable session may have."""
    config = current_app.config
    return (
        now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    )


def note_request(token: str) -> None:
    """The person made a request in this session: it is not idle. Written at most once a
    minute, in its own short transaction so that a page that only reads keeps it too."""
    now = clock.now()
    result = db.session.execute(
        update(SignedInSession)
        .where(
            SignedInSession.id == token,
            SignedInSession.last_seen_at < now - SEEN_RECORDED_EVERY,
        )
        .values(last_seen_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        db.session.commit()


def signed_in_user(user_key: str, token: object) -> User | None:
    """The user a session belongs to, while it may still be used; otherwise None.

    `user_key` is Flask-Login's id for the user ("id:session version", see User.get_id)
    and `token` the session record's token, both from the session cookie.
    """
    user_id, _, version = user_key.partition(":")
    if not (isinstance(token, str) and _small_number(user_id) and _small_number(version)):
        return None
    last_request, signed_in = _oldest_allowed(clock.now())
    return db.session.scalar(
        select(User)
        .join(SignedInSession, SignedInSession.user_id == User.id)
        .where(
            SignedInSession.id == token,
            SignedInSession.ended_at.is_(None),
            SignedInSession.last_seen_at > last_request,
            SignedInSession.created_at > signed_in,
            User.id == int(user_id),
            User.active.is_(True),
            User.session_version == int(version),
        )
    )


def _small_number(text: str) -> bool:
    return len(text) <= 9 and whole_number(text) is not None
