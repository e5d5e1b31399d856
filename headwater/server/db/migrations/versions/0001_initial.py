"""Initial schema: flows, flow runs and their states, task runs, logs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
        sa.UniqueConstraint("name", name=op.f("uq_flows__name")),
    )
    op.create_table(
        "flow_runs",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("flow_version", sa.String(length=200), nullable=True),
        sa.Column("parameters", JSONType(), nullable=False),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("parent_flow_run_id", UUIDType(), nullable=True),
        sa.Column("parent_task_run_id", UUIDType(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=500), nullable=True),
        sa.Column("state_type", sa.String(length=16), nullable=False),
        sa.Column("state_name", sa.String(length=100), nullable=False),
        sa.Column("state_message", sa.Text(), nullable=True),
        sa.Column("state_timestamp", sa.Double(), nullable=False),
        sa.Column("state_details", JSONType(), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("empirical_policy", JSONType(), nullable=False),
        sa.Column("expected_start_time", sa.Double(), nullable=True),
        sa.Column("next_scheduled_start_time", sa.Double(), nullable=True),
        sa.Column("start_time", sa.Double(), nullable=True),
        sa.Column("end_time", sa.Double(), nullable=True),
        sa.Column("total_run_time", sa.Double(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_runs__flow_id__flows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_runs")),
        sa.UniqueConstraint(
            "flow_id", "idempotency_key", name=op.f("uq_flow_runs__flow_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_runs__created"), ["created"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_flow_runs__flow_id_start_time"), ["flow_id", "start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_runs__parent_flow_run_id"), ["parent_flow_run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_runs__state_type_expected_start_time"),
            ["state_type", "expected_start_time"],
            unique=False,
        )

    op.create_table(
        "flow_run_states",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.Double(), nullable=False),
        sa.Column("details", JSONType(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_runs.id"],
            name=op.f("fk_flow_run_states__flow_run_id__flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_states")),
    )
    with op.batch_alter_table("flow_run_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_run_states__flow_run_id"), ["flow_run_id"], unique=False
        )

    op.create_table(
        "logs",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=True),
        sa.Column("task_run_id", UUIDType(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_runs.id"],
            name=op.f("fk_logs__flow_run_id__flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs")),
    )
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_logs__flow_run_id_timestamp"), ["flow_run_id", "timestamp"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_logs__task_run_id"), ["task_run_id"], unique=False)

    op.create_table(
        "task_runs",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=True),
        sa.Column("task_key", sa.String(length=300), nullable=False),
        sa.Column("dynamic_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("state_type", sa.String(length=16), nullable=False),
        sa.Column("state_name", sa.String(length=100), nullable=False),
        sa.Column("state_message", sa.Text(), nullable=True),
        sa.Column("state_timestamp", sa.Double(), nullable=False),
        sa.Column("transitions", JSONType(), nullable=False),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("inputs", JSONType(), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("flow_run_attempt", sa.Integer(), nullable=False),
        sa.Column("cache_key", sa.String(length=500), nullable=True),
        sa.Column("start_time", sa.Double(), nullable=True),
        sa.Column("end_time", sa.Double(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_runs.id"],
            name=op.f("fk_task_runs__flow_run_id__flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_runs")),
    )
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_runs__flow_run_id_created"),
            ["flow_run_id", "created"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("task_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_runs__flow_run_id_created"))

    op.drop_table("task_runs")
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logs__task_run_id"))
        batch_op.drop_index(batch_op.f("ix_logs__flow_run_id_timestamp"))

    op.drop_table("logs")
    with op.batch_alter_table("flow_run_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_run_states__flow_run_id"))

    op.drop_table("flow_run_states")
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_runs__state_type_expected_start_time"))
        batch_op.drop_index(batch_op.f("ix_flow_runs__parent_flow_run_id"))
        batch_op.drop_index(batch_op.f("ix_flow_runs__flow_id_start_time"))
        batch_op.drop_index(batch_op.f("ix_flow_runs__created"))

    op.drop_table("flow_runs")
    op.drop_table("flows")
