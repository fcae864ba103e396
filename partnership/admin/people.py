"""What administrators do to people's accounts; each change goes in the account history."""

from partnership.auth import history, sessions, tokens, two_step
from partnership.auth.sign_in import clear_lockout, set_password
from partnership.models import AccountAction, User


def deactivate(user: User, *, by: User | None = None) -> None:
    """Stop the user signing in and end their tokens for good; their open sessions end on
    their next request, and their open live streams within one heartbeat."""
    user.active = False
    user.session_version += 1
    sessions.end_all(user)
    tokens.revoke_all(user, by=by)
    history.note(user, AccountAction.DEACTIVATED, by=by)


def reactivate(user: User, *, by: User | None = None) -> None:
    """Let the user sign in again. Their revoked tokens stay revoked."""
    user.active = True
    clear_lockout(user.email)
    history.note(user, AccountAction.REACTIVATED, by=by)


def set_temporary_password(user: User, password: str, *, by: User | None = None) -> None:
    """The user must choose their own password when they next sign in. Whoever knew the
    old one may have made tokens with it: they end too."""
    set_password(user, password, temporary=True)
    tokens.revoke_all(user, by=by)
    history.note(user, AccountAction.TEMPORARY_PASSWORD, by=by)


def reset_two_step(user: User, *, by: User | None = None) -> None:
    """For someone who lost their authenticator app and recovery codes: forget both and sign
    them out everywhere. If two-step sign-in is required of them they set it up again
    when they next sign in, with their password."""
    two_step.turn_off(user)
    user.session_version += 1
    sessions.end_all(user)
    history.note(user, AccountAction.TWO_STEP_RESET, by=by)
