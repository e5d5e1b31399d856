"""Cache hits and persisted results: what they cost per task, as JSON.

    python benchmarks/results_cache.py [--n 10000] [--prefect] [--prefect-n 1000]

Each figure is measured in this run, next to its baseline:
- ``plain_task_us``: a no-op task called directly in a flow (no results, no cache),
  per task, whole flow call including the writer's flush (the hot path must not
  regress because of the results machinery);
- ``cache_hit_us``: a task with ``cache_key_fn=task_input_hash`` called with N
  distinct inputs whose results a previous flow run persisted: every call is a hit
  (key, file read, unpickle, record) — per task, whole flow call;
- ``cache_hit_same_input_us``: ``cache_policy=INPUTS``, the same input N times in one
  flow (one miss, then hits);
- ``persist_1mb_ms``: a task returning 1 MB with ``persist_result=True`` minus the
  same task without it; ``write_1mb_ms`` the result write alone and
  ``open_write_1mb_ms`` a plain ``open().write()`` of the same bytes (the baseline).
With ``--prefect``, the Prefect 3.9.1 twin (``peers/results_cache_prefect.py``) runs
in its own venv and the ratios are added.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _setup_home() -> str:
    home = tempfile.mkdtemp(prefix="hw-bench-results-")
    os.environ["HEADWATER_HOME"] = home
    os.environ["HEADWATER_LOGGING_CONSOLE"] = "false"
    os.environ.setdefault("HEADWATER_LOGGING_LEVEL", "WARNING")
    return home


def _best(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(n: int, repeats: int) -> dict[str, Any]:
    _setup_home()
    from headwater import flow, task
    from headwater.cache_policies import INPUTS
    from headwater.results.records import write_result
    from headwater.results.serializers import get_serializer
    from headwater.results.storage import get_storage
    from headwater.tasks import task_input_hash

    @task
    def noop(i: int) -> int:
        return i

    @task(cache_key_fn=task_input_hash)
    def cached(i: int) -> int:
        return i

    @task(cache_policy=INPUTS)
    def same(i: int) -> int:
        return i

    payload = os.urandom(1_000_000)

    @task
    def big_plain(i: int) -> bytes:
        return payload

    @task(persist_result=True)
    def big_persisted(i: int) -> bytes:
        return payload

    @flow
    def empty() -> None:
        return None

    @flow
    def plain_flow(n: int) -> None:
        for i in range(n):
            noop(i)

    @flow
    def cached_flow(n: int) -> None:
        for i in range(n):
            cached(i)

    @flow
    def same_flow(n: int) -> None:
        for _ in range(n):
            same(0)

    @flow
    def big_flow(n: int, persisted: bool) -> None:
        body = big_persisted if persisted else big_plain
        for i in range(n):
            body(i)

    empty()
    baseline = _best(empty, 5)
    plain = _best(lambda: plain_flow(n), repeats)
    cached_flow(n)  # computes and persists every result
    hit = _best(lambda: cached_flow(n), repeats)
    same_hit = _best(lambda: same_flow(n), repeats)
    big_n = 20
    big_flow(2, True)
    big_without = _best(lambda: big_flow(big_n, False), 3)
    big_with = _best(lambda: big_flow(big_n, True), 3)

    storage = get_storage(os.path.join(os.environ["HEADWATER_HOME"], "raw"))
    serializer = get_serializer("pickle")
    raw_dir = Path(os.environ["HEADWATER_HOME"]) / "plain"
    raw_dir.mkdir()
    counter = iter(range(10**9))

    def plain_write() -> None:
        with open(raw_dir / f"f{next(counter)}", "wb") as handle:
            handle.write(payload)

    def result_write() -> None:
        write_result(storage, f"k{next(counter)}", payload, serializer)

    result_write()
    plain_write()
    writes_plain = statistics.median(_best(plain_write, 1) for _ in range(30))
    writes_result = statistics.median(_best(result_write, 1) for _ in range(30))
    return {
        "n": n,
        "empty_flow_ms": round(baseline * 1e3, 2),
        "plain_task_us": round((plain - baseline) / n * 1e6, 1),
        "cache_hit_us": round((hit - baseline) / n * 1e6, 1),
        "cache_hit_same_input_us": round((same_hit - baseline) / n * 1e6, 1),
        "persist_1mb_ms": round((big_with - big_without) / big_n * 1e3, 3),
        "write_1mb_ms": round(writes_result * 1e3, 3),
        "open_write_1mb_ms": round(writes_plain * 1e3, 3),
        "write_1mb_vs_open_write": round(writes_result / writes_plain, 2),
    }


def prefect(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE / "peers"))
    from prefect_env import ensure_prefect_env  # type: ignore[import-not-found]

    python = ensure_prefect_env()
    out = subprocess.run(
        [str(python), str(HERE / "peers" / "results_cache_prefect.py"), "--n", str(n)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3000,
    )
    if out.returncode != 0:
        last = [line for line in out.stderr.strip().splitlines() if line.strip()][-1:]
        raise RuntimeError(f"the Prefect twin failed: {last[0] if last else out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prefect", action="store_true", help="also run the Prefect twin")
    parser.add_argument("--prefect-n", type=int, default=1000)
    args = parser.parse_args()
    result: dict[str, Any] = {"headwater": measure(args.n, args.repeats)}
    if args.prefect:
        # Prefect's ephemeral server sometimes answers 503 under load: one more try.
        try:
            peer = prefect(args.prefect_n)
        except RuntimeError as exc:
            print(f"{exc}; trying once more", file=sys.stderr)
            try:
                peer = prefect(args.prefect_n)
            except RuntimeError as again:
                result["prefect_error"] = str(again)
                print(json.dumps(result, indent=2))
                return
        result["prefect"] = peer
        ours = result["headwater"]
        result["ratios"] = {
            "cache_hit_prefect_over_headwater": round(
                peer["cache_hit_us"] / ours["cache_hit_us"], 1
            ),
            "write_1mb_prefect_over_headwater": round(
                peer["write_1mb_ms"] / ours["write_1mb_ms"], 1
            ),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
