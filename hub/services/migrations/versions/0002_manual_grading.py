"""manual grading: pending points, manual/pending tests, audit of result updates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pending_points", sa.Float(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("test_results", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("manual", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "result_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.Column("previous_score", sa.Float(), nullable=False),
        sa.Column("previous_pending_points", sa.Float(), nullable=False),
        sa.Column("new_score", sa.Float(), nullable=False),
        sa.Column("new_pending_points", sa.Float(), nullable=False),
        sa.Column("previous_record", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("result_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_result_updates_result_id"), ["result_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("result_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_updates_result_id"))
    op.drop_table("result_updates")
    with op.batch_alter_table("test_results", schema=None) as batch_op:
        batch_op.drop_column("pending")
        batch_op.drop_column("manual")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_column("pending_points")
