"""Task timeouts end the task run Failed, named TimedOut, in the main thread and in workers."""

from __future__ import annotations

import asyncio
import time

import pytest

from headwater import flow, task
from headwater.exceptions import TaskRunTimeoutError
from tests.helpers import last_run, task_runs_of


@task(timeout_seconds=0.2)
def sleepy() -> str:
    time.sleep(3)
    return "woke"


@task(timeout_seconds=0.2)
def busy() -> str:
    end = time.monotonic() + 3
    while time.monotonic() < end:
        pass
    return "done"


def test_direct_call_in_the_main_thread_is_interrupted() -> None:
    @flow
    def pipeline() -> None:
        sleepy()

    started = time.monotonic()
    with pytest.raises(TaskRunTimeoutError):
        pipeline()
    assert time.monotonic() - started < 2
    run = task_runs_of(last_run().id)[0]
    assert (run.state.type.value, run.state.name) == ("FAILED", "TimedOut")


def test_submitted_busy_task_in_a_worker_thread_is_interrupted() -> None:
    @flow
    def pipeline() -> str:
        return busy.submit().wait_state().name

    started = time.monotonic()
    assert pipeline() == "TimedOut"
    assert time.monotonic() - started < 2


def test_async_task_timeout() -> None:
    @task(timeout_seconds=0.1)
    async def slow() -> None:
        await asyncio.sleep(3)

    @flow
    async def pipeline() -> str:
        state = await slow(return_state=True)
        return state.name

    assert asyncio.run(pipeline()) == "TimedOut"


def test_fast_task_is_not_affected_by_its_timeout() -> None:
    @task(timeout_seconds=5)
    def quick() -> int:
        return 1

    @flow
    def pipeline() -> int:
        return sum(quick() for _ in range(20))

    assert pipeline() == 20
