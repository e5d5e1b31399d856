"""``HttpClient`` reads added for Prefect's client methods: flows by id and name,
flow-run counts, and a health check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.filters import FlowRunFilter
    from headwater.schemas.flows import Flow

_READ = 2.0


class HttpReadsMixin:
    transport: Any

    def read_flow(self, flow_id: UUID) -> Flow:
        from headwater.schemas.flows import Flow

        response = self.transport.request("GET", f"/flows/{flow_id}", retry_for=_READ)
        return Flow.model_validate_json(response.content)

    def read_flow_by_name(self, name: str) -> Flow:
        """``ObjectNotFound`` when no flow has that name."""
        from headwater.schemas.flows import Flow

        path = f"/flows/name/{quote(name, safe='')}"
        return Flow.model_validate_json(
            self.transport.request("GET", path, retry_for=_READ).content
        )

    def count_flow_runs(self, *, flow_run_filter: FlowRunFilter | None = None) -> int:
        from headwater.client.transport import dumps

        body: dict[str, Any] = {}
        if flow_run_filter is not None:
            body["flow_runs"] = flow_run_filter.model_dump(mode="json", exclude_none=True)
        response = self.transport.request("POST", "/flow_runs/count", dumps(body), retry_for=_READ)
        return int(response.json())

    def hello(self) -> dict[str, Any]:
        """The server answers ``/health``."""
        result: dict[str, Any] = self.transport.request("GET", "/health", retry_for=_READ).json()
        return result
