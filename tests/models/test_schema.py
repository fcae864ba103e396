"""The models and the migrations agree, and the database itself keeps the data honest."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    Organisation,
    Referral,
    Resident,
    Role,
    Sector,
    Service,
    Urgency,
    User,
)
from partnership.models.services import service_neighbourhoods


def test_migrations_produce_exactly_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def _refused(statement) -> None:
    with pytest.raises((IntegrityError, StatementError)):
        db.session.execute(statement)
        db.session.commit()
    db.session.rollback()


def test_emails_are_unique_whatever_their_case(app, partnership):
    user = partnership.users[Role.ADMIN]
    row = {
        "name": "Someone",
        "password_hash": "x",
        "organisation_id": user.organisation_id,
        "role": "admin",
        "active": True,
        "session_version": 1,
        "must_change_password": False,
        "created_at": user.created_at,
    }
    # Mixed case is refused outright by the database; the models store lower case.
    _refused(insert(User).values(email="Admin@Example.org", **row))
    _refused(insert(User).values(email=user.email, **row))
    clash = User(email="ADMIN@example.ORG", organisation=user.organisation, **_user_defaults())
    db.session.add(clash)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def _user_defaults():
    return {"name": "Someone", "password_hash": "x", "role": Role.ADMIN}


def test_enums_only_take_their_values(app, partnership):
    statement = (
        User.__table__.update()
        .where(User.id == partnership.users[Role.ADMIN].id)
        .values(role="boss")
    )
    _refused(statement)
    sector = Organisation.__table__.update().values(sector="private")
    _refused(sector)


def _service(organisation, **fields) -> Service:
    service = Service(name="Pantry", organisation=organisation, **fields)
    db.session.add(service)
    db.session.commit()
    return service


def test_places_can_never_be_negative(app, partnership):
    service = _service(partnership.pantry, places_available=1)
    _refused(Service.__table__.update().where(Service.id == service.id).values(places_available=-1))
    # The conditional decrement later issues rely on: it stops at zero.
    decrement = (
        Service.__table__.update()
        .where(Service.id == service.id, Service.places_available > 0)
        .values(places_available=Service.places_available - 1)
    )
    assert db.session.execute(decrement).rowcount == 1
    assert db.session.execute(decrement).rowcount == 0
    db.session.commit()
    assert service.places_available == 0


def test_age_ranges_are_ordered(app, partnership):
    service = _service(partnership.pantry, min_age=18, max_age=65)
    _refused(Service.__table__.update().where(Service.id == service.id).values(min_age=70))


def test_foreign_keys_are_enforced(app, partnership):
    _refused(insert(service_neighbourhoods).values(service_id=999_999, neighbourhood_id=999_999))


def test_one_open_referral_of_a_resident_to_a_service(app, partnership):
    caseworker = partnership.users[Role.CASEWORKER]
    service = _service(partnership.pantry, capacity_status=CapacityStatus.OPEN)
    resident = Resident(
        given_name="Ann",
        family_name="Example",
        date_of_birth=date(1950, 1, 2),
        neighbourhood=partnership.north,
        created_by_organisation=partnership.surgery,
    )
    db.session.add(resident)
    db.session.commit()

    def referral(reference, status):
        return Referral(
            reference=reference,
            resident=resident,
            need_id=_need_id(),
            from_organisation=partnership.surgery,
            from_user=caseworker,
            to_service=service,
            to_organisation=partnership.pantry,
            neighbourhood=partnership.north,
            urgency=Urgency.ROUTINE,
            summary="Needs food support",
            status=status,
        )

    db.session.add(referral("REF-2026-000001", "requested"))
    db.session.commit()
    db.session.add(referral("REF-2026-000002", "accepted"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # A closed referral does not block a new one.
    db.session.add(referral("REF-2026-000003", "completed"))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 2


def _need_id() -> int:
    from partnership.models import NeedCategory

    need = db.session.scalar(select(NeedCategory).where(NeedCategory.slug == "food"))
    if need is None:
        need = NeedCategory(slug="food", name="Food")
        db.session.add(need)
        db.session.commit()
    return need.id


def test_sector_labels_are_words(app):
    assert Sector.VCSE.label == "Voluntary, community and social enterprise"
