"""Referrals being made are kept on the server

A draft referral's answers (the resident's name, date of birth, NHS number, the summary)
were kept in the signed but readable session cookie; now they are a row owned by the user
who makes it, and the cookie carries only the row's id. Drafts in cookies from before are
not carried over: whoever was part way through starts again.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "draft_referrals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_draft_referrals_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_draft_referrals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_referrals")),
    )
    with op.batch_alter_table("draft_referrals", schema=None) as batch_op:
        for column in ("organisation_id", "updated_at", "user_id"):
            batch_op.create_index(batch_op.f(f"ix_draft_referrals_{column}"), [column])


def downgrade():
    op.drop_table("draft_referrals")
