"""Dashboards at scale: a daily summary per neighbourhood, and indexes for the rest

The summary holds the counts; ix_referrals_neighbourhood_created carries what the medians
and the flows read (PostgreSQL), and waiting referrals by neighbourhood give the overdue
count.

Revision ID: 0004
Revises: 0003
"""

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

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
WAITING = sa.text("status = 'requested'")
COUNTS = ("made", "accepted", "declined", "completed", "declined_for_capacity")


def upgrade():
    op.create_table(
        "neighbourhood_days",
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_neighbourhood_days_neighbourhood_id_neighbourhoods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("neighbourhood_id", "day", name=op.f("pk_neighbourhood_days")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_neighbourhood_created")
        batch_op.create_index(
            "ix_referrals_neighbourhood_created",
            ["neighbourhood_id", "created_at"],
            unique=False,
            postgresql_include=DASHBOARD_COLUMNS,
        )
        batch_op.create_index(
            "ix_referrals_waiting_by_neighbourhood",
            ["neighbourhood_id", "urgency", "sent_at"],
            unique=False,
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        )
    _count_existing_referrals()


def _count_existing_referrals():
    """The summary of the referrals already there, by the rules of
    partnership.dashboards.daily as they stood when this was written."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                """
                INSERT INTO neighbourhood_days
                    (neighbourhood_id, day, made, accepted, declined, completed,
                     declined_for_capacity)
                SELECT neighbourhood_id,
                       (created_at AT TIME ZONE 'Europe/London')::date,
                       count(*),
                       count(*) FILTER (WHERE accepted_at IS NOT NULL),
                       count(*) FILTER (WHERE status = 'rejected'),
                       count(*) FILTER (WHERE status = 'completed'),
                       count(*) FILTER (WHERE status = 'rejected'
                                        AND decline_reason = 'no-capacity')
                FROM referrals
                WHERE sent_at IS NOT NULL
                GROUP BY 1, 2
                """
            )
        )
        return
    london = ZoneInfo("Europe/London")
    days: dict[tuple, Counter] = {}
    rows = bind.execute(
        sa.text(
            "SELECT neighbourhood_id, created_at, accepted_at, status, decline_reason "
            "FROM referrals WHERE sent_at IS NOT NULL"
        )
    )
    for neighbourhood_id, created_at, accepted_at, status, reason in rows:
        made = created_at if isinstance(created_at, datetime) else datetime.fromisoformat(created_at)
        day = made.replace(tzinfo=made.tzinfo or UTC).astimezone(london).date()
        counts = days.setdefault((neighbourhood_id, day), Counter())
        declined = status == "rejected"
        counts["made"] += 1
        counts["accepted"] += accepted_at is not None
        counts["declined"] += declined
        counts["completed"] += status == "completed"
        counts["declined_for_capacity"] += declined and reason == "no-capacity"
    if days:
        table = sa.table(
            "neighbourhood_days",
            sa.column("neighbourhood_id"),
            sa.column("day"),
            *[sa.column(name) for name in COUNTS],
        )
        op.bulk_insert(
            table,
            [
                {"neighbourhood_id": hood, "day": day} | {n: counts[n] for n in COUNTS}
                for (hood, day), counts in days.items()
            ],
        )


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_waiting_by_neighbourhood")
        batch_op.drop_index("ix_referrals_neighbourhood_created")
        batch_op.create_index(
            "ix_referrals_neighbourhood_created", ["neighbourhood_id", "created_at"], unique=False
        )
    op.drop_table("neighbourhood_days")
