"""The tags context manager tags task runs and flow runs."""

import asyncio

from prefect import flow, get_client, tags, task
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags


@task
def step() -> int:
    return 1


@flow
def tagged_flow() -> int:
    return step()


async def tagged_runs() -> list:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["backfill"]))
        )


if __name__ == "__main__":
    tagged_flow()
    with tags("backfill", "2024"):
        tagged_flow()
    runs = asyncio.run(tagged_runs())
    assert len(runs) == 1 and set(runs[0].tags) == {"backfill", "2024"}, runs
    print("PASS")
