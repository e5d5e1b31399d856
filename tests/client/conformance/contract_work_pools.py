"""Work pools, their queues, workers, and claims of due runs (by a pool's worker or
by a serve process for its deployments)."""

from __future__ import annotations

import time
import uuid

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import InvalidOptionError, ObjectAlreadyExists, WorkPoolNotFound
from headwater.schemas.deployments import DeploymentFlowRunCreate
from headwater.schemas.work_pools import (
    ClaimRequest,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from headwater.states import StateType
from tests.client.conformance.contract_deployments import deployment
from tests.client.conformance.records import unique


class WorkPoolsContract:
    def test_work_pools_create_read_update_delete(self, client: Client) -> None:
        name = unique("conf-pool")
        made = client.create_work_pool(WorkPoolCreate(name=name, description="d"))
        assert (made.name, made.type, made.status) == (name, "process", "NOT_READY")
        assert made.base_job_template == {}
        with pytest.raises(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name=name))
        assert client.read_work_pool(name).id == made.id
        assert name in {p.name for p in client.read_work_pools(limit=10_000)}
        changed = client.update_work_pool(name, WorkPoolUpdate(paused=True, concurrency_limit=3))
        assert (changed.paused, changed.concurrency_limit, changed.status) == (True, 3, "PAUSED")
        unlimited = client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=0))
        assert unlimited.concurrency_limit is None and unlimited.description == "d"
        client.delete_work_pool(name)
        for call in (
            lambda: client.read_work_pool(name),
            lambda: client.delete_work_pool(name),
            lambda: client.update_work_pool(name, WorkPoolUpdate(paused=False)),
            lambda: client.read_work_queues(name),
            lambda: client.read_workers(name),
        ):
            with pytest.raises(WorkPoolNotFound):
                call()

    def test_work_pools_keep_their_type_and_base_job_template(self, client: Client) -> None:
        name = unique("conf-template")
        template = {
            "job_configuration": {"image": "{{ image }}", "labels": {"team": "{{ team }}"}},
            "variables": {
                "type": "object",
                "properties": {"image": {"type": "string", "default": "hw:1"}, "team": {}},
            },
        }
        made = client.create_work_pool(
            WorkPoolCreate(name=name, type="my-cloud", base_job_template=template)
        )
        assert (made.type, made.base_job_template) == ("my-cloud", template)
        template["variables"]["properties"]["image"]["default"] = "hw:2"
        changed = client.update_work_pool(name, WorkPoolUpdate(base_job_template=template))
        assert (
            client.read_work_pool(name).base_job_template == template == changed.base_job_template
        )
        untouched = client.update_work_pool(name, WorkPoolUpdate(description="d"))
        assert untouched.base_job_template == template
        with pytest.raises(ValueError, match="only 'job_configuration' and 'variables'"):
            WorkPoolUpdate(base_job_template={"image": "x"})
        with pytest.raises(ValueError, match="pattern"):
            WorkPoolCreate(name=name, type="Not A Type")

    def test_read_work_pools_pages_by_name(self, client: Client) -> None:
        for _ in range(2):
            client.create_work_pool(WorkPoolCreate(name=unique("conf-page")))
        everything = client.read_work_pools(limit=10_000)
        assert [p.name for p in everything] == sorted(p.name for p in everything)
        assert [p.id for p in client.read_work_pools(limit=1, offset=1)] == [everything[1].id]

    def test_work_queues_create_read_update_delete(self, client: Client) -> None:
        pool = unique("conf-queues")
        client.create_work_pool(WorkPoolCreate(name=pool))
        made = client.create_work_queue(pool, WorkQueueCreate(name="urgent", priority=1))
        assert (made.name, made.work_pool_name, made.priority) == ("urgent", pool, 1)
        with pytest.raises(ObjectAlreadyExists):
            client.create_work_queue(pool, WorkQueueCreate(name="urgent"))
        assert client.read_work_queue(pool, "urgent").id == made.id
        queues = client.read_work_queues(pool)
        assert {q.name for q in queues} == {"urgent", "default"}
        assert [(q.priority, q.name) for q in queues] == sorted(
            (q.priority, q.name) for q in queues
        )
        changed = client.update_work_queue(
            pool, "urgent", WorkQueueUpdate(priority=5, concurrency_limit=2, paused=True)
        )
        assert (changed.priority, changed.concurrency_limit, changed.paused) == (5, 2, True)
        client.delete_work_queue(pool, "urgent")
        with pytest.raises(WorkPoolNotFound):
            client.read_work_queue(pool, "urgent")
        with pytest.raises(InvalidOptionError):
            client.delete_work_queue(pool, "default")
        with pytest.raises(WorkPoolNotFound):
            client.create_work_queue(unique("no-pool"), WorkQueueCreate(name="q"))

    def test_claims_move_due_runs_to_pending_once_and_record_the_worker(
        self, client: Client
    ) -> None:
        pool = unique("conf-claims")
        client.create_work_pool(WorkPoolCreate(name=pool))
        made = client.apply_deployment(deployment(work_pool_name=pool))
        runs = [
            client.create_flow_run_from_deployment(made.id, DeploymentFlowRunCreate())
            for _ in range(3)
        ]
        request = ClaimRequest(worker_name="w1", limit=2, hostname="here", pid=77)
        first = client.claim_flow_runs(request, pool_name=pool)
        assert len(first.flow_runs) == 2
        assert all(r.state.type is StateType.PENDING for r in first.flow_runs)
        rest = client.claim_flow_runs(request, pool_name=pool)
        claimed = {r.id for r in [*first.flow_runs, *rest.flow_runs]}
        assert claimed == {r.id for r in runs}
        assert client.claim_flow_runs(request, pool_name=pool).flow_runs == []
        (worker,) = client.read_workers(pool)
        assert (worker.name, worker.hostname, worker.pid, worker.online) == ("w1", "here", 77, True)
        assert client.read_work_pool(pool).status == "READY"
        stop, keep = first.flow_runs[0].id, first.flow_runs[1].id
        assert client.cancel_flow_run(stop).type is StateType.CANCELLING  # its worker stops it
        watch = ClaimRequest(worker_name="w1", watched_ids=[stop, keep])
        assert client.claim_flow_runs(watch, pool_name=pool).cancelling == [stop]

    def test_a_waiting_claim_returns_when_a_run_is_due(self, client: Client) -> None:
        pool = unique("conf-wait")
        client.create_work_pool(WorkPoolCreate(name=pool))
        started = time.monotonic()
        empty = client.claim_flow_runs(
            ClaimRequest(worker_name="w", wait_seconds=0.3), pool_name=pool
        )
        assert empty.flow_runs == [] and time.monotonic() - started >= 0.25

    def test_serve_processes_claim_their_deployments_runs(self, client: Client) -> None:
        served = client.apply_deployment(deployment())  # no pool: run by `serve`
        run = client.create_flow_run_from_deployment(served.id, DeploymentFlowRunCreate())
        other = client.apply_deployment(deployment())
        client.create_flow_run_from_deployment(other.id, DeploymentFlowRunCreate())
        request = ClaimRequest(worker_name="serve", deployment_ids=[served.id], limit=10)
        claimed = client.claim_flow_runs(request, pool_name=None)
        assert [r.id for r in claimed.flow_runs] == [run.id]
        assert client.read_deployment(served.id).last_polled is not None
        nothing = ClaimRequest(worker_name="serve", deployment_ids=[uuid.uuid4()])
        assert client.claim_flow_runs(nothing, pool_name=None).flow_runs == []
