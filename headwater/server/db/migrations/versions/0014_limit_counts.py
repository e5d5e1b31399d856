"""Concurrency limits keep the slots their lease rows hold (``held``), so a slot is
taken with one conditional UPDATE of the limit's row instead of counting leases.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Integer(), nullable=False, server_default="0"))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT resource, SUM(slots) FROM leases WHERE resource LIKE 'limit:%' "
            "GROUP BY resource"
        )
    ).all()
    postgres = conn.dialect.name == "postgresql"
    for resource, slots in rows:
        limit_id = uuid.UUID(resource.removeprefix("limit:"))
        conn.execute(
            sa.text("UPDATE concurrency_limits SET held = :held WHERE id = :id"),
            {"held": int(slots), "id": limit_id if postgres else limit_id.bytes},
        )


def downgrade() -> None:
    with op.batch_alter_table("concurrency_limits", schema=None) as batch_op:
        batch_op.drop_column("held")
