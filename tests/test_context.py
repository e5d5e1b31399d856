"""get_run_context(): the run objects of flows and tasks, and the context classes."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task
from headwater.context import FlowRunContext, TaskRunContext, get_run_context
from headwater.exceptions import MissingContextError


@task
def inspect_task(x: int) -> dict[str, Any]:
    ctx = get_run_context()
    assert isinstance(ctx, TaskRunContext) and TaskRunContext.get() is ctx
    return {
        "task": ctx.task.name,
        "name": ctx.task_run.name,
        "flow_run_id": ctx.task_run.flow_run_id,
        "state": ctx.task_run.state.type.value,
        "run_count": ctx.task_run.run_count,
        "parameters": ctx.parameters,
    }


@flow(flow_run_name="ctx-{n}")
def inspect_flow(n: int) -> dict[str, Any]:
    ctx = get_run_context()
    assert isinstance(ctx, FlowRunContext) and FlowRunContext.get() is ctx
    run = ctx.flow_run
    return {
        "flow": ctx.flow.name,
        "id": run.id,
        "name": run.name,
        "parameters": dict(run.parameters),
        "state": run.state.name,
        "tags": run.tags,
        "flow_id": run.flow_id,  # a stored field, read on demand
        "expected": run.expected_start_time,
        "task": inspect_task(n),
    }


def test_flow_and_task_run_contexts() -> None:
    seen = inspect_flow(4)
    assert seen["flow"] == "inspect-flow" and seen["name"] == "ctx-4"
    assert seen["parameters"] == {"n": 4} and seen["state"] == "Running"
    assert seen["tags"] == [] and seen["flow_id"] is not None and seen["expected"] is not None
    assert seen["task"]["task"] == "inspect_task"
    assert seen["task"]["name"].startswith("inspect_task-")
    assert seen["task"]["flow_run_id"] == seen["id"]
    assert seen["task"]["state"] == "RUNNING" and seen["task"]["run_count"] == 1
    assert seen["task"]["parameters"] == {"x": 4}


def test_outside_a_run() -> None:
    assert FlowRunContext.get() is None and TaskRunContext.get() is None
    with pytest.raises(MissingContextError):
        get_run_context()


def test_hooks_see_the_same_flow_run_object() -> None:
    seen: list[Any] = []

    def hook(flow: Any, flow_run: Any, state: Any) -> None:
        seen.append((flow_run.name, flow_run.state.name, flow_run.parameters))

    @flow(on_completion=[hook], flow_run_name="hooked")
    def hooked(a: int = 1) -> int:
        return a

    hooked(2)
    assert seen == [("hooked", "Completed", {"a": 2})]
