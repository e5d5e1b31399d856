"""What a form offers to pick from: deployments, work pools and queues, block
documents and automations as (id, label) pairs, and when each automation last fired.
Narrow, indexed reads for the UI's automation and notification forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from headwater.server.db.tables import (
    automation_actions,
    automations,
    block_documents,
    block_types,
    deployments,
    flows,
    work_pools,
    work_queues,
)

Choice = tuple[str, str]
LIMIT = 1000


def _pairs(conn: Connection, query: Any) -> list[Choice]:
    return [(str(row[0]), str(row[1])) for row in conn.execute(query.limit(LIMIT))]


def _in_parent(conn: Connection, child: Any, parent: Any, parent_key: Any) -> list[Choice]:
    """``parent-name/child-name`` labels of a child table's rows, in name order."""
    query = (
        select(child.c.id, parent.c.name + "/" + child.c.name)
        .join(parent, parent.c.id == parent_key)
        .order_by(parent.c.name, child.c.name)
    )
    return _pairs(conn, query)


def deployment_choices(conn: Connection) -> list[Choice]:
    """Deployments as ``flow/deployment``."""
    return _in_parent(conn, deployments, flows, deployments.c.flow_id)


def work_pool_choices(conn: Connection) -> list[Choice]:
    return _pairs(conn, select(work_pools.c.id, work_pools.c.name).order_by(work_pools.c.name))


def work_queue_choices(conn: Connection) -> list[Choice]:
    """Work queues as ``pool/queue``."""
    return _in_parent(conn, work_queues, work_pools, work_queues.c.work_pool_id)


def block_choices(conn: Connection) -> list[Choice]:
    """Named block documents as ``type-slug/name``."""
    label = block_types.c.slug + "/" + block_documents.c.name
    query = (
        select(block_documents.c.id, label)
        .join(block_types, block_types.c.id == block_documents.c.block_type_id)
        .where(block_documents.c.is_anonymous.is_(False))
        .order_by(block_types.c.slug, block_documents.c.name)
    )
    return _pairs(conn, query)


def automation_choices(conn: Connection) -> list[Choice]:
    query = select(automations.c.id, automations.c.name).order_by(
        automations.c.name, automations.c.id
    )
    return _pairs(conn, query)


def last_fired(conn: Connection, automation_ids: Sequence[UUID]) -> dict[UUID, float]:
    """When each automation last recorded actions (a firing), by id."""
    if not automation_ids:
        return {}
    c = automation_actions.c
    query = (
        select(c.automation_id, func.max(c.created))
        .where(c.automation_id.in_(list(automation_ids)))
        .group_by(c.automation_id)
    )
    return {row[0]: float(row[1]) for row in conn.execute(query)}
