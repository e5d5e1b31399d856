"""Worker types: a work pool keeps its base job template (how its runs become
infrastructure: a job configuration with placeholders and the variables' schema).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headwater.server.db.types import JSONType

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_pools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("base_job_template", JSONType(), nullable=False, server_default="{}")
        )


def downgrade() -> None:
    with op.batch_alter_table("work_pools", schema=None) as batch_op:
        batch_op.drop_column("base_job_template")
