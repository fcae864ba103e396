"""Services for the tests: the pantry's food service, and a service of another organisation."""

import html
import re

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    CapacityUpdate,
    Event,
    NeedCategory,
    Role,
    Service,
    User,
)


@pytest.fixture
def services(partnership, password_hash):
    """The test partnership with a food service run by the pantry (whose coordinator is
    `partnership.users[Role.COORDINATOR]`) and an advice service run by the council, whose
    coordinator is `partnership.council_coordinator`."""
    partnership.food = NeedCategory(slug="food", name="Food")
    partnership.money = NeedCategory(slug="money-and-debt", name="Money and debt")
    partnership.parcels = Service(
        name="Food parcels",
        organisation=partnership.pantry,
        needs=[partnership.food],
        neighbourhoods=[partnership.north, partnership.south],
        capacity_status=CapacityStatus.OPEN,
        places_available=10,
    )
    partnership.advice = Service(
        name="Welfare rights advice",
        organisation=partnership.council,
        needs=[partnership.money],
        neighbourhoods=[partnership.north],
        capacity_status=CapacityStatus.WAITLIST,
    )
    partnership.council_coordinator = User(
        email="council.coordinator@example.org",
        name="Colin Council",
        organisation=partnership.council,
        role=Role.COORDINATOR,
        password_hash=password_hash,
    )
    db.session.add_all(
        [
            partnership.food,
            partnership.money,
            partnership.parcels,
            partnership.advice,
            partnership.council_coordinator,
        ]
    )
    db.session.commit()
    return partnership


def count(model, *conditions) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def reload(service: Service) -> Service:
    """The service as the database has it now, not as this test's session remembers it."""
    db.session.expire_all()
    return db.session.get(Service, service.id)


def written(service: Service) -> tuple[int, int]:
    """How many capacity posts and capacity events the service has."""
    return (
        count(CapacityUpdate, CapacityUpdate.service_id == service.id),
        count(Event, Event.service_id == service.id, Event.kind == "capacity"),
    )


def form_action(page: str, service: Service) -> str:
    """The action of the page's capacity form for `service`, as a browser would post it."""
    actions = re.findall(r'<form[^>]*\saction="([^"]+)"', page)
    mine = [a.replace("&amp;", "&") for a in actions if f"/services/{service.id}/capacity" in a]
    assert mine, f"no capacity form for {service.name} on the page"
    return mine[0]


def text(response) -> str:
    """The page's words, tags stripped and spaces squeezed, for checking what people read."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip())
