"""The partnership's structure: neighbourhoods, member organisations and the needs taxonomy."""

import enum
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column, ForeignKey, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnership import clock, words
from partnership.columns import enum_column
from partnership.extensions import db
from partnership.models.base import Model


class Sector(enum.StrEnum):
    NHS = "nhs"
    COUNCIL = "council"
    VCSE = "vcse"
    OTHER = "other"

    @property
    def label(self) -> str:
        return words.SECTOR[self]


organisation_neighbourhoods = Table(
    "organisation_neighbourhoods",
    db.metadata,
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Neighbourhood(Model):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ons_code: Mapped[str | None] = mapped_column(String(9), unique=True)

    def __repr__(self) -> str:
        return f"<Neighbourhood {self.name}>"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable public identifier: Open Referral UK ids are UUIDs.
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"))
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    charity_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=organisation_neighbourhoods, order_by=Neighbourhood.name
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class NeedCategory(Model):
    __tablename__ = "need_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<NeedCategory {self.slug}>"
