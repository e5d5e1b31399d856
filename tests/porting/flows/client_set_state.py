"""Cancelling a scheduled deployment run by setting its state."""

import asyncio

from prefect import flow, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateName,
)
from prefect.states import Cancelled


@flow
def scheduled_job() -> None:
    return None


async def main(deployment_id) -> None:
    async with get_client() as client:
        for _ in range(2):
            await client.create_flow_run_from_deployment(deployment_id)
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Scheduled"]))
            ),
        )
        assert len(runs) == 2, runs
        for run in runs:
            result = await client.set_flow_run_state(run.id, Cancelled(message="not needed"))
            assert result.state.is_cancelled(), result
        for run in runs:
            assert (await client.read_flow_run(run.id)).state.is_cancelled()


if __name__ == "__main__":
    deployment_id = scheduled_job.to_deployment(name="cancel-me").apply()
    asyncio.run(main(deployment_id))
    print("PASS")
