"""Per-task cost of each task runner, next to its baselines, as JSON.

    python benchmarks/task_runners.py [--n 2000] [--dask-n 10000] [--ray-n 2000]
                                      [--workers 2] [--only threads,processes,dask,ray]
                                      [--rounds 1]

Every figure is wall time per task for ``N`` no-op tasks submitted in one flow run and
waited for (the flow call as a whole, so the writer's flush is included), measured in
this run:
- ``threads_us``: ``ThreadPoolTaskRunner`` (the default; the in-process baseline);
- ``processes_us``: ``ProcessPoolTaskRunner(max_workers=W)``;
- ``dask_us`` / ``raw_dask_us``: ``DaskTaskRunner`` on a ``LocalCluster`` of W
  single-threaded worker processes, against ``client.submit`` of the same no-op
  function on the same cluster (``dask_ratio`` = the first over the second);
- ``ray_us`` / ``raw_ray_us``: ``RayTaskRunner`` on a local Ray with W CPUs, against
  ``ray.remote`` of the same function (``ray_ratio``).
Runners whose extra is not installed are reported as ``"skipped"``.  With ``--rounds R``
the Dask pair is measured R times, alternating, on one cluster (a loaded machine's
speed drifts between the two halves of one round): ``dask_ratios`` lists each round's
ratio, ``dask_ratio`` is their median and ``dask_us`` / ``raw_dask_us`` are medians.
``dask_cpu_us`` / ``raw_dask_cpu_us`` are the same pair in CPU time of the whole
cluster (this process, where the scheduler and the clients run, and the workers), per
task: steadier than wall time on a busy machine (``dask_cpu_ratio``; the flow side's
figure includes its two 1-task flow runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any


def _setup_home() -> None:
    os.environ["HEADWATER_HOME"] = tempfile.mkdtemp(prefix="hw-bench-runners-")
    os.environ["HEADWATER_LOGGING_CONSOLE"] = "false"
    os.environ.setdefault("HEADWATER_LOGGING_LEVEL", "WARNING")
    # Worker processes import ``_runner_tasks`` by name to find ``noop``.
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get("PYTHONPATH", "")
    if here not in sys.path:
        sys.path.insert(0, here)


def _flow_per_task(runner: Any, n: int) -> float:
    """(time of a flow run of N tasks - time of one of 1 task) / (N - 1): the runner's
    start-up and shutdown (process spawn, cluster start) cancel out."""
    from _runner_tasks import noop as body  # by module name: workers import it too

    from headwater import flow, task

    work = task(body, name="noop")

    @flow(task_runner=runner)
    def fan_out(count: int) -> int:
        return len(work.map(range(count)).result())

    def timed(count: int) -> float:
        start = time.perf_counter()
        assert fan_out(count) == count
        return time.perf_counter() - start

    timed(1)  # imports, the store's creation
    return (timed(n) - timed(1)) / (n - 1) * 1e6


def measure_threads(n: int) -> dict[str, Any]:
    from headwater.task_runners import ThreadPoolTaskRunner

    return {"threads_us": round(_flow_per_task(ThreadPoolTaskRunner(), n), 1)}


def measure_processes(n: int, workers: int) -> dict[str, Any]:
    from headwater.task_runners import ProcessPoolTaskRunner

    return {"processes_us": round(_flow_per_task(ProcessPoolTaskRunner(workers), n), 1)}


def _cluster_cpu_s() -> float:
    """CPU seconds (user + system) of this process and its children so far: the
    scheduler and the clients run here, a ``LocalCluster``'s workers are children."""
    import psutil  # a dependency of distributed

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:  # ended meanwhile
            pass
    return total


def measure_dask(n: int, workers: int, rounds: int = 1) -> dict[str, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return {"dask": "skipped: the dask extra is not installed"}
    from _runner_tasks import noop

    from headwater.task_runners.dask import DaskTaskRunner

    ours: list[float] = []
    raw: list[float] = []
    ours_cpu: list[float] = []
    raw_cpu: list[float] = []
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=":0", host="127.0.0.1"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.gather(client.map(noop, range(10), pure=False))  # warm
        for _ in range(rounds):
            cpu = _cluster_cpu_s()
            ours.append(_flow_per_task(DaskTaskRunner(address=cluster.scheduler_address), n))
            ours_cpu.append((_cluster_cpu_s() - cpu) / (n + 2) * 1e6)
            cpu, start = _cluster_cpu_s(), time.perf_counter()
            client.gather([client.submit(noop, i, pure=False) for i in range(n)])
            raw.append((time.perf_counter() - start) / n * 1e6)
            raw_cpu.append((_cluster_cpu_s() - cpu) / n * 1e6)
    ratios = sorted(a / b for a, b in zip(ours, raw, strict=True))
    cpu_ratios = sorted(a / b for a, b in zip(ours_cpu, raw_cpu, strict=True))
    out: dict[str, Any] = {
        "dask_us": round(statistics.median(ours), 1),
        "raw_dask_us": round(statistics.median(raw), 1),
        "dask_ratio": round(statistics.median(ratios), 2),
        "dask_cpu_us": round(statistics.median(ours_cpu), 1),
        "raw_dask_cpu_us": round(statistics.median(raw_cpu), 1),
        "dask_cpu_ratio": round(statistics.median(cpu_ratios), 2),
    }
    if rounds > 1:
        out["dask_ratios"] = [round(a / b, 2) for a, b in zip(ours, raw, strict=True)]
    return out


def measure_ray(n: int, workers: int) -> dict[str, Any]:
    try:
        import ray
    except ImportError:
        return {"ray": "skipped: the ray extra is not installed"}
    from _runner_tasks import noop

    from headwater.task_runners.ray import RayTaskRunner

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        ours = _flow_per_task(RayTaskRunner(), n)
        remote = ray.remote(noop)
        ray.get([remote.remote(i) for i in range(10)])  # warm
        start = time.perf_counter()
        ray.get([remote.remote(i) for i in range(n)])
        raw = (time.perf_counter() - start) / n * 1e6
    finally:
        ray.shutdown()
    return {
        "ray_us": round(ours, 1),
        "raw_ray_us": round(raw, 1),
        "ray_ratio": round(ours / raw, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask-n", type=int, default=10000)
    parser.add_argument("--ray-n", type=int, default=2000)
    parser.add_argument("--only", default="threads,processes,dask,ray")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    _setup_home()
    only = set(args.only.split(","))
    out: dict[str, Any] = {"n": args.n, "workers": args.workers}
    if "threads" in only or "processes" in only:
        out.update(measure_threads(args.n))
    if "processes" in only:
        out.update(measure_processes(args.n, args.workers))
        out["processes_ratio"] = round(out["processes_us"] / out["threads_us"], 2)
    if "dask" in only:
        out["dask_n"] = args.dask_n
        out.update(measure_dask(args.dask_n, args.workers, args.rounds))
    if "ray" in only:
        out["ray_n"] = args.ray_n
        out.update(measure_ray(args.ray_n, args.workers))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
