"""Events filtered by resource or event name without reading the whole table on
PostgreSQL: pattern_ops indexes for resource id and event name prefixes (LIKE
'prefix%') and a GIN index for "related to X" (``related_ids @> '["X"]'``).  Nothing on
SQLite, where a prefix is read as a range over the existing indexes.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: PostgreSQL only (see tables_events.py).
RESOURCE_PATTERN = "ix_events__resource_id_pattern"
RELATED_IDS = "ix_events__related_ids"
EVENT_PATTERN = "ix_events__event_pattern"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        RESOURCE_PATTERN,
        "events",
        ["resource_id", "occurred"],
        postgresql_ops={"resource_id": "text_pattern_ops"},
    )
    op.create_index(
        EVENT_PATTERN,
        "events",
        ["event", "occurred"],
        postgresql_ops={"event": "text_pattern_ops"},
    )
    op.create_index(
        RELATED_IDS,
        "events",
        ["related_ids"],
        postgresql_using="gin",
        postgresql_ops={"related_ids": "jsonb_path_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(RELATED_IDS, table_name="events")
    op.drop_index(EVENT_PATTERN, table_name="events")
    op.drop_index(RESOURCE_PATTERN, table_name="events")
