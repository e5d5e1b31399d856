"""headwater.runtime: values inside runs, empty values outside, environment overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from headwater import flow, tags, task
from headwater.exceptions import UserInputError
from headwater.runtime import deployment, flow_run, task_run


def test_outside_any_run_everything_is_empty() -> None:
    assert flow_run.id is None and flow_run.name is None and flow_run.flow_name is None
    assert flow_run.tags == [] and flow_run.parameters == {} and flow_run.run_count == 0
    assert flow_run.parent_flow_run_id is None and flow_run.root_flow_run_id is None
    assert isinstance(flow_run.scheduled_start_time, dt.datetime)
    assert flow_run.ui_url is None and flow_run.api_url is None
    assert task_run.id is None and task_run.name is None and task_run.task_name is None
    assert task_run.tags == [] and task_run.parameters == {} and task_run.run_count == 0
    assert deployment.id is None and deployment.name is None and deployment.parameters == {}
    with pytest.raises(AttributeError):
        _ = flow_run.no_such_field


@task(tags=["io"], task_run_name="load-{what}", retries=1, retry_delay_seconds=0)
def load(what: str) -> dict[str, Any]:
    if task_run.run_count == 1:
        raise ConnectionError("first attempt fails")
    return {
        "id": task_run.id,
        "name": task_run.name,
        "task_name": task_run.task_name,
        "tags": sorted(task_run.tags),
        "parameters": task_run.parameters,
        "run_count": task_run.run_count,
        "flow_run_id": flow_run.id,
    }


@flow(flow_run_name="child-{x}", version="7")
def child(x: int) -> dict[str, Any]:
    return {
        "id": flow_run.id,
        "parent": flow_run.parent_flow_run_id,
        "root": flow_run.root_flow_run_id,
        "name": flow_run.name,
        "flow_name": flow_run.flow_name,
        "flow_version": flow_run.flow_version,
        "parameters": flow_run.parameters,
        "load": load("rows"),
    }


@flow
def parent() -> dict[str, Any]:
    with tags("nightly"):
        inner = child(3)
    return {"id": flow_run.id, "tags": flow_run.tags, "run_count": flow_run.run_count, **inner}


def test_inside_flow_and_task_runs() -> None:
    seen = parent()
    assert seen["parent"] == seen["root"] and seen["parent"] != seen["id"]
    assert seen["name"] == "child-3" and seen["flow_name"] == "child"
    assert seen["flow_version"] == "7" and seen["parameters"] == {"x": 3}
    assert seen["tags"] == [] and seen["run_count"] == 1
    loaded = seen["load"]
    assert loaded["name"] == "load-rows" and loaded["task_name"] == "load"
    assert loaded["tags"] == ["io", "nightly"] and loaded["parameters"] == {"what": "rows"}
    assert loaded["run_count"] == 2 and loaded["flow_run_id"] is not None


def test_environment_overrides_take_the_real_values_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER__RUNTIME__FLOW_RUN__NAME", "pinned")
    monkeypatch.setenv("HEADWATER__RUNTIME__FLOW_RUN__RUN_COUNT", "3")
    monkeypatch.setenv("HEADWATER__RUNTIME__FLOW_RUN__TAGS", '["a", "b"]')
    monkeypatch.setenv("HEADWATER__RUNTIME__FLOW_RUN__SCHEDULED_START_TIME", "2024-01-02T03:04:05")
    monkeypatch.setenv("HEADWATER__RUNTIME__TASK_RUN__CUSTOM", "extra")
    monkeypatch.setenv("HEADWATER__RUNTIME__DEPLOYMENT__ID", "dep-1")
    assert flow_run.name == "pinned" and flow_run.run_count == 3
    assert flow_run.tags == ["a", "b"]
    assert flow_run.scheduled_start_time == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert task_run.custom == "extra" and deployment.id == "dep-1"
    monkeypatch.setenv("HEADWATER__RUNTIME__FLOW_RUN__TAGS", "not json")
    with pytest.raises(UserInputError, match="JSON list"):
        _ = flow_run.tags


def test_a_stored_run_named_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    state = child.with_options(flow_run_name="stored")(1, return_state=True)
    monkeypatch.setenv("HEADWATER__FLOW_RUN_ID", str(state.state_details.flow_run_id))
    assert flow_run.name == "stored" and flow_run.parameters == {"x": 1}
    assert flow_run.root_flow_run_id == flow_run.id


@flow
def report(region: str = "eu") -> tuple[Any, ...]:
    return deployment.id, deployment.name, deployment.parameters, flow_run.deployment_id


def test_deployment_runs_know_their_deployment() -> None:
    from headwater.client import shared_client
    from headwater.schemas.deployments import DeploymentFlowRunCreate

    deployment_id = report.to_deployment(name="nightly", parameters={"region": "us"}).apply()
    client = shared_client()
    run = client.create_flow_run_from_deployment(deployment_id, DeploymentFlowRunCreate())
    from headwater.engine.flow_lifecycle import run_flow_sync

    state = run_flow_sync(report, (), {"region": "us"}, return_state=True, flow_run_id=run.id)
    assert state.result() == (str(deployment_id), "nightly", {"region": "us"}, str(deployment_id))
