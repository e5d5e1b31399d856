"""submit(), map(), futures as inputs, wait_for, allow_failure, NotReady."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from headwater import allow_failure, flow, task, unmapped
from headwater.exceptions import UpstreamTaskError
from headwater.futures import as_completed, wait
from tests.helpers import last_run, task_runs_of


@task
def add(x: int, y: int = 0) -> int:
    return x + y


@task
def fail(message: str = "failed") -> int:
    raise RuntimeError(message)


def test_submit_returns_a_future_with_state_and_result() -> None:
    @flow
    def pipeline() -> int:
        future = add.submit(1, 2)
        future.wait()
        assert future.state.is_completed()
        assert future.done()
        return future.result()

    assert pipeline() == 3


def test_future_state_before_it_finishes() -> None:
    gate = threading.Event()

    @task
    def waits() -> str:
        gate.wait(5)
        return "released"

    @flow
    def pipeline() -> tuple[str, str]:
        future = waits.submit()
        deadline = time.monotonic() + 5
        while future.state.name == "Pending" and time.monotonic() < deadline:
            time.sleep(0.005)
        before = future.state.name
        gate.set()
        return before, future.result()

    assert pipeline() == ("Running", "released")


def test_futures_as_arguments_are_resolved_even_inside_containers() -> None:
    @task
    def combine(items: list[int], named: dict[str, int]) -> int:
        return sum(items) + sum(named.values())

    @flow
    def pipeline() -> int:
        a, b = add.submit(1), add.submit(2)
        return combine([a, b, 3], {"c": add.submit(4)})

    assert pipeline() == 10
    runs = {r.name: r for r in task_runs_of(last_run().id)}
    assert len(runs["combine-0"].inputs["items"]) == 2
    assert len(runs["combine-0"].inputs["named"]) == 1


def test_map_with_unmapped_and_future_lists() -> None:
    @flow
    def pipeline() -> list[int]:
        first = add.map([1, 2, 3], unmapped(10))
        second = add.map(first, y=[100, 200, 300])
        return second.result()

    assert pipeline() == [111, 212, 313]
    assert len(task_runs_of(last_run().id)) == 6


def test_map_errors() -> None:
    @flow
    def uneven() -> None:
        add.map([1, 2], [1])

    with pytest.raises(ValueError, match="different lengths"):
        uneven()

    @flow
    def nothing_to_map() -> None:
        add.map(1, 2)

    with pytest.raises(TypeError, match="iterable"):
        nothing_to_map()


def test_upstream_failure_makes_downstream_not_ready_without_running() -> None:
    ran: list[int] = []

    @task
    def downstream(x: int) -> None:
        ran.append(x)

    @flow
    def pipeline() -> Any:
        return downstream.submit(fail.submit())

    state = pipeline(return_state=True)
    assert state.is_failed() and state.name == "NotReady"
    assert ran == []
    runs = {r.name: r for r in task_runs_of(last_run().id)}
    assert runs["downstream-0"].state.name == "NotReady"
    with pytest.raises(UpstreamTaskError):
        state.result()


def test_allow_failure_runs_downstream_with_the_exception() -> None:
    @task
    def report(upstream: Any) -> str:
        return type(upstream).__name__

    @flow
    def pipeline() -> str:
        return report(allow_failure(fail.submit()))

    assert pipeline() == "RuntimeError"


def test_wait_for_orders_without_data_and_is_lineage() -> None:
    order: list[str] = []

    @task
    def first() -> None:
        time.sleep(0.05)
        order.append("first")

    @task
    def second() -> None:
        order.append("second")

    @flow
    def pipeline() -> None:
        f = first.submit()
        second.submit(wait_for=[f]).wait()

    pipeline()
    assert order == ["first", "second"]
    runs = {r.name: r for r in task_runs_of(last_run().id)}
    assert runs["second-0"].inputs["__wait_for__"] == [runs["first-0"].id]


def test_wait_for_a_failed_upstream_is_not_ready() -> None:
    @flow
    def pipeline() -> str:
        return add.submit(1, wait_for=[fail.submit()]).wait_state().name

    assert pipeline() == "NotReady"


def test_wait_and_as_completed() -> None:
    @task
    def nap(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @flow
    def pipeline() -> list[float]:
        futures = [nap.submit(s) for s in (0.2, 0.01, 0.1)]
        done, not_done = wait(futures, timeout=5)
        assert len(done) == 3 and not not_done
        return [f.result() for f in as_completed(futures)]

    assert sorted(pipeline()) == [0.01, 0.1, 0.2]


def test_flow_waits_for_unfinished_submitted_tasks() -> None:
    finished: list[bool] = []

    @task
    def slow() -> None:
        time.sleep(0.2)
        finished.append(True)

    @flow
    def pipeline() -> None:
        slow.submit()

    pipeline()
    assert finished == [True]
    assert task_runs_of(last_run().id)[0].state.is_completed()


def test_dependencies_do_not_hold_worker_threads() -> None:
    from headwater.task_runners import ThreadPoolTaskRunner

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def chain() -> int:
        future = add.submit(0, 1)
        for _ in range(50):
            future = add.submit(future, 1)
        return future.result()

    assert chain() == 51
