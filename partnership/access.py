"""Who may do and see what (DESIGN section 4), in one place.

Views and the API call these functions; nothing else decides visibility.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select

from partnership.extensions import db
from partnership.models import AccessLog, Referral, Resident, Role, User


def requires_role(*roles: Role) -> Callable:
    """The one permission decorator: signed in, active, and holding one of `roles`.

    A signed-in user without the role gets 404, as for anything that is not theirs:
    the product never confirms that a page exists to someone who may not use it.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def may_manage_service(user: User, service) -> bool:
    """Coordinators change only their own organisation's services."""
    return user.has_role(Role.COORDINATOR) and service.organisation_id == user.organisation_id


def works_on_referrals(user: User) -> bool:
    """Caseworkers and coordinators handle cases; leads and admins never see personal data."""
    return user.has_role(Role.CASEWORKER)


def may_see_referral(user: User, referral: Referral) -> bool:
    """Details, messages and the resident: only for the two party organisations."""
    return works_on_referrals(user) and user.organisation_id in (
        referral.from_organisation_id,
        referral.to_organisation_id,
    )


def referral_or_404(user: User, referral_id: int) -> Referral:
    """The referral if the user's organisation is party to it; otherwise 404, never 403."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not may_see_referral(user, referral):
        abort(404)
    return referral


def visible_residents_clause(user: User):
    """A WHERE clause for the residents this user may see: those their organisation
    recorded, or is party to a referral for."""
    if not works_on_referrals(user):
        return false()
    org = user.organisation_id
    party = select(Referral.resident_id).where(
        or_(Referral.from_organisation_id == org, Referral.to_organisation_id == org)
    )
    return or_(Resident.created_by_organisation_id == org, Resident.id.in_(party))


def may_see_resident(user: User, resident: Resident | None) -> bool:
    if resident is None:
        return False
    query = select(Resident.id).where(Resident.id == resident.id, visible_residents_clause(user))
    return db.session.scalar(query) is not None


def log_access(user: User, resident_id: int, action, what: str, referral_id: int | None = None):
    """Every view, export or change of a resident's data leaves a row in the access log."""
    db.session.add(
        AccessLog(
            user_id=user.id,
            resident_id=resident_id,
            referral_id=referral_id,
            action=action,
            what=what[:200],
        )
    )
