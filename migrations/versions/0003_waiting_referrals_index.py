"""An index of waiting referrals, for the inbox's overdue count at scale

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WAITING = sa.text("status = 'requested'")


def upgrade():
    op.create_index(
        "ix_referrals_waiting",
        "referrals",
        ["to_organisation_id", "urgency", "sent_at"],
        unique=False,
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )


def downgrade():
    op.drop_index("ix_referrals_waiting", table_name="referrals")
