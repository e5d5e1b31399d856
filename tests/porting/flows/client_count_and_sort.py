"""Counting flow runs and reading them sorted by name."""

import asyncio

from prefect import flow, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.sorting import FlowRunSort


@flow(flow_run_name="run-{letter}")
def lettered(letter: str) -> str:
    return letter


async def main() -> None:
    async with get_client() as client:
        assert await client.count_flow_runs() == 3
        runs = await client.read_flow_runs(sort=FlowRunSort.NAME_ASC)
        assert [r.name for r in runs] == ["run-a", "run-b", "run-c"]
        named = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["run-b"]))
        )
        assert [r.name for r in named] == ["run-b"]


if __name__ == "__main__":
    for letter in "cab":
        lettered(letter)
    asyncio.run(main())
    print("PASS")
