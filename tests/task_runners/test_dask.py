"""DaskTaskRunner on a real distributed LocalCluster (worker processes on loopback)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from headwater import flow, get_run_logger, task
from headwater.cache_policies import INPUTS
from headwater.futures import as_completed, wait
from headwater.task_runners.dask import (
    DaskTaskRunner,
    get_async_dask_client,
    get_dask_client,
)
from tests.helpers import last_run, logs_of, task_runs_of

pytestmark = pytest.mark.slow

SMALL_CLUSTER = {
    "n_workers": 1,
    "threads_per_worker": 2,
    "dashboard_address": ":0",
    "host": "127.0.0.1",
}


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    """One cluster for the module's tests, started before any test's HEADWATER_HOME
    exists: its workers learn where to report from each remote task call."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=":0", host="127.0.0.1"
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@task
def where(i: int) -> int:
    from distributed import get_worker

    get_run_logger().info("on worker %s", get_worker().name)
    print(f"printed {i}")
    return os.getpid()


def test_a_temporary_local_cluster_runs_and_records_task_runs() -> None:
    @flow(task_runner=DaskTaskRunner(cluster_kwargs=SMALL_CLUSTER), log_prints=True)
    def pipeline() -> list[int]:
        return where.map(range(3)).result()

    pids = pipeline()
    assert os.getpid() not in pids
    run = last_run()
    assert run.state.is_completed()
    task_runs = task_runs_of(run.id)
    assert len(task_runs) == 3 and all(t.state.is_completed() for t in task_runs)
    logs = logs_of(run.id)
    worker_logs = [log for log in logs if log.message.startswith("on worker")]
    printed = [log for log in logs if log.message.startswith("printed")]
    assert len(worker_logs) == 3 and all(log.task_run_id for log in worker_logs)
    assert len(printed) == 3


@task(retries=2, retry_delay_seconds=0)
def flaky(marker: str) -> str:
    count = int(Path(marker).read_text()) if os.path.exists(marker) else 0
    with open(marker, "w") as f:
        f.write(str(count + 1))
    if count < 2:
        raise RuntimeError(f"attempt {count + 1}")
    return "third time"


@task(timeout_seconds=0.5)
def too_slow() -> None:
    time.sleep(5)


@task(cache_policy=INPUTS, persist_result=True)
def expensive(x: int) -> int:
    return x * 10


@task
def add(a: int, b: int) -> int:
    return a + b


def test_retries_timeouts_and_futures_behave_as_with_threads(
    scheduler_address: str, tmp_path: Any
) -> None:
    marker = str(tmp_path / "count")

    @flow(task_runner=DaskTaskRunner(address=scheduler_address))
    def pipeline() -> dict[str, Any]:
        retried = flaky.submit(marker)
        slow = too_slow.submit()
        sums = [add.submit(i, add.submit(i, 1)) for i in range(4)]
        done, _ = wait(sums)
        finished = sorted(f.result() for f in as_completed(sums))
        return {
            "retried": retried.result(),
            "attempts": retried._record.run_count,
            "slow": slow.wait_state().name,
            "done": len(done),
            "sums": finished,
        }

    out = pipeline()
    assert out == {
        "retried": "third time",
        "attempts": 3,
        "slow": "TimedOut",
        "done": 4,
        "sums": [1, 3, 5, 7],
    }
    runs = task_runs_of(last_run().id)
    assert len(runs) == 2 + 8  # each task run recorded once
    flaky_run = next(t for t in runs if t.name.startswith("flaky"))
    assert flaky_run.run_count == 3 and flaky_run.state.is_completed()
    assert [s.name for s in flaky_run.transitions].count("AwaitingRetry") == 2


def test_a_failure_on_a_worker_comes_back(scheduler_address: str) -> None:
    @task
    def fails() -> None:
        raise ValueError("on a dask worker")

    @flow(task_runner=DaskTaskRunner(address=scheduler_address))
    def pipeline() -> None:
        fails.submit().result()

    with pytest.raises(ValueError, match="on a dask worker"):
        pipeline()
    assert last_run().state.is_failed()


def test_cached_results_are_shared_across_workers(scheduler_address: str) -> None:
    @flow(task_runner=DaskTaskRunner(address=scheduler_address))
    def pipeline() -> list[str]:
        futures = [expensive.submit(7) for _ in range(1)]
        return [f.wait_state().name for f in futures] + [str(futures[0].result())]

    assert pipeline() == ["Completed", "70"]
    assert pipeline() == ["Cached", "70"]


@task
def uses_dask(n: int) -> int:
    with get_dask_client() as client:
        return int(sum(client.gather(client.map(lambda x: x * 2, range(n)))))


@task
async def uses_async_dask(n: int) -> int:
    async with get_async_dask_client() as client:
        return int(await client.submit(lambda: n + 1))


def test_tasks_reach_the_cluster_through_get_dask_client(scheduler_address: str) -> None:
    @flow(task_runner=DaskTaskRunner(address=scheduler_address))
    def pipeline() -> tuple[int, int, int]:
        with get_dask_client() as client:
            from_flow = client.submit(lambda: 5).result()
        return uses_dask.submit(4).result(), uses_async_dask.submit(1).result(), from_flow

    assert pipeline() == (12, 2, 5)


def test_get_dask_client_elsewhere_says_where_it_works() -> None:
    with pytest.raises(RuntimeError, match="inside a task run on Dask"), get_dask_client():
        pass


def test_runner_options_are_checked() -> None:
    with pytest.raises(ValueError, match="either address"):
        DaskTaskRunner(address="tcp://127.0.0.1:1", cluster_kwargs={"n_workers": 1})
    with pytest.raises(ValueError, match="cannot be imported"):
        DaskTaskRunner(cluster_class="no_such_module.Cluster")
    runner = DaskTaskRunner(cluster_class="distributed.LocalCluster", adapt_kwargs={"maximum": 2})
    from distributed import LocalCluster

    assert runner.duplicate().cluster_class is LocalCluster
    assert runner.duplicate().adapt_kwargs == {"maximum": 2}


@task
def dies_once(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        time.sleep(60)  # killed here
    return "finished elsewhere"


def test_a_killed_worker_s_task_run_is_run_again_and_recorded_once(
    scheduler_address: str, tmp_path: Any
) -> None:
    """Dask reschedules the work of a worker that died; the task run keeps its id, so
    the store keeps one row for it, which ends Completed."""
    import signal

    marker = tmp_path / "pid"

    @flow(task_runner=DaskTaskRunner(address=scheduler_address))
    def pipeline() -> str:
        future = dies_once.submit(str(marker))
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.1)
        os.kill(int(marker.read_text()), signal.SIGKILL)
        return future.result(timeout=90)

    assert pipeline() == "finished elsewhere"
    runs = task_runs_of(last_run().id)
    assert len(runs) == 1 and runs[0].state.is_completed()
