"""The store's tables for events and what reacts to them: events, automations and the
actions they decided, deployments' SLAs and their breaches, incoming webhooks (one
``metadata`` with ``tables.py``)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from headwater.server.db.metadata import metadata
from headwater.server.db.types import JSONType, UUIDType

# -- events and automations ------------------------------------------------------------
events = Table(
    "events",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("occurred", Double, nullable=False),
    Column("event", String(1024), nullable=False),
    Column("resource_id", String(1024), nullable=False),
    Column("resource", JSONType, nullable=False, default=dict),
    Column("related", JSONType, nullable=False, default=list),
    # The related resources' ids, for "related to X" filters without reading `related`.
    Column("related_ids", JSONType, nullable=False, default=list),
    Column("payload", JSONType, nullable=False, default=dict),
    Column("follows", UUIDType),
    Column("received", Double, nullable=False),
    Index(None, "occurred"),
    Index(None, "event", "occurred"),
    Index(None, "resource_id", "occurred"),
    Index(None, "received"),
)

# PostgreSQL (0018): ``resource.id_prefix`` and ``event.prefix`` are a LIKE 'prefix%',
# which a plain index serves only under the "C" collation, so the resource id and the
# event name have a pattern_ops index too;
# "related to X" (``related``, ``any_resource``) is ``related_ids @> '["X"]'``, which a
# GIN index serves.  SQLite reads a prefix as a range over the plain resource_id index
# and the event index (store/events.py) and has no index for JSON arrays.
Index(
    "ix_events__event_pattern",
    events.c.event,
    events.c.occurred,
    postgresql_ops={"event": "text_pattern_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_events__resource_id_pattern",
    events.c.resource_id,
    events.c.occurred,
    postgresql_ops={"resource_id": "text_pattern_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_events__related_ids",
    events.c.related_ids,
    postgresql_using="gin",
    postgresql_ops={"related_ids": "jsonb_path_ops"},
).ddl_if(dialect="postgresql")

automations = Table(
    "automations",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("trigger", JSONType, nullable=False),
    Column("actions", JSONType, nullable=False, default=list),
    Column("actions_on_trigger", JSONType, nullable=False, default=list),
    Column("actions_on_resolve", JSONType, nullable=False, default=list),
    Column("tags", JSONType, nullable=False, default=list),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Index(None, "name"),
)

# An action is recorded here in the transaction that decides it, then done and marked
# delivered: a server that stops in between does it when it starts again.
automation_actions = Table(
    "automation_actions",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "automation_id",
        UUIDType,
        ForeignKey("automations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("firing_id", UUIDType, nullable=False),
    Column("action_index", Integer, nullable=False),
    Column("action", JSONType, nullable=False),
    Column("context", JSONType, nullable=False, default=dict),
    Column("status", String(20), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Double, nullable=False),
    Column("last_error", Text),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Index(None, "status", "next_attempt"),
)

# -- SLAs of deployments and incoming webhooks (server/store/slas.py, webhooks.py) -------
slas = Table(
    "slas",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "deployment_id",
        UUIDType,
        ForeignKey("deployments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(200), nullable=False),
    Column("type", String(32), nullable=False),  # time-to-completion, lateness, frequency
    Column("duration", Double, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("labels", JSONType, nullable=False, default=dict),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    UniqueConstraint("deployment_id", "name"),
)

# One row per breach: the unique key makes a breach emit its event once, also across
# restarts and several server processes on one PostgreSQL.
sla_breaches = Table(
    "sla_breaches",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("sla_id", UUIDType, ForeignKey("slas.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(100), nullable=False),
    Column("flow_run_id", UUIDType),
    Column("occurred", Double, nullable=False),
    UniqueConstraint("sla_id", "key"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("template", Text, nullable=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)
