"""People who sign in, their API tokens, and sign-in lockout."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from partnership import clock, words
from partnership.columns import enum_column
from partnership.extensions import db
from partnership.models.base import Model
from partnership.models.organisations import Neighbourhood, Organisation


class Role(enum.StrEnum):
    CASEWORKER = "caseworker"
    COORDINATOR = "coordinator"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return words.ROLE[self]


lead_neighbourhoods = Table(
    "lead_neighbourhoods",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhoods.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


class User(UserMixin, Model):
    __tablename__ = "users"
    # Emails are stored lower-cased (checked by the database), so the unique constraint
    # is case-insensitive on PostgreSQL and SQLite alike.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on deactivation and password change: sessions carrying an older
    # version stop working on their next request.
    session_version: Mapped[int] = mapped_column(default=1)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_signed_in_at: Mapped[datetime | None]
    # The newest referral event this person has seen in their notifications: anything
    # newer is unread. Event ids are global and increasing, so one number is enough.
    notifications_seen_event_id: Mapped[int | None] = mapped_column(BigInteger)
    # Two-step sign-in (partnership/auth/two_step.py): the shared secret of the person's
    # authenticator app, set when they finish enrolling, and the last time step a code was
    # accepted for, so that one code never signs in twice.
    two_step_secret: Mapped[str | None] = mapped_column(String(64))
    two_step_enabled_at: Mapped[datetime | None]
    two_step_last_step: Mapped[int | None] = mapped_column(BigInteger)

    organisation: Mapped[Organisation] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=lead_neighbourhoods, order_by=Neighbourhood.name
    )

    @validates("email")
    def _normalise_email(self, _key: str, email: str) -> str:
        return normalise_email(email)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative token: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: Role) -> bool:
        """Coordinators can do everything a caseworker can (DESIGN section 1)."""
        if self.role in roles:
            return True
        return self.role is Role.COORDINATOR and Role.CASEWORKER in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class SignInLockout(Model):
    """Failed sign-ins for an email address as typed, whether or not an account has it.

    Keyed by the typed address so that an unknown address locks exactly as a real one
    does and the sign-in page never reveals which addresses exist.
    """

    __tablename__ = "sign_in_lockouts"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failed_at: Mapped[datetime | None]


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"  # read and write

    @property
    def label(self) -> str:
        return words.TOKEN_SCOPE[self]


class ApiToken(Model):
    """A bearer token for integrations; only its SHA-256 is kept.

    It works until it expires or is revoked (by its owner, an admin, or an admin resetting
    the owner's password or deactivating them), and only for what its scope allows.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Model):
    """A one-use code that stands in for an authenticator code; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SignedInSession(Model):
    """One signed-in browser session, named by a random token kept in its session cookie.

    Cookies are signed but kept by the browser, so a copy would outlive sign-out; this
    record is what sign-out and deactivation end, and what the user loader and each live
    stream check.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Moved on by requests (at most once a minute): a session idle too long has ended.
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
