"""The transactions of flow runs: how each ended, its task runs and the hooks that ran.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_transactions",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=False),
        sa.Column("parent_id", UUIDType(), nullable=True),
        sa.Column("key", sa.String(length=500), nullable=True),
        sa.Column("implicit", sa.Boolean(), nullable=False),
        sa.Column("isolation_level", sa.String(length=20), nullable=False),
        sa.Column("commit_mode", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reused", sa.Boolean(), nullable=False),
        sa.Column("flow_run_attempt", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Double(), nullable=False),
        sa.Column("end_time", sa.Double(), nullable=True),
        sa.Column("task_run_ids", JSONType(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("hooks", JSONType(), nullable=False),
        sa.Column("hook_count", sa.Integer(), nullable=False),
        sa.Column("failed_hook_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_runs.id"],
            name=op.f("fk_run_transactions__flow_run_id__flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_transactions")),
    )
    with op.batch_alter_table("run_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_transactions__flow_run_id_start_time", ["flow_run_id", "start_time"]
        )


def downgrade() -> None:
    op.drop_table("run_transactions")
