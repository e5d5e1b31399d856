"""async def flows and tasks are first class."""

from __future__ import annotations

import asyncio

import pytest

from headwater import flow, get_run_logger, task
from tests.helpers import last_run, logs_of, task_runs_of


@task
async def fetch(x: int) -> int:
    await asyncio.sleep(0.01)
    return x * 10


@task
def sync_double(x: int) -> int:
    return x * 2


def test_async_flow_with_async_and_sync_tasks() -> None:
    @flow
    async def pipeline(n: int) -> list[int]:
        get_run_logger().info("async flow")
        values = await asyncio.gather(*[fetch(i) for i in range(n)])
        return [sync_double(v) for v in values]

    assert asyncio.run(pipeline(3)) == [0, 20, 40]
    run = last_run()
    assert run.state.is_completed()
    assert len(task_runs_of(run.id)) == 6
    assert any(log.message == "async flow" for log in logs_of(run.id))


def test_async_tasks_submitted_from_a_sync_flow() -> None:
    @flow
    def pipeline() -> list[int]:
        return fetch.map([1, 2, 3]).result()

    assert pipeline() == [10, 20, 30]


def test_async_failure_and_retries() -> None:
    attempts: list[int] = []

    @task(retries=1, retry_delay_seconds=0.01)
    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first")
        return "second"

    @flow(retries=1, retry_delay_seconds=0.01)
    async def pipeline(fail: bool) -> str:
        if fail:
            raise ValueError("flow fails")
        return await flaky()

    assert asyncio.run(pipeline(False)) == "second"
    with pytest.raises(ValueError):
        asyncio.run(pipeline(True))
    assert last_run().run_count == 2


def test_async_subflow() -> None:
    @flow
    async def child(x: int) -> int:
        return await fetch(x)

    @flow
    async def parent() -> int:
        return await child(4)

    assert asyncio.run(parent()) == 40
