"""Column types shared by the models (kept free of the app so the base class can use them)."""

import enum
from datetime import UTC

from sqlalchemy import BigInteger, DateTime, Enum, Integer
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")
# The largest id any id column holds on both databases (PostgreSQL's INTEGER); ids typed
# into URLs and forms are checked against it, so a larger one is "not found", not an error.
LARGEST_ID = 2**31 - 1


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use partnership.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A VARCHAR with a CHECK of the allowed values, stored by value (e.g. `in-progress`)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
    )
