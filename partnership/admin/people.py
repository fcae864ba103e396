"""What administrators do to people's accounts."""

from partnership.auth import sessions
from partnership.auth.sign_in import clear_lockout, set_password
from partnership.models import User


def deactivate(user: User) -> None:
    """Stop the user signing in; their open sessions end on their next request, and their
    open live streams within one heartbeat."""
    user.active = False
    user.session_version += 1
    sessions.end_all(user)


def reactivate(user: User) -> None:
    user.active = True
    clear_lockout(user.email)


def set_temporary_password(user: User, password: str) -> None:
    """The user must choose their own password when they next sign in."""
    set_password(user, password, temporary=True)
