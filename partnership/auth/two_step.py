"""Two-step sign-in: time-based one-time codes from an authenticator app, and recovery codes.

The rules: a code is for a 30-second step and works one step either side of now, and never
for a step at or before the last one a code was accepted for, so a code works once. Ten
recovery codes stand in for the app, each once; only their SHA-256 is kept. Admins must
use two-step sign-in (where TWO_STEP_FOR_ADMINS is on: everywhere but the demo and the
tests) and everyone must when PARTNERSHIP_REQUIRE_TWO_STEP is on.

While someone sets it up, the new secret is already in `users.two_step_secret` with
`two_step_enabled_at` empty: the session cookie is kept by the browser, so no secret ever
goes there. It counts only from the moment a code from it is confirmed.
"""

import base64
import hashlib
import io
import re
import secrets
from datetime import timedelta
from typing import cast

import pyotp
import segno
from flask import current_app
from sqlalchemy import CursorResult, delete, func, or_, select, update

from partnership import clock
from partnership.extensions import db
from partnership.models import RecoveryCode, Role, User

STEP_SECONDS = 30
STEPS_EITHER_SIDE = 1  # a phone's clock a little out, or a code typed as it changed
RECOVERY_CODES = 10
# Between a correct password and the code: longer than that and the password is asked again.
CODE_WAIT = timedelta(minutes=5)
# No 0/o, 1/l/i: read from paper and typed again without doubt. 12 of 31 is about 59 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def required_for(user: User) -> bool:
    """Whether the user must sign in with a code as well as their password."""
    config = current_app.config
    if config["PARTNERSHIP_REQUIRE_TWO_STEP"]:
        return True
    return user.role is Role.ADMIN and bool(config["TWO_STEP_FOR_ADMINS"])


def is_on(user: User) -> bool:
    """Whether the user has finished setting it up: signing in then asks for a code."""
    return user.two_step_enabled_at is not None and user.two_step_secret is not None


def must_set_up(user) -> bool:
    """Signed in, required to use two-step sign-in, and not set up yet: they may do nothing
    else until they have (see `partnership/__init__.py`)."""
    return bool(user.is_authenticated) and required_for(user) and not is_on(user)


# Setting up


def candidate_secret(user: User) -> str:
    """The secret the user is setting up with: kept on the server until they confirm it.

    Made once and shown again on each visit, so the page can be reloaded while the app is
    being set up."""
    if is_on(user):
        raise ValueError("two-step sign-in is already on")
    if user.two_step_secret is None:
        user.two_step_secret = pyotp.random_base32()
        user.two_step_last_step = None
    return user.two_step_secret


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=current_app.config["PARTNERSHIP_NAME"]
    )


def qr_code_image(uri: str) -> str:
    """The QR code as a data: address for an <img>, made here on the server: the
    Content-Security-Policy allows data: images but no inline style or script."""
    svg = io.BytesIO()
    segno.make(uri, error="m").save(
        svg, kind="svg", scale=5, border=4, dark="#0b0c0c", light="#ffffff", xmldecl=False
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")


def secret_in_groups(secret: str) -> str:
    """ "ABCD EFGH …": the secret as people type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(user: User, code: str) -> list[str] | None:
    """Turn two-step sign-in on if the code comes from the secret being set up; returns the
    new recovery codes to show once, or None for a wrong code."""
    if is_on(user) or user.two_step_secret is None or not check_code(user, code):
        return None
    user.two_step_enabled_at = clock.now()
    return new_recovery_codes(user)


def turn_off(user: User) -> None:
    """Forget the secret, the last step and every recovery code (the user's choice where
    allowed, or an admin's reset)."""
    user.two_step_secret = None
    user.two_step_enabled_at = None
    user.two_step_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# Codes


def looks_like_app_code(code: str) -> bool:
    return _SIX_DIGITS.fullmatch(_without_spaces(code)) is not None


def check_code(user: User, code: str) -> bool:
    """Whether the code is the app's for now (one step either side), for a step after the
    last one accepted. Accepting it records its step, in one conditional update, so two
    requests racing with the same code cannot both succeed."""
    code = _without_spaces(code)
    if user.two_step_secret is None or not _SIX_DIGITS.fullmatch(code):
        return False
    totp = pyotp.TOTP(user.two_step_secret, interval=STEP_SECONDS)
    now_step = int(clock.now().timestamp()) // STEP_SECONDS
    last = user.two_step_last_step
    for step in range(now_step - STEPS_EITHER_SIDE, now_step + STEPS_EITHER_SIDE + 1):
        if last is not None and step <= last:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return _claim_step(user, step)
    return False


def _claim_step(user: User, step: int) -> bool:
    claimed = cast(
        CursorResult,
        db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.two_step_last_step.is_(None), User.two_step_last_step < step),
            )
            .values(two_step_last_step=step)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        return False
    user.two_step_last_step = step
    return True


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them to show once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Whether the code is one of the user's unused recovery codes; using it spends it."""
    used = cast(
        CursorResult,
        db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=clock.now())
            .execution_options(synchronize_session=False)
        ),
    )
    return used.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def accept(user: User, code: str) -> bool:
    """A code typed at sign-in: the app's six digits, or else a recovery code."""
    if not is_on(user):
        return False
    if looks_like_app_code(code):
        return check_code(user, code)
    return use_recovery_code(user, code)


def _recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{letters[:4]}-{letters[4:8]}-{letters[8:]}"


def _hash(code: str) -> str:
    """Recovery codes are typed as shown or not: case, spaces and dashes do not count."""
    typed = _without_spaces(code).replace("-", "").lower()
    return hashlib.sha256(typed.encode(errors="replace")).hexdigest()


def _without_spaces(code: str) -> str:
    return "".join(code.split())
