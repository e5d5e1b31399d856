"""``LocalClient``'s flow-run inputs and resuming a paused run, on the embedded store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.orchestration import OrchestrationResult
    from headwater.server.db.database import Database


class LocalInputsMixin:
    db: Database

    def resume_flow_run(
        self, flow_run_id: UUID, run_input: dict[str, Any] | None = None
    ) -> OrchestrationResult:
        from headwater.server.store import run_inputs

        with self.db.begin_write() as conn:
            return run_inputs.resume_flow_run(conn, flow_run_id=flow_run_id, run_input=run_input)

    def read_flow_run_pause(self, flow_run_id: UUID) -> dict[str, Any]:
        from headwater.server.store import run_inputs

        with self.db.begin_read() as conn:
            return run_inputs.pause_details(conn, flow_run_id=flow_run_id)

    def create_flow_run_input(
        self, flow_run_id: UUID, key: str, value: Any, sender: str | None = None
    ) -> None:
        from headwater.server.store import run_inputs

        with self.db.begin_write() as conn:
            run_inputs.create_flow_run_input(
                conn, flow_run_id=flow_run_id, key=key, value=value, sender=sender
            )

    def read_flow_run_input(self, flow_run_id: UUID, key: str) -> Any:
        from headwater.server.store import run_inputs

        with self.db.begin_read() as conn:
            return run_inputs.read_flow_run_input(conn, flow_run_id=flow_run_id, key=key)

    def read_flow_run_inputs(self, flow_run_id: UUID, key_prefix: str) -> list[tuple[str, Any]]:
        from headwater.server.store import run_inputs

        with self.db.begin_read() as conn:
            return run_inputs.read_flow_run_inputs(
                conn, flow_run_id=flow_run_id, key_prefix=key_prefix
            )

    def delete_flow_run_input(self, flow_run_id: UUID, key: str) -> bool:
        from headwater.server.store import run_inputs

        with self.db.begin_write() as conn:
            return run_inputs.delete_flow_run_input(conn, flow_run_id=flow_run_id, key=key)
