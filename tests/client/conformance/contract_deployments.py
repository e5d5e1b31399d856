"""Deployments: apply (create or update), reads, updates, schedules, deletes, and
runs made from a deployment."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from headwater.client.protocol import Client
from headwater.exceptions import DeploymentNotFound, ParameterValidationError, WorkPoolNotFound
from headwater.schemas.deployments import (
    DeploymentCreate,
    DeploymentFilter,
    DeploymentFlowRunCreate,
    DeploymentUpdate,
    ScheduleCreate,
    ScheduleUpdate,
)
from headwater.schemas.work_pools import WorkPoolCreate
from headwater.states import StateType
from tests.client.conformance.records import unique

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer"}, "who": {"type": "string"}},
    "required": ["n"],
}


def deployment(**changes: Any) -> DeploymentCreate:
    fields: dict[str, Any] = {
        "flow_name": unique("conf-flow"),
        "name": "nightly",
        "entrypoint": "flows.py:nightly",
        "parameters": {"n": 1},
        "parameter_schema": SCHEMA,
        "tags": ["conformance"],
    }
    fields.update(changes)
    return DeploymentCreate(**fields)


class DeploymentsContract:
    def test_apply_deployment_creates_then_updates_in_place(self, client: Client) -> None:
        pool = unique("conf-pool")
        client.create_work_pool(WorkPoolCreate(name=pool))
        made = client.apply_deployment(deployment(work_pool_name=pool, description="first"))
        assert made.full_name == f"{made.flow_name}/nightly" and made.work_pool_name == pool
        assert made.work_queue_name == "default" and made.tags == ["conformance"]
        changed = client.apply_deployment(
            deployment(flow_name=made.flow_name, work_pool_name=pool, description="second")
        )
        assert changed.id == made.id and changed.description == "second"
        with pytest.raises(WorkPoolNotFound):
            client.apply_deployment(deployment(work_pool_name=unique("no-pool")))

    def test_read_deployment_by_id_and_name(self, client: Client) -> None:
        made = client.apply_deployment(deployment())
        assert client.read_deployment(made.id).full_name == made.full_name
        by_name = client.read_deployment_by_name(made.full_name)
        assert by_name.id == made.id and by_name.parameter_schema == SCHEMA
        with pytest.raises(DeploymentNotFound):
            client.read_deployment(uuid.uuid4())
        with pytest.raises(DeploymentNotFound):
            client.read_deployment_by_name(f"{made.flow_name}/no-such-deployment")

    def test_read_deployments_filters_and_pages(self, client: Client) -> None:
        flow_name = unique("conf-many")
        made = [
            client.apply_deployment(deployment(flow_name=flow_name, name=f"d{i}", paused=i == 2))
            for i in range(3)
        ]
        flt = DeploymentFilter(flow_names=[flow_name])
        listed = client.read_deployments(deployment_filter=flt)
        assert sorted(d.name for d in listed) == ["d0", "d1", "d2"]
        paused = client.read_deployments(
            deployment_filter=DeploymentFilter(ids=[made[2].id], paused=True)
        )
        assert [d.id for d in paused] == [made[2].id]
        by_full_name = DeploymentFilter(full_names=[made[1].full_name])
        assert [d.id for d in client.read_deployments(deployment_filter=by_full_name)] == [
            made[1].id
        ]
        first = client.read_deployments(deployment_filter=flt, limit=2)
        rest = client.read_deployments(deployment_filter=flt, limit=2, offset=2)
        assert len(first) == 2 and len(rest) == 1
        assert {d.id for d in [*first, *rest]} == {d.id for d in made}

    def test_update_deployment_and_its_schedule(self, client: Client) -> None:
        made = client.apply_deployment(deployment(schedules=[ScheduleCreate(interval=3600)]))
        changed = client.update_deployment(
            made.id, DeploymentUpdate(description="changed", paused=True, tags=["x"])
        )
        assert (changed.description, changed.paused, changed.tags) == ("changed", True, ["x"])
        assert changed.parameters == {"n": 1}  # fields not given stay as they were
        (schedule,) = changed.schedules
        assert schedule.active
        off = client.update_deployment_schedule(
            made.id, schedule.id, ScheduleUpdate(active=False, parameters={"n": 5})
        )
        assert not off.schedules[0].active and off.schedules[0].parameters == {"n": 5}
        with pytest.raises(DeploymentNotFound):
            client.update_deployment(uuid.uuid4(), DeploymentUpdate(paused=False))
        with pytest.raises(DeploymentNotFound):
            client.update_deployment_schedule(made.id, uuid.uuid4(), ScheduleUpdate(active=True))

    def test_delete_deployment(self, client: Client) -> None:
        made = client.apply_deployment(deployment())
        client.delete_deployment(made.id)
        with pytest.raises(DeploymentNotFound):
            client.read_deployment(made.id)
        with pytest.raises(DeploymentNotFound):
            client.delete_deployment(made.id)

    def test_create_flow_run_from_deployment(self, client: Client) -> None:
        made = client.apply_deployment(deployment(tags=["dep"]))
        when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        key = unique("dep-key")
        request = DeploymentFlowRunCreate(
            parameters={"who": "ada"}, tags=["extra"], idempotency_key=key, scheduled_time=when
        )
        run = client.create_flow_run_from_deployment(made.id, request)
        assert run.deployment_id == made.id and run.state.type is StateType.SCHEDULED
        assert run.parameters == {"n": 1, "who": "ada"}
        assert set(run.tags) == {"dep", "extra"}
        assert run.expected_start_time is not None
        assert abs((run.expected_start_time - when).total_seconds()) < 1
        again = client.create_flow_run_from_deployment(made.id, request)
        assert again.id == run.id
        with pytest.raises(ParameterValidationError, match="n"):
            client.create_flow_run_from_deployment(
                made.id, DeploymentFlowRunCreate(parameters={"n": "not a number"})
            )
        with pytest.raises(DeploymentNotFound):
            client.create_flow_run_from_deployment(uuid.uuid4(), DeploymentFlowRunCreate())
