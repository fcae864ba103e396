"""Notifications: the newest event each user has seen

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:30:35.058414

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases: batch mode only rebuilds the table on SQLite
    # when it has to, and a nullable column does not need it.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notifications_seen_event_id', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notifications_seen_event_id')
