"""Artifacts: what runs publish (markdown, tables, links, progress, images), one row
per version of a keyed artifact; flow-run inputs: what a paused run waits for and what
it was sent.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import UUIDType

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("flow_run_id", UUIDType(), nullable=True),
        sa.Column("task_run_id", UUIDType(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
    )
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.create_index("ix_artifacts__key_created", ["key", "created"])
        batch_op.create_index("ix_artifacts__flow_run_id_created", ["flow_run_id", "created"])
        batch_op.create_index("ix_artifacts__task_run_id", ["task_run_id"])
        batch_op.create_index("ix_artifacts__created", ["created"])

    op.create_table(
        "flow_run_inputs",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_runs.id"],
            name=op.f("fk_flow_run_inputs__flow_run_id__flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_inputs")),
        sa.UniqueConstraint("flow_run_id", "key", name=op.f("uq_flow_run_inputs__flow_run_id_key")),
    )


def downgrade() -> None:
    op.drop_table("flow_run_inputs")
    op.drop_table("artifacts")
