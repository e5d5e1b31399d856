"""Flows: created on first use by name."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete, select

from headwater.exceptions import ObjectNotFound
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import flows
from headwater.server.db.text_match import contains_text
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.flows import Flow


_ID_BY_NAME = select(flows.c.id).where(flows.c.name == bindparam("name"))


def ensure_flow(conn: Connection, *, name: str) -> UUID:
    """The id of the flow called ``name``, creating it if needed (safe under races)."""
    flow_id = conn.execute(_ID_BY_NAME, {"name": name}).scalar()
    if flow_id is not None:
        return flow_id
    now = time.time()
    stmt = insert_for(conn, flows).values(id=new_id(), name=name, tags=[], created=now, updated=now)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return conn.execute(_ID_BY_NAME, {"name": name}).scalar_one()


def read_flows(
    conn: Connection, *, name_like: str | None = None, limit: int = 200, offset: int = 0
) -> list[Flow]:
    from headwater.schemas.flows import Flow

    query = select(flows)
    if name_like:
        query = query.where(contains_text(flows.c.name, name_like))
    rows = conn.execute(query.order_by(flows.c.name).limit(limit).offset(offset))
    return [Flow.model_validate(dict(row._mapping)) for row in rows]


def read_flow(conn: Connection, *, flow_id: UUID) -> Flow:
    from headwater.schemas.flows import Flow

    row = conn.execute(select(flows).where(flows.c.id == flow_id)).first()
    if row is None:
        raise ObjectNotFound(f"flow {flow_id} not found")
    return Flow.model_validate(dict(row._mapping))


def read_flow_by_name(conn: Connection, *, name: str) -> Flow | None:
    from headwater.schemas.flows import Flow

    row = conn.execute(select(flows).where(flows.c.name == name)).first()
    return Flow.model_validate(dict(row._mapping)) if row else None


def delete_flow(conn: Connection, *, flow_id: UUID) -> None:
    """Delete a flow with all its runs."""
    if conn.execute(delete(flows).where(flows.c.id == flow_id)).rowcount == 0:
        raise ObjectNotFound(f"flow {flow_id} not found")
