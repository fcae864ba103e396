"""The sign-in rules: password check, lockout after repeated failures, inactive accounts.

Every failure answers the same way whether or not the email belongs to an account, and
an address locks after the same number of failures either way. For someone with two-step
sign-in on, a correct password only leads to the code; wrong codes count towards the same
lockout as wrong passwords, and only a correct code lifts it.
"""

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import current_app
from sqlalchemy import String, select

from partnership import clock
from partnership.auth import history, sessions, tokens, two_step
from partnership.auth.passwords import hash_password, needs_rehash, verify_password
from partnership.extensions import db
from partnership.models import AccountAction, SignInLockout, User
from partnership.models.accounts import normalise_email


class Refusal(enum.Enum):
    WRONG = "wrong"
    LOCKED = "locked"
    GONE = "gone"  # the account waiting for its code can no longer sign in: start again


@dataclass
class SignInResult:
    user: User | None = None  # signed in
    refusal: Refusal | None = None
    locked_until: datetime | None = None
    awaiting_code: User | None = None  # the password was right; now the two-step code


# No account has a longer address, and the lockout table could not hold one.
LONGEST_EMAIL = cast(String, SignInLockout.__table__.c.email.type).length or 0


def attempt_sign_in(email: str, password: str) -> SignInResult:
    email = normalise_email(email)
    now = clock.now()
    if len(email) > LONGEST_EMAIL:
        # Wrong for certain, and counted against no one; the same work as any other try.
        verify_password(None, password)
        return SignInResult(refusal=Refusal.WRONG)
    lockout = db.session.get(SignInLockout, email)
    if lockout and lockout.locked_until and lockout.locked_until > now:
        return SignInResult(refusal=Refusal.LOCKED, locked_until=lockout.locked_until)

    user = db.session.scalar(select(User).where(User.email == email))
    password_ok = verify_password(user.password_hash if user else None, password)
    # A deactivated account fails exactly like a wrong password: nothing to tell apart.
    if user is None or not password_ok or not user.active:
        return _record_failure(email, now)

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if two_step.is_on(user):
        # Not signed in yet, and the failures so far still count: only the code clears them.
        db.session.commit()
        return SignInResult(awaiting_code=user)
    return _signed_in(user, lockout, now)


def attempt_code(user_id: int, code: str) -> SignInResult:
    """The second step: the code from the authenticator app, or a recovery code, of the
    user whose password was right a moment ago."""
    now = clock.now()
    user = db.session.get(User, user_id)
    if user is None or not user.active or not two_step.is_on(user):
        return SignInResult(refusal=Refusal.GONE)
    lockout = db.session.get(SignInLockout, user.email)
    if lockout and lockout.locked_until and lockout.locked_until > now:
        return SignInResult(refusal=Refusal.LOCKED, locked_until=lockout.locked_until)
    if not two_step.accept(user, code):
        return _record_failure(user.email, now)
    return _signed_in(user, lockout, now)


def check_code_of_signed_in(user: User, code: str) -> SignInResult:
    """A code asked of someone already signed in before a change to their two-step sign-in
    (new recovery codes, turning it off). Wrong ones count towards the sign-in lockout, so
    a borrowed session cannot try codes without end; while locked, none is accepted."""
    now = clock.now()
    lockout = db.session.get(SignInLockout, user.email)
    if lockout and lockout.locked_until and lockout.locked_until > now:
        return SignInResult(refusal=Refusal.LOCKED, locked_until=lockout.locked_until)
    if not two_step.accept(user, code):
        return _record_failure(user.email, now)
    return SignInResult(user=user)


def _signed_in(user: User, lockout: SignInLockout | None, now: datetime) -> SignInResult:
    if lockout:
        db.session.delete(lockout)
    user.last_signed_in_at = now
    db.session.commit()
    return SignInResult(user=user)


def _record_failure(email: str, now: datetime) -> SignInResult:
    lockout = db.session.get(SignInLockout, email) or SignInLockout(email=email, failed_attempts=0)
    window = current_app.config["SIGN_IN_LOCKOUT"]
    expired = lockout.locked_until and lockout.locked_until <= now
    stale = lockout.last_failed_at and lockout.last_failed_at <= now - window
    if expired or stale:
        lockout.failed_attempts = 0
        lockout.locked_until = None
    lockout.failed_attempts += 1
    lockout.last_failed_at = now
    if lockout.failed_attempts >= current_app.config["SIGN_IN_ATTEMPTS"]:
        lockout.locked_until = now + window
    db.session.add(lockout)
    db.session.commit()
    if lockout.locked_until:
        return SignInResult(refusal=Refusal.LOCKED, locked_until=lockout.locked_until)
    return SignInResult(refusal=Refusal.WRONG)


def clear_lockout(email: str) -> None:
    """An administrator setting a temporary password also lifts any lockout."""
    lockout = db.session.get(SignInLockout, normalise_email(email))
    if lockout:
        db.session.delete(lockout)


def set_password(user: User, password: str, *, temporary: bool) -> None:
    """Set a password and end every existing session of the user."""
    user.password_hash = hash_password(password)
    user.must_change_password = temporary
    user.session_version += 1
    sessions.end_all(user)
    clear_lockout(user.email)


def change_own_password(user: User, password: str, *, end_tokens: bool) -> None:
    """The person chose a new password (having given their current one): every session
    ends, and their API tokens too if they ask."""
    set_password(user, password, temporary=False)
    if end_tokens:
        tokens.revoke_all(user, by=user)
    history.note(user, AccountAction.PASSWORD_CHANGED, by=user)
