"""The account history: each change to a person's sign-in security, and who made it.

Admins read it on the person's page; the person reads their own on their account page.
It names tokens by their visible prefix and never holds a secret.
"""

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import AccountAction, AccountEvent, User


def note(user: User, action: AccountAction, *, by: User | None = None, detail: str = "") -> None:
    """Record a change to the user's account; `by` is None on the command line."""
    db.session.add(AccountEvent(user=user, by_user=by, action=action, detail=detail[:200]))


def history_of(user: User, limit: int = 50) -> list[AccountEvent]:
    return list(
        db.session.scalars(
            select(AccountEvent)
            .where(AccountEvent.user_id == user.id)
            .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
            .limit(limit)
        )
    )
