"""Headwater's foundation workloads, each timed in a fresh process and a fresh home.

    python benchmarks/workloads.py [--n 10000] [--rss-tasks 100000]
    python benchmarks/workloads.py --against main [--rounds 5]

Prints one JSON object.  Every figure comes with its baseline from the same run, so
the numbers can be compared across noisy machines as ratios:

- ``import_s`` vs ``python_startup_s`` (``python -c pass``);
- ``hello_cold_s`` / ``hello_warm_s`` (``python examples/hello.py`` in a new home,
  then again) vs ``python_startup_s``;
- ``direct_task_us``: one flow calling N no-op tasks directly, every task run
  recorded (the time includes flushing the records at the end) vs
  ``plain_call_us``, the same loop calling the undecorated function;
- ``mapped_task_us``: ``noop.map(range(N)).wait()`` vs the same with a bare
  ``ThreadPoolExecutor`` (``thread_pool_us``);
- ``subflow_ms``: 50 subflow calls, per call;
- ``*_cpu_us`` / ``subflow_cpu_ms``: the same workloads in CPU time of the whole
  process (every thread: the engine, the writer, SQLite), which other work on the
  machine disturbs far less than wall time;
- ``peak_rss_mb``: a flow of ``--rss-tasks`` tasks each returning a 10,000-item list
  that is dropped, vs ``baseline_rss_mb`` (the same process after an empty flow).

``--against REF`` compares the per-task workloads with another commit side by side
instead: the ``headwater`` package of ``REF`` (``git archive``) and of this checkout
run the task script in alternation (each side first in every other round),
``--rounds`` times each, and the medians are
printed with their ratios (``*_vs_against``: below 1 means this checkout is faster;
``*_best_vs_against`` compares the best rounds, steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

TASK_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    from concurrent.futures import ThreadPoolExecutor
    from headwater import flow, task
    from headwater.client.writer import flush_all

    n = int(sys.argv[1])

    def plain(x):
        return x

    noop = task(plain, name="noop")

    @flow
    def direct(n: int) -> None:
        for i in range(n):
            noop(i)

    @flow
    def mapped(n: int) -> None:
        noop.map(range(n)).wait()

    @flow
    def child(i: int) -> int:
        return i

    @flow
    def parent(n: int) -> None:
        for i in range(n):
            child(i)

    cpu = {}

    def timed(fn, *args):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn(*args)
        flush_all()
        cpu[fn.__name__] = time.process_time() - cpu_started
        return time.perf_counter() - started

    direct(100); mapped(100); parent(2)  # warm up: store open, code paths imported
    started = time.perf_counter()
    for i in range(n):
        plain(i)
    plain_s = time.perf_counter() - started
    with ThreadPoolExecutor() as pool:
        started = time.perf_counter()
        list(pool.map(plain, range(n)))
        pool_s = time.perf_counter() - started
    out = {
        "direct_task_us": timed(direct, n) / n * 1e6,
        "plain_call_us": plain_s / n * 1e6,
        "mapped_task_us": timed(mapped, n) / n * 1e6,
        "thread_pool_us": pool_s / n * 1e6,
        "subflow_ms": timed(parent, 50) / 50 * 1e3,
    }
    out["direct_task_cpu_us"] = cpu["direct"] / n * 1e6
    out["mapped_task_cpu_us"] = cpu["mapped"] / n * 1e6
    out["subflow_cpu_ms"] = cpu["parent"] / 50 * 1e3
    print(json.dumps(out))
    """
)

RSS_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    from headwater import flow, task

    @task
    def big(i: int) -> list:
        return list(range(10_000))

    @flow
    def many(n: int) -> None:
        for i in range(n):
            big(i)

    many(10)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    many(int(sys.argv[1]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"baseline_rss_mb": baseline, "peak_rss_mb": peak}))
    """
)


def _env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=home, HEADWATER_LOGGING_CONSOLE="false")
    return env


def _wall(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - started


def _median_wall(args: list[str], env: dict[str, str], repeat: int = 5) -> float:
    return statistics.median(_wall(args, env) for _ in range(repeat))


def _script(source: str, *args: str, home: str, pythonpath: str | None = None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    try:
        env = _env(home)
        if pythonpath is not None:
            env["PYTHONPATH"] = pythonpath
        done = subprocess.run(
            [sys.executable, handle.name, *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
    finally:
        os.unlink(handle.name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_all(n: int = 10_000, rss_tasks: int = 100_000) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(os.path.join(tmp, "startup"))
        out["python_startup_s"] = _median_wall([sys.executable, "-c", "pass"], env)
        out["import_s"] = _median_wall([sys.executable, "-c", "import headwater"], env)
        hello = [sys.executable, str(REPO / "examples" / "hello.py")]
        out["hello_cold_s"] = statistics.median(
            _wall(hello, _env(os.path.join(tmp, f"cold{i}"))) for i in range(3)
        )
        out["hello_warm_s"] = _median_wall(hello, _env(os.path.join(tmp, "cold0")))
        out.update(_script(TASK_SCRIPT, str(n), home=os.path.join(tmp, "tasks")))
        out.update(_script(RSS_SCRIPT, str(rss_tasks), home=os.path.join(tmp, "rss")))
    out["rss_tasks"] = rss_tasks
    out["direct_vs_plain_call"] = out["direct_task_us"] / out["plain_call_us"]
    out["mapped_vs_thread_pool"] = out["mapped_task_us"] / out["thread_pool_us"]
    out["import_vs_python_startup"] = out["import_s"] / out["python_startup_s"]
    return out


def compare(against: str, n: int = 10_000, rounds: int = 5) -> dict[str, Any]:
    """The task workloads of this checkout and of commit ``against``, alternating."""
    keys = (
        "direct_task_us",
        "mapped_task_us",
        "subflow_ms",
        "direct_task_cpu_us",
        "mapped_task_cpu_us",
        "subflow_cpu_ms",
    )
    samples: dict[str, dict[str, list[float]]] = {"this": {}, "against": {}}
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", against, "headwater"], cwd=REPO, check=True, capture_output=True
        ).stdout
        old = os.path.join(tmp, "against")
        os.makedirs(old)
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        sides = [("against", old), ("this", str(REPO))]
        for i in range(rounds):
            for side, path in sides if i % 2 == 0 else sides[::-1]:  # no side always first
                home = os.path.join(tmp, f"{side}{i}")
                out = _script(TASK_SCRIPT, str(n), home=home, pythonpath=path)
                for key in keys:
                    samples[side].setdefault(key, []).append(out[key])
    result: dict[str, Any] = {"n": n, "rounds": rounds, "against": against}
    for key in keys:
        this = statistics.median(samples["this"][key])
        then = statistics.median(samples["against"][key])
        result[key] = this
        result[f"{key}_against"] = then
        result[f"{key}_vs_against"] = this / then
        # The best round of each side: what the code costs with the least interference
        # from other work on the machine.
        result[f"{key}_best_vs_against"] = min(samples["this"][key]) / min(samples["against"][key])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks per task workload")
    parser.add_argument("--rss-tasks", type=int, default=100_000, help="tasks in the RSS flow")
    parser.add_argument("--against", help="a git ref to compare the task workloads with")
    parser.add_argument("--rounds", type=int, default=5, help="runs per side with --against")
    args = parser.parse_args()
    if args.against:
        print(json.dumps(compare(args.against, args.n, args.rounds), indent=2))
        return
    print(json.dumps(run_all(args.n, args.rss_tasks), indent=2))


if __name__ == "__main__":
    main()
