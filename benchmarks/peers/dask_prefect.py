"""Prefect's side of the Dask comparison; runs inside benchmarks/peers/.venv-prefect
with ``prefect-dask`` installed and prints one JSON object.

    .venv-prefect/bin/python benchmarks/peers/dask_prefect.py --n 200 --workers 2

The workload and the arithmetic are those of ``benchmarks/task_runners.py``'s Dask
figure: one flow maps a no-op task over N inputs with ``DaskTaskRunner`` on a
``LocalCluster`` of W single-threaded workers; (time of N - time of 1) / (N - 1) per
task, next to ``client.submit`` of the same function on the same cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def _isolate() -> None:
    """A fresh Prefect home and Prefect's default local mode (ephemeral API server)."""
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[key]
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="prefect-dask-bench-")
    os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "true"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    # A loaded 2-core machine starts the ephemeral server slower than the 20 s default.
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    # The Dask workers import the no-op function by module name.
    bench_dir = os.path.dirname(HERE)
    os.environ["PYTHONPATH"] = bench_dir + os.pathsep + os.environ.get("PYTHONPATH", "")
    sys.path.insert(0, bench_dir)


def measure(n: int, workers: int) -> dict[str, Any]:
    from _runner_tasks import noop
    from distributed import Client, LocalCluster
    from prefect import flow, task
    from prefect_dask import DaskTaskRunner

    work = task(noop, name="noop")
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=":0", host="127.0.0.1"
    ) as cluster:

        @flow(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        def fan_out(count: int) -> int:
            return len(work.map(range(count)).result())

        def timed(count: int) -> float:
            start = time.perf_counter()
            assert fan_out(count) == count
            return time.perf_counter() - start

        first = timed(1)  # starts the ephemeral server
        one = timed(1)
        many = timed(n)
        ours = (many - one) / (n - 1) * 1e6
        with Client(cluster, set_as_default=False) as client:
            client.gather(client.map(noop, range(10), pure=False))  # warm
            start = time.perf_counter()
            client.gather([client.submit(noop, i, pure=False) for i in range(n)])
            raw = (time.perf_counter() - start) / n * 1e6
    return {
        "dask_us": round(ours, 1),
        "raw_dask_us": round(raw, 1),
        "dask_ratio": round(ours / raw, 2),
        "flow_of_n_s": round(many, 2),
        "first_flow_call_s": round(first, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    _isolate()
    import importlib.metadata as metadata

    out: dict[str, Any] = {
        "prefect": metadata.version("prefect"),
        "prefect_dask": metadata.version("prefect-dask"),
        "distributed": metadata.version("distributed"),
        "n": args.n,
        "workers": args.workers,
    }
    out.update(measure(args.n, args.workers))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
