"""Neighbourhood dashboards: demand, flow, waiting and unmet need, as aggregates only.

Leads see their own neighbourhoods' dashboards and admins every one (DESIGN section 4);
no dashboard shows personal data or free text, and small numbers are withheld
(partnership.dashboards.suppression).
"""

from partnership.extensions import db
from partnership.models import Neighbourhood, Role, User


def may_see_dashboard(user: User, neighbourhood_id: int) -> bool:
    """The neighbourhood's leads and the partnership's admins; nobody else."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.LEAD and any(n.id == neighbourhood_id for n in user.neighbourhoods)


def dashboard_neighbourhood(user: User, neighbourhood_id: int) -> Neighbourhood | None:
    """The neighbourhood, if the user may see its dashboard; None means 404 to the caller,
    whether it does not exist or is not theirs."""
    if not may_see_dashboard(user, neighbourhood_id):
        return None
    return db.session.get(Neighbourhood, neighbourhood_id)


def dashboard_neighbourhoods(user: User) -> list[Neighbourhood]:
    """The neighbourhoods whose dashboards the user may open, by name."""
    if user.role is Role.ADMIN:
        return list(db.session.scalars(db.select(Neighbourhood).order_by(Neighbourhood.name)))
    if user.role is Role.LEAD:
        return list(user.neighbourhoods)
    return []
