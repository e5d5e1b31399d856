"""Background task runs (``Task.delay``) and task workers: a task run's submitted
parameters, who claimed it and when a task worker may take it (a partial index over
the background runs only), and the ``task_workers`` table.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_INDEX = "ix_task_runs__task_key_claimable_at"


def upgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parameters", JSONType(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimable_at", sa.Double(), nullable=True))
    where = sa.text("claimable_at IS NOT NULL")
    op.create_index(
        _INDEX,
        "task_runs",
        ["task_key", "claimable_at"],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_table(
        "task_workers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("task_keys", JSONType(), nullable=False),
        sa.Column("wake", sa.String(length=200), nullable=True),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("last_heartbeat", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_task_workers")),
    )


def downgrade() -> None:
    op.drop_table("task_workers")
    op.drop_index(_INDEX, table_name="task_runs")
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_column("claimable_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("parameters")
