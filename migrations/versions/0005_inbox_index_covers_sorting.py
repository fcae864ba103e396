"""The inbox index carries what a page's sorting reads

On PostgreSQL, ix_referrals_inbox includes sent_at, urgency and id, so the inbox finds a
page's referrals (sorted by sending or urgency, at any page) from the index alone.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ["to_organisation_id", "status", "created_at"]


def upgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_inbox")
        batch_op.create_index(
            "ix_referrals_inbox",
            COLUMNS,
            unique=False,
            postgresql_include=["sent_at", "urgency", "id"],
        )


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_inbox")
        batch_op.create_index("ix_referrals_inbox", COLUMNS, unique=False)
