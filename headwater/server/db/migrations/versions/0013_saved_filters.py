"""Saved filters: a named view of a UI list (its query string), kept in the store;
and an index on task runs' creation time and state, for the dashboard's task-run
counts of a window (a range scan of the index alone).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import UUIDType

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("page", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("page", "name", name=op.f("uq_saved_filters__page_name")),
    )
    op.create_index("ix_task_runs__created_state_type", "task_runs", ["created", "state_type"])


def downgrade() -> None:
    op.drop_index("ix_task_runs__created_state_type", table_name="task_runs")
    op.drop_table("saved_filters")
