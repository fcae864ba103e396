"""Services and their capacity: the capacity rules (capacity.py) and the coordinator's
pages for keeping them up to date (views.py)."""

from sqlalchemy import select

from partnership.extensions import db
from partnership.models import Service


def organisation_services(organisation_id: int) -> list[Service]:
    """The services an organisation runs, by name."""
    return list(
        db.session.scalars(
            select(Service).where(Service.organisation_id == organisation_id).order_by(Service.name)
        )
    )
