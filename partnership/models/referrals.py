"""Referrals between partners, their consent, timeline events and messages.

The rules for moving a referral between statuses live in partnership.referrals.lifecycle.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnership import clock
from partnership.columns import BigIntId, enum_column
from partnership.models.accounts import User
from partnership.models.base import Model
from partnership.models.organisations import NeedCategory, Neighbourhood, Organisation
from partnership.models.residents import Resident
from partnership.models.services import Service


class ReferralStatus(enum.StrEnum):
    """FHIR R4 Task.status values as the Gravity closed-loop referral guide uses them."""

    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    REJECTED = "rejected"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The groups of statuses the product speaks of, defined once. Open: the resident may have
# only one open referral to a service (a partial unique index, see Referral). Closed: the
# lifecycle allows nothing more. Active: accepted and under way. Sent: every status but
# draft (a referral being made is kept apart until it is sent).
OPEN_STATUSES = (
    ReferralStatus.DRAFT,
    ReferralStatus.REQUESTED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.ON_HOLD,
)
CLOSED_STATUSES = (ReferralStatus.REJECTED, ReferralStatus.COMPLETED, ReferralStatus.CANCELLED)
ACTIVE_STATUSES = (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD)
SENT_STATUSES = tuple(status for status in ReferralStatus if status is not ReferralStatus.DRAFT)
_OPEN_SQL = "status IN (" + ", ".join(f"'{s.value}'" for s in OPEN_STATUSES) + ")"


class Urgency(enum.StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class DeclineReason(enum.StrEnum):
    NO_CAPACITY = "no-capacity"
    NOT_ELIGIBLE = "not-eligible"
    UNABLE_TO_CONTACT = "unable-to-contact"
    RESIDENT_DECLINED = "resident-declined"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Outcome(enum.StrEnum):
    NEED_MET = "need-met"
    PARTLY_MET = "partly-met"
    NOT_MET = "not-met"
    DISENGAGED = "disengaged"


class ConsentGiver(enum.StrEnum):
    RESIDENT = "resident"
    REPRESENTATIVE = "representative"


INBOX_COLUMNS = ["sent_at", "urgency", "id"]
DASHBOARD_COLUMNS = [
    "sent_at",
    "accepted_at",
    "completed_at",
    "status",
    "decline_reason",
    "need_id",
    "to_service_id",
    "to_organisation_id",
]


class Referral(Model):
    __tablename__ = "referrals"
    __table_args__ = (
        # The inbox: a receiving organisation's referrals by status, newest first. On
        # PostgreSQL it carries what a page's sorting reads, so a page's referrals are
        # found in the index alone.
        Index(
            "ix_referrals_inbox",
            "to_organisation_id",
            "status",
            "created_at",
            postgresql_include=INBOX_COLUMNS,
        ),
        # The outbox: everything an organisation has sent.
        Index("ix_referrals_outbox", "from_organisation_id", "created_at"),
        # Dashboards: a neighbourhood's referrals over a period. On PostgreSQL it carries
        # what the medians and flows read, so they scan the index alone.
        Index(
            "ix_referrals_neighbourhood_created",
            "neighbourhood_id",
            "created_at",
            postgresql_include=DASHBOARD_COLUMNS,
        ),
        Index("ix_referrals_service_created", "to_service_id", "created_at"),
        # One open referral of a resident to a service at a time.
        Index(
            "uq_referrals_open_resident_service",
            "resident_id",
            "to_service_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        # A double-submitted form or a retried API call creates one referral.
        Index(
            "uq_referrals_idempotency",
            "from_user_id",
            "idempotency_key",
            unique=True,
        ),
        # Waiting referrals by organisation and age: the inbox's overdue count over millions.
        Index(
            "ix_referrals_waiting",
            "to_organisation_id",
            "urgency",
            "sent_at",
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
        # The same by neighbourhood: the dashboards' overdue count.
        Index(
            "ix_referrals_waiting_by_neighbourhood",
            "neighbourhood_id",
            "urgency",
            "sent_at",
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    need_id: Mapped[int] = mapped_column(ForeignKey("need_categories.id", ondelete="RESTRICT"))
    from_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    to_service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    to_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, "urgency"))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, "referral_status"), default=ReferralStatus.DRAFT
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        enum_column(DeclineReason, "decline_reason")
    )
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "outcome"))
    closing_note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # A hash of what was sent with the key (lifecycle.fingerprint): the same key with a
    # different request is refused rather than answered with the first referral.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    forwarded_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="SET NULL"), index=True
    )
    # Optimistic concurrency: API edits carry the version they change (If-Match).
    version: Mapped[int] = mapped_column(default=1)

    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    resident: Mapped[Resident] = relationship()
    need: Mapped[NeedCategory] = relationship()
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id])
    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    to_service: Mapped[Service] = relationship()
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])
    neighbourhood: Mapped[Neighbourhood] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    forwarded_from: Mapped["Referral | None"] = relationship(remote_side=[id])
    consent: Mapped["Consent | None"] = relationship(back_populates="referral")


class NeighbourhoodDay(Model):
    """The referrals made in a neighbourhood on one UK day, counted by what has become of
    them: the dashboards' summary, kept current in the same transaction as each change
    (partnership.referrals.daily_summary), so a dashboard reads days, not referrals."""

    __tablename__ = "neighbourhood_days"

    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    made: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    declined: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    declined_for_capacity: Mapped[int] = mapped_column(default=0)


class Consent(Model):
    """The resident's consent to a referral: who gave it, what it covers, whether withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), unique=True
    )
    given_by: Mapped[ConsentGiver] = mapped_column(enum_column(ConsentGiver, "consent_giver"))
    representative_name: Mapped[str | None] = mapped_column(String(120))
    covers: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)
    withdrawn_at: Mapped[datetime | None]

    referral: Mapped[Referral] = relationship(back_populates="consent")


class Event(Model):
    """The outbox of everything others should see: referral timeline events and capacity posts.

    Its id is global and increasing, and is the id of the live event (DESIGN section 5).
    Events carry ids, codes and statuses only, never personal data or free text.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_referral", "referral_id", "id"),
        Index("ix_events_to_organisation", "to_organisation_id", "id"),
        Index("ix_events_from_organisation", "from_organisation_id", "id"),
        Index("ix_events_neighbourhood", "neighbourhood_id", "id"),
        # Never reuse an id on SQLite either: streams resume from the last id they saw.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    # Copied from the referral so that a stream can tell who may see the event without a join.
    from_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    to_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="CASCADE")
    )
    from_status: Mapped[ReferralStatus | None] = mapped_column(
        enum_column(ReferralStatus, "from_status")
    )
    to_status: Mapped[ReferralStatus | None] = mapped_column(
        enum_column(ReferralStatus, "to_status")
    )
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
    referral: Mapped[Referral | None] = relationship()


class Message(Model):
    """A note between the two parties on a referral."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_referral_created", "referral_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()


class UnmetNeed(Model):
    """A need in a neighbourhood for which no suitable service could be found."""

    __tablename__ = "unmet_needs"
    __table_args__ = (
        Index("ix_unmet_needs_neighbourhood_recorded", "neighbourhood_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need_categories.id", ondelete="RESTRICT"))
    neighbourhood_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT")
    )
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    recorded_by_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)

    need: Mapped[NeedCategory] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()
