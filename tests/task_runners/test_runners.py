"""Thread and process task runners run submitted tasks concurrently and record them."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from headwater import flow, get_run_logger, task
from headwater.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from tests.helpers import last_run, logs_of, task_runs_of


@task
def pid_of(i: int) -> int:
    get_run_logger().info("running %d", i)
    return os.getpid()


@task
def cube(x: int) -> int:
    return x**3


def test_threads_run_concurrently() -> None:
    barrier = threading.Barrier(4, timeout=5)

    @task
    def meet() -> bool:
        barrier.wait()
        return True

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
    def pipeline() -> list[bool]:
        return [f.result() for f in [meet.submit() for _ in range(4)]]

    assert pipeline() == [True] * 4


def test_process_runner_runs_tasks_in_other_processes_and_records_them() -> None:
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def pipeline() -> tuple[list[int], list[int]]:
        pids = pid_of.map(range(4)).result()
        cubes = cube.map(cube.map([1, 2])).result()
        return pids, cubes

    pids, cubes = pipeline()
    assert os.getpid() not in pids
    assert cubes == [1, 512]
    run = last_run()
    task_runs = task_runs_of(run.id)
    assert len(task_runs) == 8
    assert all(t.state.is_completed() for t in task_runs)
    running_logs = [log for log in logs_of(run.id) if log.message.startswith("running")]
    assert len(running_logs) == 4 and all(log.task_run_id for log in running_logs)


def test_process_runner_failure_comes_back() -> None:
    @task
    def fails() -> None:
        raise ValueError("in a child")

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def pipeline() -> None:
        fails.submit().result()

    with pytest.raises(ValueError, match="in a child"):
        pipeline()


def test_runner_options_are_validated() -> None:
    from headwater.exceptions import InvalidOptionError

    with pytest.raises(ValueError, match="max_workers"):
        ThreadPoolTaskRunner(max_workers=0)
    with pytest.raises(InvalidOptionError, match="task_runner"):
        flow(lambda: None, task_runner="threads")


def test_each_flow_run_gets_its_own_runner() -> None:
    runner = ThreadPoolTaskRunner(max_workers=2)

    @flow(task_runner=runner)
    def pipeline() -> int:
        time.sleep(0.01)
        return cube.submit(2).result()

    assert pipeline() == 8 and pipeline() == 8
    assert runner._pool is None  # the template itself is never started


@task(retries=1, retry_delay_seconds=0)
def fails_once(marker: str) -> str:
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt")
    return "second"


@task
def echo(value: str) -> str:
    return value


def test_process_runner_mirrors_the_childs_record(tmp_path: object) -> None:
    """The remote task call brings the far side's final record back: retries, state
    name and lineage are the parent's too, and the store has one row per run."""
    marker = str(tmp_path) + "/attempted"

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def pipeline() -> tuple[str, int, str]:
        first = fails_once.submit(marker)
        state = first.wait_state()
        second = echo.submit(first)
        return state.name, first._record.run_count, second.result()

    name, attempts, value = pipeline()
    assert (name, attempts, value) == ("Completed", 2, "second")
    runs = {t.name.split("-")[0]: t for t in task_runs_of(last_run().id)}
    assert runs["fails_once"].run_count == 2 and runs["fails_once"].state.is_completed()
    assert runs["echo"].inputs == {"value": [runs["fails_once"].id]}


@task
def slow_talker(release: str) -> str:
    get_run_logger().info("started, going on until released")
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
    return "done"


def test_a_long_task_in_another_process_shows_its_state_and_logs_while_it_runs(
    tmp_path: object,
) -> None:
    """Short calls send their records back; one running past ``PASS_THROUGH_AFTER``
    writes them from its process, so the store shows it Running with its log lines
    before it ends."""
    release = f"{tmp_path}/release"
    seen: dict[str, object] = {}

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def pipeline() -> str:
        from headwater.runtime import flow_run

        this = uuid.UUID(flow_run.id)
        future = slow_talker.submit(release)
        deadline = time.monotonic() + 45  # a loaded machine starts processes slowly
        while time.monotonic() < deadline and "running" not in seen:
            runs = [t for t in task_runs_of(this) if t.name.startswith("slow_talker")]
            lines = [log.message for log in logs_of(this) if "going on" in log.message]
            if runs and runs[0].state.is_running() and lines:
                seen["running"] = runs[0].id
                seen["final_then"] = future.state.is_final()
            time.sleep(0.1)
        open(release, "w").close()
        return future.result()

    assert pipeline() == "done"
    assert "running" in seen, "the store never showed the task Running with its log"
    assert seen["final_then"] is False
    (run,) = task_runs_of(last_run().id)
    assert run.state.is_completed()
    lines = [log.message for log in logs_of(last_run().id) if "going on" in log.message]
    assert lines == ["started, going on until released"]
