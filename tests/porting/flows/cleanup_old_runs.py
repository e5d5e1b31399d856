"""A maintenance flow: delete finished runs older than a cutoff."""

import asyncio
from datetime import datetime, timedelta, timezone

from prefect import flow, get_client, get_run_logger
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType


@flow
def work(i: int) -> int:
    return i


@flow
async def cleanup(keep_newer_than_seconds: float = 0.0) -> int:
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=keep_newer_than_seconds)
    deleted = 0
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                start_time=FlowRunFilterStartTime(before_=cutoff),
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.COMPLETED, StateType.FAILED])
                ),
            )
        )
        for run in runs:
            await client.delete_flow_run(run.id)
            deleted += 1
    get_run_logger().info("deleted %d runs", deleted)
    return deleted


if __name__ == "__main__":
    for i in range(3):
        work(i)
    assert asyncio.run(cleanup()) == 3
    print("PASS")
