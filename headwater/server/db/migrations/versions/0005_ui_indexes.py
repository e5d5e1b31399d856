"""Indexes for the web UI: the runs list (each filter with its newest-first order)
and the dashboard (runs by state in a time window).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: (name, columns) of the indexes this revision adds to ``flow_runs``.
INDEXES = (
    ("ix_flow_runs__expected_start_time_state_type", ["expected_start_time", "state_type"]),
    ("ix_flow_runs__flow_id_expected_start_time", ["flow_id", "expected_start_time"]),
    ("ix_flow_runs__deployment_id_expected_start_time", ["deployment_id", "expected_start_time"]),
    ("ix_flow_runs__start_time", ["start_time"]),
    ("ix_flow_runs__name", ["name"]),
)


#: PostgreSQL only (see tables.py): the runs list's default order, newest first.
NEWEST_FIRST = "ix_flow_runs__newest_first"


def upgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            NEWEST_FIRST,
            "flow_runs",
            [sa.text("expected_start_time DESC NULLS LAST"), sa.text("id")],
            unique=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(NEWEST_FIRST, table_name="flow_runs")
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        for name, _ in reversed(INDEXES):
            batch_op.drop_index(name)
