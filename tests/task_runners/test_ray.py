"""RayTaskRunner on a real local Ray (raylet and worker processes on this machine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("ray", reason="the ray extra is not installed")

from headwater import flow, get_run_logger, task
from headwater.task_runners.ray import RayTaskRunner
from tests.helpers import last_run, logs_of, task_runs_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the module (it takes seconds to start); the runner uses a Ray
    already initialised in this process as it is, and leaves it running."""
    import ray

    for attempt in (1, 2):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception as exc:  # Ray gives its raylet a fixed 30 s to register
            ray.shutdown()  # stop what did start
            if attempt == 2:
                pytest.skip(f"a local Ray could not start here (twice): {exc}")
    try:
        yield
    finally:
        ray.shutdown()


@task
def where(i: int) -> int:
    get_run_logger().info("on ray %d", i)
    return os.getpid()


@task(retries=1, retry_delay_seconds=0)
def fails_once(marker: str) -> str:
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt")
    return "second"


def test_ray_workers_run_and_record_task_runs(local_ray: None, tmp_path: Any) -> None:
    marker = str(tmp_path / "attempted")

    @flow(task_runner=RayTaskRunner())
    def pipeline() -> tuple[list[int], str, int]:
        retried = fails_once.submit(marker)
        pids = where.map(range(3)).result()
        return pids, retried.result(), retried._record.run_count

    pids, value, attempts = pipeline()
    assert os.getpid() not in pids
    assert (value, attempts) == ("second", 2)
    run = last_run()
    task_runs = task_runs_of(run.id)
    assert len(task_runs) == 4 and all(t.state.is_completed() for t in task_runs)
    logs = [log for log in logs_of(run.id) if log.message.startswith("on ray")]
    assert len(logs) == 3 and all(log.task_run_id for log in logs)


def test_a_failure_on_ray_comes_back(local_ray: None) -> None:
    @task
    def fails() -> None:
        raise ValueError("on a ray worker")

    @flow(task_runner=RayTaskRunner())
    def pipeline() -> None:
        fails.submit().result()

    with pytest.raises(ValueError, match="on a ray worker"):
        pipeline()
    assert last_run().state.is_failed()


def test_runner_options_are_checked() -> None:
    with pytest.raises(ValueError, match="address"):
        RayTaskRunner(address=42)  # type: ignore[arg-type]
    runner = RayTaskRunner(init_kwargs={"num_cpus": 1})
    assert runner.duplicate().init_kwargs == {"num_cpus": 1}
