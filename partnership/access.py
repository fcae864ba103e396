"""Who may do and see what (DESIGN section 4), in one place.

Views and the API call these functions; nothing else decides visibility.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from partnership.models import Role, User


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
