"""The Prefect 3.9.1 twin of ``benchmarks/results_cache.py``; prints one JSON object.

Run with the Prefect venv's interpreter (see ``prefect_env.py``)::

    benchmarks/peers/.venv-prefect/bin/python benchmarks/peers/results_cache_prefect.py --n 1000

A fresh temporary PREFECT_HOME, no PREFECT_API_URL (Prefect's default ephemeral
server), logging at WARNING (as the Headwater side).  Figures:
- ``cache_hit_us``: a task with ``cache_key_fn=task_input_hash`` called with N
  distinct inputs whose results a previous flow run persisted (all hits), per task,
  whole flow call minus an empty flow call;
- ``persist_1mb_ms``: a task returning 1 MB with ``persist_result=True`` minus the
  same task with ``persist_result=False``, per task (Prefect's per-task time varies by
  more than this difference, so it can come out noisy or even negative);
- ``write_1mb_ms``: ``ResultStore.write`` of 1 MB to local storage alone (median of
  30), and ``open_write_1mb_ms``, a plain ``open().write()`` of the same bytes.
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


def _best(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="prefect-bench-results-")
    for name in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[name]
    os.environ.update(
        PREFECT_HOME=home,
        PREFECT_SERVER_EPHEMERAL_ENABLED="true",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    import importlib.metadata

    from prefect import flow, task
    from prefect.tasks import task_input_hash

    @task(cache_key_fn=task_input_hash)
    def cached(i: int) -> int:
        return i

    payload = os.urandom(1_000_000)

    @task(persist_result=False)
    def big_plain(i: int) -> bytes:
        return payload

    @task(persist_result=True, cache_policy=None)
    def big_persisted(i: int) -> bytes:
        return payload

    @flow
    def empty() -> None:
        return None

    @flow
    def cached_flow(n: int) -> None:
        for i in range(n):
            cached(i)

    @flow
    def big_flow(n: int, persisted: bool) -> None:
        body = big_persisted if persisted else big_plain
        for i in range(n):
            body(i)

    n = args.n
    empty()
    baseline = _best(empty, 3)
    start = time.perf_counter()
    cached_flow(n)  # computes and persists every result
    miss = time.perf_counter() - start
    hit = _best(lambda: cached_flow(n), args.repeats)
    big_n = 20
    big_flow(2, True)
    big_without = _best(lambda: big_flow(big_n, False), 2)
    big_with = _best(lambda: big_flow(big_n, True), 2)

    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore

    store = ResultStore(result_storage=LocalFileSystem(basepath=os.path.join(home, "raw")))
    plain_dir = os.path.join(home, "plain")
    os.makedirs(plain_dir)
    counter = iter(range(10**9))

    def result_write() -> None:
        store.write(payload, key=f"k{next(counter)}")

    def plain_write() -> None:
        with open(os.path.join(plain_dir, f"f{next(counter)}"), "wb") as handle:
            handle.write(payload)

    result_write()
    plain_write()
    writes_result = statistics.median(_best(result_write, 1) for _ in range(30))
    writes_plain = statistics.median(_best(plain_write, 1) for _ in range(30))
    print(
        json.dumps(
            {
                "prefect_version": importlib.metadata.version("prefect"),
                "python": sys.version.split()[0],
                "n": n,
                "empty_flow_ms": round(baseline * 1e3, 2),
                "cache_miss_us": round((miss - baseline) / n * 1e6, 1),
                "cache_hit_us": round((hit - baseline) / n * 1e6, 1),
                "persist_1mb_ms": round((big_with - big_without) / big_n * 1e3, 3),
                "write_1mb_ms": round(writes_result * 1e3, 3),
                "open_write_1mb_ms": round(writes_plain * 1e3, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
