"""Leases: what a process holds (concurrency slots, locks, cache keys) expires unless
its holder renews it; waiters queue first come first served.  Cache-key locks become
leases, so their table goes.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import UUIDType

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("resource", sa.String(length=700), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=True),
        sa.Column("task_run_id", UUIDType(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", "resource", name=op.f("pk_leases")),
    )
    with op.batch_alter_table("leases", schema=None) as batch_op:
        batch_op.create_index("ix_leases__resource_expires", ["resource", "expires"])
        batch_op.create_index("ix_leases__flow_run_id", ["flow_run_id"])
        batch_op.create_index("ix_leases__task_run_id", ["task_run_id"])
    op.create_table(
        "lease_waiters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ticket", UUIDType(), nullable=False),
        sa.Column("resource", sa.String(length=700), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("wake", sa.String(length=200), nullable=True),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease_waiters")),
        sa.UniqueConstraint("ticket", "resource", name=op.f("uq_lease_waiters__ticket_resource")),
    )
    with op.batch_alter_table("lease_waiters", schema=None) as batch_op:
        batch_op.create_index("ix_lease_waiters__resource_id", ["resource", "id"])
    op.drop_table("cache_locks")


def downgrade() -> None:
    op.create_table(
        "cache_locks",
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires", sa.Double(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cache_locks")),
    )
    with op.batch_alter_table("lease_waiters", schema=None) as batch_op:
        batch_op.drop_index("ix_lease_waiters__resource_id")
    op.drop_table("lease_waiters")
    with op.batch_alter_table("leases", schema=None) as batch_op:
        batch_op.drop_index("ix_leases__task_run_id")
        batch_op.drop_index("ix_leases__flow_run_id")
        batch_op.drop_index("ix_leases__resource_expires")
    op.drop_table("leases")
