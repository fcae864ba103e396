"""Who viewed, exported or changed a resident's data, and when."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnership import clock, words
from partnership.columns import BigIntId, enum_column
from partnership.models.accounts import User
from partnership.models.base import Model


class AccessAction(enum.StrEnum):
    VIEW = "view"
    EXPORT = "export"
    CHANGE = "change"


class AccessLog(Model):
    __tablename__ = "access_logs"
    __table_args__ = (
        Index("ix_access_logs_resident_at", "resident_id", "at"),
        Index("ix_access_logs_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    action: Mapped[AccessAction] = mapped_column(enum_column(AccessAction, "access_action"))
    # What was touched, in words ("referral page", "API GET /referrals/12"): never the data itself.
    what: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User | None] = relationship()


class AccountAction(enum.StrEnum):
    """What was done to a person's account: the security changes an admin may need to trace."""

    PASSWORD_CHANGED = "password-changed"  # noqa: S105 (a name, not a secret)
    TEMPORARY_PASSWORD = "temporary-password"  # noqa: S105
    TWO_STEP_ON = "two-step-on"
    TWO_STEP_RESET = "two-step-reset"
    RECOVERY_CODES = "recovery-codes"
    TOKEN_CREATED = "token-created"  # noqa: S105
    TOKEN_REVOKED = "token-revoked"  # noqa: S105
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"

    @property
    def label(self) -> str:
        return words.ACCOUNT_ACTION[self]


class AccountEvent(Model):
    """One change to an account's security, and who made it (None: the command line)."""

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[AccountAction] = mapped_column(enum_column(AccountAction, "account_action"))
    # Which token, say ("token pt_AbC12345"): never a secret.
    detail: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    by_user: Mapped[User | None] = relationship(foreign_keys=[by_user_id])


class BankHoliday(Model):
    """England and Wales bank holidays, for counting working days until a referral is overdue."""

    __tablename__ = "bank_holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
