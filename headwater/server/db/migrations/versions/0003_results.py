"""Results: task runs keep their persisted result's ref, flow runs their entrypoint,
and a table of cache-key locks.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result", JSONType(), nullable=True))
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entrypoint", sa.String(length=1000), nullable=True))
    op.create_table(
        "cache_locks",
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cache_locks")),
    )


def downgrade() -> None:
    op.drop_table("cache_locks")
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_column("entrypoint")
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_column("result")
