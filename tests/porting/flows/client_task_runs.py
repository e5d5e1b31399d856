"""Listing the task runs of a flow run, filtered by state."""

import asyncio

from prefect import flow, get_client, task
from prefect.client.schemas.filters import (
    TaskRunFilter,
    TaskRunFilterFlowRunId,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType


@task
def step(i: int) -> int:
    if i == 2:
        raise ValueError("bad row")
    return i


@flow
def steps() -> None:
    for i in range(4):
        step(i, return_state=True)


async def failed_tasks(run_id) -> list:
    async with get_client() as client:
        return await client.read_task_runs(
            task_run_filter=TaskRunFilter(
                flow_run_id=TaskRunFilterFlowRunId(any_=[run_id]),
                state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.FAILED])),
            )
        )


if __name__ == "__main__":
    state = steps(return_state=True)
    assert state.is_completed()
    failed = asyncio.run(failed_tasks(state.state_details.flow_run_id))
    assert len(failed) == 1, failed
    assert failed[0].name.startswith("step-") and failed[0].state.is_failed()
    print("PASS")
