"""Waiters for a concurrency limit's slots carry what a release needs to hand them
the slots in its own transaction: the lease's duration, holder and runs.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import UUIDType

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lease_waiters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("holder", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("flow_run_id", UUIDType(), nullable=True))
        batch_op.add_column(sa.Column("task_run_id", UUIDType(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lease_waiters", schema=None) as batch_op:
        batch_op.drop_column("task_run_id")
        batch_op.drop_column("flow_run_id")
        batch_op.drop_column("holder")
        batch_op.drop_column("duration")
