"""Deployments and their schedules, work pools, work queues and workers; flow runs
gain the deployment, queue, worker and heartbeat they are run by.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_pools",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_work_pools__name")),
    )
    op.create_table(
        "work_queues",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("work_pool_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_polled", sa.Double(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pools.id"],
            name=op.f("fk_work_queues__work_pool_id__work_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queues")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_work_queues__work_pool_id_name")),
    )
    op.create_table(
        "workers",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("work_pool_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("heartbeat_seconds", sa.Double(), nullable=False),
        sa.Column("last_heartbeat", sa.Double(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pools.id"],
            name=op.f("fk_workers__work_pool_id__work_pools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_workers__work_pool_id_name")),
    )
    op.create_table(
        "deployments",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("parameters", JSONType(), nullable=False),
        sa.Column("parameter_schema", JSONType(), nullable=False),
        sa.Column("entrypoint", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("pull_steps", JSONType(), nullable=False),
        sa.Column("work_pool_id", UUIDType(), nullable=True),
        sa.Column("work_queue_id", UUIDType(), nullable=True),
        sa.Column("job_variables", JSONType(), nullable=False),
        sa.Column("empirical_policy", JSONType(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("collision_strategy", sa.String(length=20), nullable=False),
        sa.Column("missed_runs", sa.String(length=20), nullable=False),
        sa.Column("lateness_limit_seconds", sa.Double(), nullable=True),
        sa.Column("last_scheduler_pass", sa.Double(), nullable=True),
        sa.Column("last_polled", sa.Double(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flows.id"],
            name=op.f("fk_deployments__flow_id__flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pools.id"],
            name=op.f("fk_deployments__work_pool_id__work_pools"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_queue_id"],
            ["work_queues.id"],
            name=op.f("fk_deployments__work_queue_id__work_queues"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("flow_id", "name", name=op.f("uq_deployments__flow_id_name")),
    )
    op.create_table(
        "deployment_schedules",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("deployment_id", UUIDType(), nullable=False),
        sa.Column("schedule", JSONType(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("parameters", JSONType(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_schedules__deployment_id__deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_schedules")),
    )
    with op.batch_alter_table("deployment_schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_schedules__deployment_id"), ["deployment_id"], unique=False
        )

    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deployment_id", UUIDType(), nullable=True))
        batch_op.add_column(sa.Column("work_pool_id", UUIDType(), nullable=True))
        batch_op.add_column(sa.Column("work_queue_id", UUIDType(), nullable=True))
        batch_op.add_column(sa.Column("schedule_id", UUIDType(), nullable=True))
        batch_op.add_column(
            sa.Column("auto_scheduled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("worker_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("infrastructure_pid", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("heartbeat", sa.Double(), nullable=True))
        batch_op.create_index(
            "ix_flow_runs__deployment_due",
            ["deployment_id", "state_type", "next_scheduled_start_time"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_flow_runs__state_type_heartbeat"),
            ["state_type", "heartbeat"],
            unique=False,
        )
        batch_op.create_index(
            "ix_flow_runs__work_queue_due",
            ["work_queue_id", "state_type", "next_scheduled_start_time"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_runs__work_queue_due")
        batch_op.drop_index(batch_op.f("ix_flow_runs__state_type_heartbeat"))
        batch_op.drop_index("ix_flow_runs__deployment_due")
        batch_op.drop_column("heartbeat")
        batch_op.drop_column("infrastructure_pid")
        batch_op.drop_column("worker_name")
        batch_op.drop_column("auto_scheduled")
        batch_op.drop_column("schedule_id")
        batch_op.drop_column("work_queue_id")
        batch_op.drop_column("work_pool_id")
        batch_op.drop_column("deployment_id")

    with op.batch_alter_table("deployment_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_schedules__deployment_id"))

    op.drop_table("deployment_schedules")
    op.drop_table("deployments")
    op.drop_table("workers")
    op.drop_table("work_queues")
    op.drop_table("work_pools")
