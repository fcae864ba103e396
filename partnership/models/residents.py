"""The people referred. Personal data: see partnership.access for who may see it."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnership import clock
from partnership.columns import enum_column
from partnership.models.base import Model
from partnership.models.organisations import Neighbourhood, Organisation


class ContactMethod(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in-person"


class Resident(Model):
    __tablename__ = "residents"
    __table_args__ = (
        Index("ix_residents_nhs_number", "nhs_number"),
        Index("ix_residents_name_dob", "family_name", "given_name", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    postcode: Mapped[str | None] = mapped_column(String(8))
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_contact: Mapped[ContactMethod] = mapped_column(
        enum_column(ContactMethod, "contact_method"), default=ContactMethod.PHONE
    )
    language: Mapped[str] = mapped_column(String(60), default="English")
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    # The organisation that first recorded the resident: party to them before any referral.
    created_by_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    created_by_organisation: Mapped[Organisation] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
