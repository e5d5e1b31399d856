"""get_run_context() in flows and tasks: the run objects and their flow/task."""

from prefect import flow, task
from prefect.context import get_run_context


@task
def describe_task() -> dict:
    ctx = get_run_context()
    return {
        "task_run_name": ctx.task_run.name,
        "task_name": ctx.task.name,
        "flow_run_id": str(ctx.task_run.flow_run_id),
        "parameters": ctx.parameters,
    }


@flow(flow_run_name="ctx-run")
def describe(limit: int = 3) -> dict:
    ctx = get_run_context()
    info = {
        "flow_run_id": str(ctx.flow_run.id),
        "flow_run_name": ctx.flow_run.name,
        "flow_name": ctx.flow.name,
        "parameters": dict(ctx.flow_run.parameters),
        "state": ctx.flow_run.state.type.value,
        "tags": list(ctx.flow_run.tags),
    }
    info["task"] = describe_task()
    return info


if __name__ == "__main__":
    seen = describe(5)
    assert seen["flow_run_name"] == "ctx-run"
    assert seen["flow_name"] == "describe"
    assert seen["parameters"] == {"limit": 5}
    assert seen["state"] == "RUNNING"
    assert seen["task"]["task_name"] == "describe_task"
    assert seen["task"]["task_run_name"].startswith("describe_task-")
    assert seen["task"]["flow_run_id"] == seen["flow_run_id"]
    assert seen["task"]["parameters"] == {}
    print("PASS")
