"""Loading the bench data fast, and only over bench data.

Everything the generator makes is marked (organisations named "Bench …", users' emails
ending in @bench.invalid), so it can tell a database of its own from one holding anything
else. Rows go in with COPY on PostgreSQL (psycopg 3), with the secondary indexes dropped
during the load and rebuilt after, and with batched executemany on SQLite.
"""

import json
from datetime import UTC, date, datetime, timedelta

import click
from sqlalchemy import func, select, text

from partnership.extensions import db
from partnership.models import (
    Consent,
    Event,
    Message,
    Organisation,
    Referral,
    Resident,
    UnmetNeed,
    User,
)

BENCH_EMAIL_DOMAIN = "@bench.invalid"
BENCH_ORG_PREFIX = "Bench "
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105  (bench databases only)


# Tables the generator fills, children first (the order to empty them in).
BENCH_TABLES = [
    "neighbourhood_days",
    "access_logs",
    "messages",
    "events",
    "consents",
    "unmet_needs",
    "referrals",
    "residents",
    "capacity_updates",
    "api_tokens",
    "lead_neighbourhoods",
    "users",
    "service_needs",
    "service_neighbourhoods",
    "services",
    "organisation_neighbourhoods",
    "organisations",
    "neighbourhoods",
    "sign_in_lockouts",
]


# The physical columns written by COPY, in order. Timestamps are floats (epoch seconds)
# until written; `_TS` names them per table.
REFERRAL_COLUMNS = [
    "id",
    "reference",
    "resident_id",
    "need_id",
    "from_organisation_id",
    "from_user_id",
    "to_service_id",
    "to_organisation_id",
    "neighbourhood_id",
    "urgency",
    "summary",
    "status",
    "assignee_id",
    "decline_reason",
    "outcome",
    "closing_note",
    "idempotency_key",
    "forwarded_from_id",
    "version",
    "created_at",
    "sent_at",
    "opened_at",
    "accepted_at",
    "declined_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "updated_at",
]


EVENT_COLUMNS = [
    "id",
    "kind",
    "created_at",
    "actor_id",
    "referral_id",
    "service_id",
    "from_organisation_id",
    "to_organisation_id",
    "neighbourhood_id",
    "from_status",
    "to_status",
    "detail",
]


CONSENT_COLUMNS = [
    "id",
    "referral_id",
    "given_by",
    "representative_name",
    "covers",
    "recorded_by_id",
    "recorded_at",
    "withdrawn_at",
]


MESSAGE_COLUMNS = ["id", "referral_id", "author_id", "organisation_id", "body", "created_at"]


RESIDENT_COLUMNS = [
    "id",
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "postcode",
    "neighbourhood_id",
    "phone",
    "email",
    "preferred_contact",
    "language",
    "interpreter_needed",
    "accessibility_needs",
    "created_by_organisation_id",
    "created_at",
]


UNMET_COLUMNS = [
    "id",
    "need_id",
    "neighbourhood_id",
    "resident_id",
    "recorded_by_organisation_id",
    "recorded_at",
]


# The models' Tables, for Core statements (`__table__` is typed as any FromClause).
TABLES = {
    "referrals": (REFERRAL_COLUMNS, db.metadata.tables[Referral.__tablename__]),
    "events": (EVENT_COLUMNS, db.metadata.tables[Event.__tablename__]),
    "consents": (CONSENT_COLUMNS, db.metadata.tables[Consent.__tablename__]),
    "messages": (MESSAGE_COLUMNS, db.metadata.tables[Message.__tablename__]),
    "residents": (RESIDENT_COLUMNS, db.metadata.tables[Resident.__tablename__]),
    "unmet_needs": (UNMET_COLUMNS, db.metadata.tables[UnmetNeed.__tablename__]),
}


_TS = {
    name: [i for i, c in enumerate(columns) if c.endswith("_at")]
    for name, (columns, _) in TABLES.items()
}


class RealData(click.ClickException):
    """The database holds something the generator did not make."""


def bench_state() -> tuple[int, int]:
    """(bench referrals, rows that are not bench data); refuses nothing, only counts."""
    foreign = (
        db.session.execute(
            select(func.count())
            .select_from(Organisation)
            .where(~Organisation.name.startswith(BENCH_ORG_PREFIX))
        ).scalar_one()
        + db.session.execute(
            select(func.count()).select_from(User).where(~User.email.endswith(BENCH_EMAIL_DOMAIN))
        ).scalar_one()
    )
    referrals = db.session.execute(select(func.count()).select_from(Referral)).scalar_one()
    return referrals, foreign


def empty_bench_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(BENCH_TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for table in BENCH_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (fixed table names)
    db.session.commit()


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.postgresql = db.engine.dialect.name == "postgresql"
        self._days: dict[int, str] = {}
        self._hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        self.raw = None
        if self.postgresql:
            # psycopg's own connection, for COPY; the session's transaction holds it open.
            self.raw = db.session.connection().connection.driver_connection

    def _pg_ts(self, value: float | None) -> str | None:
        if value is None:
            return None
        whole = int(value)
        day, second = divmod(whole, 86400)
        text_day = self._days.get(day)
        if text_day is None:
            text_day = self._days[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
        return f"{text_day} {self._hms[second]}+00"

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns, model_table = TABLES[table]
        stamps = _TS[table]
        if self.raw is not None:
            fmt = self._pg_ts
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    if stamps:
                        cells = list(row)
                        for i in stamps:
                            cells[i] = fmt(cells[i])
                        copy.write_row(cells)
                    else:
                        copy.write_row(row)
            return
        converted = []
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            for i in stamps:
                name = columns[i]
                if values[name] is not None:
                    values[name] = datetime.fromtimestamp(values[name], UTC)
            if "detail" in values:
                values["detail"] = json.loads(values["detail"])
            if "date_of_birth" in values:
                values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
            converted.append(values)
        for start in range(0, len(converted), 5000):
            db.session.execute(model_table.insert(), converted[start : start + 5000])


def secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes on `tables` that no constraint owns."""
    rows = db.session.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"
        ),
        {"tables": tables},
    )
    return [(name, definition) for name, definition in rows]


def reset_sequences() -> None:
    for table in [
        "neighbourhoods",
        "organisations",
        "users",
        "services",
        "capacity_updates",
        "residents",
        "referrals",
        "consents",
        "events",
        "messages",
        "unmet_needs",
        "api_tokens",
    ]:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  (fixed table names)
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        )
