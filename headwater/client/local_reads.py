"""``LocalClient`` reads added for Prefect's client methods: flows by id and name,
flow-run counts, and a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.filters import FlowRunFilter
    from headwater.schemas.flows import Flow
    from headwater.server.db.database import Database


class LocalReadsMixin:
    db: Database

    def read_flow(self, flow_id: UUID) -> Flow:
        from headwater.server.store import flows

        with self.db.begin_read() as conn:
            return flows.read_flow(conn, flow_id=flow_id)

    def read_flow_by_name(self, name: str) -> Flow:
        """``ObjectNotFound`` when no flow has that name."""
        from headwater.exceptions import ObjectNotFound
        from headwater.server.store import flows

        with self.db.begin_read() as conn:
            found = flows.read_flow_by_name(conn, name=name)
        if found is None:
            raise ObjectNotFound(f"flow {name!r} not found")
        return found

    def count_flow_runs(self, *, flow_run_filter: FlowRunFilter | None = None) -> int:
        from headwater.server.store import flow_runs

        with self.db.begin_read() as conn:
            return flow_runs.count_flow_runs(conn, flow_run_filter=flow_run_filter)

    def hello(self) -> dict[str, Any]:
        """The store answers (one trivial read)."""
        from sqlalchemy import text

        with self.db.begin_read() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}
