"""SLAs of deployments (and the breaches they found), and incoming webhooks.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType, UUIDType

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slas",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("deployment_id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("labels", JSONType(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_slas__deployment_id__deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slas")),
        sa.UniqueConstraint("deployment_id", "name", name=op.f("uq_slas__deployment_id_name")),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("sla_id", UUIDType(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("flow_run_id", UUIDType(), nullable=True),
        sa.Column("occurred", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sla_id"], ["slas.id"], name=op.f("fk_sla_breaches__sla_id__slas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint("sla_id", "key", name=op.f("uq_sla_breaches__sla_id_key")),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.Column("updated", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("name", name=op.f("uq_webhooks__name")),
        sa.UniqueConstraint("slug", name=op.f("uq_webhooks__slug")),
    )


def downgrade() -> None:
    op.drop_table("webhooks")
    op.drop_table("sla_breaches")
    op.drop_table("slas")
