"""Services in the directory and their capacity."""

import enum
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnership import clock
from partnership.columns import BigIntId, enum_column
from partnership.extensions import db
from partnership.models.accounts import User
from partnership.models.base import Model
from partnership.models.organisations import NeedCategory, Neighbourhood, Organisation


class CapacityStatus(enum.StrEnum):
    """Maps onto the Gravity capacity status: open/limited = Yes, waitlist, full/closed = No."""

    OPEN = "open"
    LIMITED = "limited"
    WAITLIST = "waitlist"
    FULL = "full"
    CLOSED = "closed"


class WaitBand(enum.StrEnum):
    UNDER_1_WEEK = "under-1-week"
    ONE_TO_4_WEEKS = "1-4-weeks"
    ONE_TO_3_MONTHS = "1-3-months"
    OVER_3_MONTHS = "over-3-months"


service_needs = Table(
    "service_needs",
    db.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "need_id",
        ForeignKey("need_categories.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)

service_neighbourhoods = Table(
    "service_neighbourhoods",
    db.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Service(Model):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("places_available >= 0", name="places_not_negative"),
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range_ordered"
        ),
        Index("ix_services_capacity_status", "capacity_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    eligibility_notes: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(500))
    referral_instructions: Mapped[str] = mapped_column(Text, default="")

    capacity_status: Mapped[CapacityStatus] = mapped_column(
        enum_column(CapacityStatus, "capacity_status"), default=CapacityStatus.OPEN
    )
    wait_band: Mapped[WaitBand | None] = mapped_column(enum_column(WaitBand, "wait_band"))
    # None: the service is not limited by places.
    places_available: Mapped[int | None]
    capacity_note: Mapped[str] = mapped_column(String(200), default="")
    capacity_updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    capacity_updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    organisation: Mapped[Organisation] = relationship()
    needs: Mapped[list[NeedCategory]] = relationship(
        secondary=service_needs, order_by=NeedCategory.name
    )
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=service_neighbourhoods, order_by=Neighbourhood.name
    )
    capacity_updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Service {self.name}>"


class CapacityUpdate(Model):
    """Append-only history of every capacity post."""

    __tablename__ = "capacity_updates"
    __table_args__ = (
        CheckConstraint("places_available >= 0", name="places_not_negative"),
        Index("ix_capacity_updates_service_posted", "service_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    status: Mapped[CapacityStatus] = mapped_column(enum_column(CapacityStatus, "capacity_status"))
    wait_band: Mapped[WaitBand | None] = mapped_column(enum_column(WaitBand, "wait_band"))
    places_available: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(default=clock.now)

    service: Mapped[Service] = relationship()
    posted_by: Mapped[User | None] = relationship()
