"""``HttpClient``'s flow-run inputs and resuming a paused run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.orchestration import OrchestrationResult

_READ = 2.0


class HttpInputsMixin:
    transport: Any

    def resume_flow_run(
        self, flow_run_id: UUID, run_input: dict[str, Any] | None = None
    ) -> OrchestrationResult:
        from headwater.client.transport import dumps
        from headwater.schemas.orchestration import OrchestrationResult

        body = dumps({"run_input": run_input})
        response = self.transport.request(
            "POST", f"/flow_runs/{flow_run_id}/resume", body, retry_for=_READ
        )
        return OrchestrationResult.from_dict(response.json())

    def read_flow_run_pause(self, flow_run_id: UUID) -> dict[str, Any]:
        response = self.transport.request("GET", f"/flow_runs/{flow_run_id}/pause", retry_for=_READ)
        result: dict[str, Any] = response.json()
        return result

    def create_flow_run_input(
        self, flow_run_id: UUID, key: str, value: Any, sender: str | None = None
    ) -> None:
        from headwater.client.transport import dumps

        body = dumps({"key": key, "value": value, "sender": sender})
        self.transport.request("POST", f"/flow_runs/{flow_run_id}/input", body, retry_for=_READ)

    def read_flow_run_input(self, flow_run_id: UUID, key: str) -> Any:
        from headwater.exceptions import ObjectNotFound

        path = f"/flow_runs/{flow_run_id}/input/{quote(key, safe='')}"
        try:
            return self.transport.request("GET", path, retry_for=_READ).json()["value"]
        except ObjectNotFound:
            return None

    def read_flow_run_inputs(self, flow_run_id: UUID, key_prefix: str) -> list[tuple[str, Any]]:
        path = f"/flow_runs/{flow_run_id}/inputs?key_prefix={quote(key_prefix, safe='')}"
        found = self.transport.request("GET", path, retry_for=_READ).json()
        return [(item["key"], item["value"]) for item in found]

    def delete_flow_run_input(self, flow_run_id: UUID, key: str) -> bool:
        path = f"/flow_runs/{flow_run_id}/input/{quote(key, safe='')}"
        return bool(self.transport.request("DELETE", path, retry_for=_READ).json()["deleted"])
