"""Reading flow runs with the async client and nested filters."""

import asyncio

from prefect import flow, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort


@flow
def nightly_job(fail: bool = False) -> int:
    if fail:
        raise RuntimeError("boom")
    return 1


async def failed_runs_of(name: str) -> list:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
            ),
            sort=FlowRunSort.START_TIME_DESC,
            limit=10,
        )


if __name__ == "__main__":
    nightly_job()
    nightly_job(fail=True, return_state=True)
    runs = asyncio.run(failed_runs_of("nightly-job"))
    assert len(runs) == 1, runs
    assert runs[0].state.is_failed()
    assert runs[0].state_type == StateType.FAILED
    assert runs[0].parameters == {"fail": True}
    print("PASS")
