"""``HttpClient``'s deployments, work pools, claims and run control over the REST API
(see ``protocol.DeploymentsClient``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from headwater.states import State

if TYPE_CHECKING:
    import httpx

    from headwater.schemas.deployments import (
        Deployment,
        DeploymentCreate,
        DeploymentFilter,
        DeploymentFlowRunCreate,
        DeploymentUpdate,
        ScheduleUpdate,
    )
    from headwater.schemas.filters import FlowRunFilter
    from headwater.schemas.flow_runs import FlowRun
    from headwater.schemas.work_pools import (
        ClaimRequest,
        ClaimResult,
        Worker,
        WorkPool,
        WorkPoolCreate,
        WorkPoolUpdate,
        WorkQueue,
        WorkQueueCreate,
        WorkQueueUpdate,
    )

#: Calls a worker makes on its own: retried for a while (the server may restart).
WORKER_RETRY_SECONDS = 30.0
_READ = 2.0


class HttpDeploymentsMixin:
    transport: Any
    retry_seconds: float

    def _call(
        self, method: str, path: str, body: Any = None, *, retry_for: float = _READ
    ) -> httpx.Response:
        from headwater.client.transport import dumps

        content = dumps(body) if body is not None else None
        response: httpx.Response = self.transport.request(
            method, path, content, retry_for=retry_for
        )
        return response

    # -- deployments ------------------------------------------------------------------
    def apply_deployment(self, deployment: DeploymentCreate) -> Deployment:
        from headwater.schemas.deployments import Deployment

        response = self._call("POST", "/deployments", deployment.model_dump(mode="json"))
        return Deployment.model_validate_json(response.content)

    def read_deployment(self, deployment_id: UUID) -> Deployment:
        from headwater.schemas.deployments import Deployment

        response = self._call("GET", f"/deployments/{deployment_id}")
        return Deployment.model_validate_json(response.content)

    def read_deployment_by_name(self, full_name: str) -> Deployment:
        from headwater.schemas.deployments import Deployment, split_full_name

        flow_name, name = split_full_name(full_name)
        path = f"/deployments/name/{quote(flow_name, safe='')}/{quote(name, safe='')}"
        return Deployment.model_validate_json(self._call("GET", path).content)

    def read_deployments(
        self,
        *,
        deployment_filter: DeploymentFilter | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Deployment]:
        from headwater.schemas.deployments import Deployment

        body: dict[str, Any] = {"limit": min(limit, 1000), "offset": offset}
        if deployment_filter is not None:
            body["deployments"] = deployment_filter.model_dump(mode="json", exclude_none=True)
        response = self._call("POST", "/deployments/filter", body)
        return [Deployment.model_validate(item) for item in response.json()]

    def update_deployment(self, deployment_id: UUID, changes: DeploymentUpdate) -> Deployment:
        from headwater.schemas.deployments import Deployment

        body = changes.model_dump(mode="json", exclude_unset=True)
        response = self._call("PATCH", f"/deployments/{deployment_id}", body)
        return Deployment.model_validate_json(response.content)

    def update_deployment_schedule(
        self, deployment_id: UUID, schedule_id: UUID, changes: ScheduleUpdate
    ) -> Deployment:
        from headwater.schemas.deployments import Deployment

        body = changes.model_dump(mode="json", exclude_unset=True)
        path = f"/deployments/{deployment_id}/schedules/{schedule_id}"
        return Deployment.model_validate_json(self._call("PATCH", path, body).content)

    def delete_deployment(self, deployment_id: UUID) -> None:
        self._call("DELETE", f"/deployments/{deployment_id}")

    def create_flow_run_from_deployment(
        self, deployment_id: UUID, run: DeploymentFlowRunCreate
    ) -> FlowRun:
        from headwater.schemas.flow_runs import FlowRun

        body = run.model_dump(mode="json", exclude_none=True)
        response = self._call(
            "POST",
            f"/deployments/{deployment_id}/create_flow_run",
            body,
            retry_for=self.retry_seconds if run.idempotency_key else _READ,
        )
        return FlowRun.model_validate_json(response.content)

    # -- work pools -------------------------------------------------------------------
    def create_work_pool(self, pool: WorkPoolCreate) -> WorkPool:
        from headwater.schemas.work_pools import WorkPool

        response = self._call("POST", "/work_pools", pool.model_dump(mode="json"))
        return WorkPool.model_validate_json(response.content)

    def read_work_pool(self, name: str) -> WorkPool:
        from headwater.schemas.work_pools import WorkPool

        return WorkPool.model_validate_json(self._call("GET", _pool(name)).content)

    def read_work_pools(self, *, limit: int = 200, offset: int = 0) -> list[WorkPool]:
        from headwater.schemas.work_pools import WorkPool

        body = {"limit": min(limit, 1000), "offset": offset}
        return [
            WorkPool.model_validate(p)
            for p in self._call("POST", "/work_pools/filter", body).json()
        ]

    def update_work_pool(self, name: str, changes: WorkPoolUpdate) -> WorkPool:
        from headwater.schemas.work_pools import WorkPool

        body = changes.model_dump(mode="json", exclude_unset=True)
        return WorkPool.model_validate_json(self._call("PATCH", _pool(name), body).content)

    def delete_work_pool(self, name: str) -> None:
        self._call("DELETE", _pool(name))

    def create_work_queue(self, pool_name: str, queue: WorkQueueCreate) -> WorkQueue:
        from headwater.schemas.work_pools import WorkQueue

        path = f"{_pool(pool_name)}/queues"
        response = self._call("POST", path, queue.model_dump(mode="json"))
        return WorkQueue.model_validate_json(response.content)

    def read_work_queue(self, pool_name: str, name: str) -> WorkQueue:
        from headwater.schemas.work_pools import WorkQueue

        path = f"{_pool(pool_name)}/queues/{quote(name, safe='')}"
        return WorkQueue.model_validate_json(self._call("GET", path).content)

    def read_work_queues(self, pool_name: str) -> list[WorkQueue]:
        from headwater.schemas.work_pools import WorkQueue

        response = self._call("GET", f"{_pool(pool_name)}/queues")
        return [WorkQueue.model_validate(q) for q in response.json()]

    def update_work_queue(self, pool_name: str, name: str, changes: WorkQueueUpdate) -> WorkQueue:
        from headwater.schemas.work_pools import WorkQueue

        path = f"{_pool(pool_name)}/queues/{quote(name, safe='')}"
        body = changes.model_dump(mode="json", exclude_unset=True)
        return WorkQueue.model_validate_json(self._call("PATCH", path, body).content)

    def delete_work_queue(self, pool_name: str, name: str) -> None:
        self._call("DELETE", f"{_pool(pool_name)}/queues/{quote(name, safe='')}")

    def read_workers(self, pool_name: str) -> list[Worker]:
        from headwater.schemas.work_pools import Worker

        response = self._call("GET", f"{_pool(pool_name)}/workers")
        return [Worker.model_validate(w) for w in response.json()]

    def claim_flow_runs(self, request: ClaimRequest, *, pool_name: str | None) -> ClaimResult:
        from headwater.schemas.work_pools import ClaimResult

        path = (
            f"{_pool(pool_name)}/get_scheduled_flow_runs"
            if pool_name is not None
            else "/deployments/get_scheduled_flow_runs"
        )
        response = self._call(
            "POST", path, request.model_dump(mode="json"), retry_for=WORKER_RETRY_SECONDS
        )
        return ClaimResult.model_validate_json(response.content)

    # -- run control ------------------------------------------------------------------
    def cancel_flow_run(self, flow_run_id: UUID) -> State:
        return State.from_dict(self._call("POST", f"/flow_runs/{flow_run_id}/cancel").json())

    def cancel_flow_runs(self, flow_run_filter: FlowRunFilter, *, limit: int = 1000) -> list[UUID]:
        body = {
            "flow_runs": flow_run_filter.model_dump(mode="json", exclude_none=True),
            "limit": limit,
        }
        return [UUID(i) for i in self._call("POST", "/flow_runs/cancel", body).json()["cancelled"]]

    def heartbeat_flow_run(self, flow_run_id: UUID, *, pid: str | None = None) -> str:
        body = {"pid": pid} if pid is not None else {}
        response = self._call("POST", f"/flow_runs/{flow_run_id}/heartbeat", body)
        return str(response.json()["state_type"])

    def crash_flow_run(
        self, flow_run_id: UUID, message: str, *, attempt_since: dt.datetime | None = None
    ) -> State:
        from headwater.client.cleaning import clean_text

        body: dict[str, Any] = {"message": clean_text(message)}
        if attempt_since is not None:
            body["attempt_since"] = attempt_since.isoformat()
        response = self._call(
            "POST", f"/flow_runs/{flow_run_id}/crash", body, retry_for=WORKER_RETRY_SECONDS
        )
        return State.from_dict(response.json())


def _pool(name: str) -> str:
    return f"/work_pools/{quote(name, safe='')}"
