"""Events, automations and the actions they decide (recorded before they are done).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("occurred", sa.Double(), nullable=False),
        sa.Column("event", sa.String(length=1024), nullable=False),
        sa.Column("resource_id", sa.String(length=1024), nullable=False),
        sa.Column("resource", JSONType(), nullable=False),
        sa.Column("related", JSONType(), nullable=False),
        sa.Column("related_ids", JSONType(), nullable=False),
        sa.Column("payload", JSONType(), nullable=False),
        sa.Column("follows", UUIDType(), nullable=True),
        sa.Column("received", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events__occurred", ["occurred"])
        batch_op.create_index("ix_events__event_occurred", ["event", "occurred"])
        batch_op.create_index("ix_events__resource_id_occurred", ["resource_id", "occurred"])
        batch_op.create_index("ix_events__received", ["received"])
    op.create_table(
        "automations",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("trigger", JSONType(), nullable=False),
        sa.Column("actions", JSONType(), nullable=False),
        sa.Column("actions_on_trigger", JSONType(), nullable=False),
        sa.Column("actions_on_resolve", JSONType(), nullable=False),
        sa.Column("tags", JSONType(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automations")),
    )
    with op.batch_alter_table("automations", schema=None) as batch_op:
        batch_op.create_index("ix_automations__name", ["name"])
    op.create_table(
        "automation_actions",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("automation_id", UUIDType(), nullable=False),
        sa.Column("firing_id", UUIDType(), nullable=False),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("action", JSONType(), nullable=False),
        sa.Column("context", JSONType(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.Double(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automations.id"],
            name=op.f("fk_automation_actions__automation_id__automations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_actions")),
    )
    with op.batch_alter_table("automation_actions", schema=None) as batch_op:
        batch_op.create_index("ix_automation_actions__automation_id", ["automation_id"])
        batch_op.create_index(
            "ix_automation_actions__status_next_attempt", ["status", "next_attempt"]
        )


def downgrade() -> None:
    op.drop_table("automation_actions")
    op.drop_table("automations")
    op.drop_table("events")
