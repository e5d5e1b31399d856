"""``LocalClient``'s deployments, work pools, claims and run control (the service
layer on the embedded store; see ``protocol.DeploymentsClient``)."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
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
    from headwater.server.db.database import Database
    from headwater.states import State

#: Without a server there is no notification: a waiting claim looks this often.
LOCAL_POLL_SECONDS = 0.1


class LocalDeploymentsMixin:
    db: Database

    # -- deployments ------------------------------------------------------------------
    def apply_deployment(self, deployment: DeploymentCreate) -> Deployment:
        from headwater.server.store import deployments

        with self.db.begin_write() as conn:
            return deployments.apply_deployment(conn, deployment=deployment)[0]

    def read_deployment(self, deployment_id: UUID) -> Deployment:
        from headwater.server.store import deployments

        with self.db.begin_read() as conn:
            return deployments.read_deployment(conn, deployment_id=deployment_id)

    def read_deployment_by_name(self, full_name: str) -> Deployment:
        from headwater.server.store import deployments

        with self.db.begin_read() as conn:
            return deployments.read_deployment_by_name(conn, full_name=full_name)

    def read_deployments(
        self,
        *,
        deployment_filter: DeploymentFilter | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Deployment]:
        from headwater.server.store import deployments

        with self.db.begin_read() as conn:
            return deployments.read_deployments(
                conn, deployment_filter=deployment_filter, limit=limit, offset=offset
            )

    def update_deployment(self, deployment_id: UUID, changes: DeploymentUpdate) -> Deployment:
        from headwater.server.store import deployments

        with self.db.begin_write() as conn:
            return deployments.update_deployment(conn, deployment_id=deployment_id, changes=changes)

    def update_deployment_schedule(
        self, deployment_id: UUID, schedule_id: UUID, changes: ScheduleUpdate
    ) -> Deployment:
        from headwater.server.store import deployments

        with self.db.begin_write() as conn:
            return deployments.update_schedule(
                conn, deployment_id=deployment_id, schedule_id=schedule_id, changes=changes
            )

    def delete_deployment(self, deployment_id: UUID) -> None:
        from headwater.server.store import deployments

        with self.db.begin_write() as conn:
            deployments.delete_deployment(conn, deployment_id=deployment_id)

    def create_flow_run_from_deployment(
        self, deployment_id: UUID, run: DeploymentFlowRunCreate
    ) -> FlowRun:
        from headwater.server.store import deployment_runs, flow_runs

        with self.db.begin_write() as conn:
            created = deployment_runs.create_deployment_flow_run(
                conn, deployment_id=deployment_id, run=run
            )
        return flow_runs.flow_run_schema(created)

    # -- work pools -------------------------------------------------------------------
    def create_work_pool(self, pool: WorkPoolCreate) -> WorkPool:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            return work_pools.create_work_pool(conn, pool=pool)

    def read_work_pool(self, name: str) -> WorkPool:
        from headwater.server.store import work_pools

        with self.db.begin_read() as conn:
            return work_pools.read_work_pool(conn, name=name)

    def read_work_pools(self, *, limit: int = 200, offset: int = 0) -> list[WorkPool]:
        from headwater.server.store import work_pools

        with self.db.begin_read() as conn:
            return work_pools.read_work_pools(conn, limit=limit, offset=offset)

    def update_work_pool(self, name: str, changes: WorkPoolUpdate) -> WorkPool:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            return work_pools.update_work_pool(conn, name=name, changes=changes)

    def delete_work_pool(self, name: str) -> None:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            work_pools.delete_work_pool(conn, name=name)

    def create_work_queue(self, pool_name: str, queue: WorkQueueCreate) -> WorkQueue:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            return work_pools.create_work_queue(conn, pool_name=pool_name, queue=queue)

    def read_work_queue(self, pool_name: str, name: str) -> WorkQueue:
        from headwater.server.store import work_pools

        with self.db.begin_read() as conn:
            return work_pools.read_work_queue(conn, pool_name=pool_name, name=name)

    def read_work_queues(self, pool_name: str) -> list[WorkQueue]:
        from headwater.server.store import work_pools

        with self.db.begin_read() as conn:
            return work_pools.read_work_queues(conn, pool_name=pool_name)

    def update_work_queue(self, pool_name: str, name: str, changes: WorkQueueUpdate) -> WorkQueue:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            return work_pools.update_work_queue(
                conn, pool_name=pool_name, name=name, changes=changes
            )

    def delete_work_queue(self, pool_name: str, name: str) -> None:
        from headwater.server.store import work_pools

        with self.db.begin_write() as conn:
            work_pools.delete_work_queue(conn, pool_name=pool_name, name=name)

    def read_workers(self, pool_name: str) -> list[Worker]:
        from headwater.server.store import work_pools

        with self.db.begin_read() as conn:
            return work_pools.read_workers(conn, pool_name=pool_name)

    def claim_flow_runs(self, request: ClaimRequest, *, pool_name: str | None) -> ClaimResult:
        """Claim due runs; with ``wait_seconds``, look every ``LOCAL_POLL_SECONDS`` (a
        cheap read) until something is due or a watched run is asked to cancel."""
        from headwater.server.store.claims import poll_once

        deadline = time.monotonic() + request.wait_seconds
        first = True
        while True:
            result = poll_once(self.db, request=request, pool_name=pool_name, heartbeat=first)
            first = False
            left = deadline - time.monotonic()
            if result.flow_runs or result.cancelling or left <= 0:
                return result
            time.sleep(min(LOCAL_POLL_SECONDS, left))

    # -- run control ------------------------------------------------------------------
    def cancel_flow_run(self, flow_run_id: UUID) -> State:
        from headwater.server.store import run_control

        with self.db.begin_write() as conn:
            return run_control.cancel_flow_run(conn, flow_run_id=flow_run_id)

    def cancel_flow_runs(self, flow_run_filter: FlowRunFilter, *, limit: int = 1000) -> list[UUID]:
        from headwater.server.store import run_control

        with self.db.begin_write() as conn:
            return run_control.cancel_flow_runs(conn, flow_run_filter=flow_run_filter, limit=limit)

    def heartbeat_flow_run(self, flow_run_id: UUID, *, pid: str | None = None) -> str:
        from headwater.server.store import run_control

        with self.db.begin_write() as conn:
            return run_control.heartbeat_flow_run(conn, flow_run_id=flow_run_id, pid=pid)

    def crash_flow_run(
        self, flow_run_id: UUID, message: str, *, attempt_since: dt.datetime | None = None
    ) -> State:
        from headwater.client.cleaning import clean_text
        from headwater.server.store import run_control

        since = attempt_since.timestamp() if attempt_since is not None else None
        with self.db.begin_write() as conn:
            return run_control.crash_flow_run(
                conn, flow_run_id=flow_run_id, message=clean_text(message), attempt_since=since
            )
