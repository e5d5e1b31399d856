"""Background task runs through the REST API (see ``server/api/task_runs.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import httpx

    from headwater.schemas.task_queue import TaskClaimRequest, TaskClaimResult, TaskRunSubmit

#: A task worker waits this long for a server that is restarting.
WORKER_RETRY_SECONDS = 30.0


class HttpTaskQueueMixin:
    transport: Any

    def _send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        from headwater.client.transport import dumps

        content = dumps(body) if body is not None else None
        response: httpx.Response = self.transport.request(
            method, path, content, retry_for=WORKER_RETRY_SECONDS
        )
        return response

    def submit_task_runs(self, runs: list[TaskRunSubmit]) -> None:
        self._send("POST", "/task_runs/submit", [run.model_dump(mode="json") for run in runs])

    def claim_task_runs(self, request: TaskClaimRequest) -> TaskClaimResult:
        from headwater.schemas.task_queue import TaskClaimResult

        response = self._send("POST", "/task_runs/claim", request.model_dump(mode="json"))
        return TaskClaimResult.model_validate_json(response.content)

    def remove_task_worker(self, name: str) -> None:
        self._send("DELETE", f"/task_runs/workers/{quote(name, safe='')}")
