"""Time Prefect 3 on the workloads Headwater benchmarks, and print one JSON object.

Run it with the interpreter of the Prefect venv (see ``prefect_env.py``)::

    benchmarks/peers/.venv-prefect/bin/python benchmarks/peers/workloads_prefect.py --n 200

Every run uses a fresh temporary PREFECT_HOME, no PREFECT_API_URL, and
Prefect's default mode for that case: an ephemeral API server that Prefect
starts as a subprocess of the flow's process. Prefect's logs (INFO, on stderr)
are left at their defaults. Only the JSON object goes to stdout.

Method: after a warm-up flow (which starts the ephemeral server), the median
time of an empty flow call is the baseline. Each workload is one flow call;
its figure is (call time - baseline) / items, so flow start and finish are
not counted per item. Prefect's server keeps working after a flow returns
(it records the run's events), which delays the next flow; so after each
workload, empty flows are called until one is quick again, and the extra
time they took is added into the ``*_drained_*`` figures: the cost until the
system is idle again. That settling also keeps one workload's backlog out of
the next one's figure.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

RELAXED_FILE = "relaxed-requirements.txt"
IMPORT_REPEATS = 3
# An empty flow is "settled" once it takes at most this times its usual time.
SETTLED_FACTOR = 1.5
MAX_SETTLE_CALLS = 20
SERVER_MODE = (
    "ephemeral: Prefect's default with PREFECT_API_URL unset; a temporary API "
    "server subprocess started by the flow's process "
    "(PREFECT_SERVER_EPHEMERAL_ENABLED=true)"
)

HELLO_SCRIPT = """\
from prefect import flow, get_run_logger


@flow
def hello(name: str = "world") -> None:
    get_run_logger().info("Hello, %s!", name)


if __name__ == "__main__":
    hello()
"""

IMPORT_SNIPPET = (
    "import time\nt = time.perf_counter()\nimport prefect\nprint(time.perf_counter() - t)\n"
)


def log(message: str) -> None:
    print(f"[workloads_prefect] {message}", file=sys.stderr, flush=True)


def prefect_env(home: Path) -> dict[str, str]:
    """The environment for every Prefect run: our settings, no inherited PREFECT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_EPHEMERAL_ENABLED="true",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    return env


def time_call(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_import(home: Path) -> float:
    """Median seconds for ``import prefect`` in a fresh interpreter."""
    samples = []
    for _ in range(IMPORT_REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_SNIPPET],
            env=prefect_env(home),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure_hello(workdir: Path) -> tuple[float, float]:
    """Whole-process seconds of a hello-world flow script: cold home, then warm."""
    script = workdir / "hello_prefect.py"
    script.write_text(HELLO_SCRIPT)
    home = workdir / "hello-home"
    home.mkdir()
    timings = []
    for _ in ("cold", "warm"):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)],
            env=prefect_env(home),
            cwd=workdir,
            capture_output=True,
            text=True,
            check=False,
        )
        timings.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"hello flow failed:\n{done.stderr[-4000:]}")
    return timings[0], timings[1]


def descendants_peak_rss_mb() -> float | None:
    """Sum of peak RSS (VmHWM) of this process's live descendants (Linux only)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total_kb = 0
    stack = list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            status = (proc / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def run_in_process(n: int, subflows: int) -> dict[str, Any]:
    """The in-process workloads; PREFECT_* must already be set in os.environ."""
    from prefect import flow, task
    from prefect.tasks import task_input_hash

    computed: list[str] = []

    @task
    def noop(x: int) -> int:
        return x

    @task(cache_key_fn=task_input_hash)
    def cached(token: str) -> str:
        computed.append(token)
        return token

    @flow
    def empty_flow() -> None:
        return None

    @flow
    def direct_flow(size: int) -> None:
        for i in range(size):
            noop(i)

    @flow
    def mapped_flow(size: int) -> None:
        noop.map(range(size)).result()

    @flow
    def child_flow() -> None:
        return None

    @flow
    def subflow_parent(size: int) -> None:
        for _ in range(size):
            child_flow()

    @flow
    def cache_flow(size: int, token: str) -> None:
        for _ in range(size):
            cached(token)

    results: dict[str, Any] = {}
    log("warm-up flow (starts the ephemeral server)")
    results["first_flow_call_s"] = round(time_call(lambda: direct_flow(1)), 3)
    baseline = statistics.median(time_call(empty_flow) for _ in range(3))
    results["flow_overhead_s"] = round(baseline, 3)

    def settle() -> float:
        """Seconds the server's backlog delays empty flows, until one is quick again."""
        extra = 0.0
        for _ in range(MAX_SETTLE_CALLS):
            elapsed = time_call(empty_flow)
            extra += max(0.0, elapsed - baseline)
            if elapsed <= baseline * SETTLED_FACTOR:
                break
        return extra

    def measure(workload: Callable[[], object]) -> tuple[float, float]:
        """(flow call seconds less an empty flow's, seconds until drained)."""
        elapsed = time_call(workload) - baseline
        return elapsed, elapsed + settle()

    settle()
    log(f"direct: {n} tasks")
    flow_s, drained_s = measure(lambda: direct_flow(n))
    results["direct_task_us"] = round(flow_s / n * 1e6, 1)
    results["direct_task_drained_us"] = round(drained_s / n * 1e6, 1)

    log(f"mapped: {n} tasks")
    flow_s, drained_s = measure(lambda: mapped_flow(n))
    results["mapped_task_us"] = round(flow_s / n * 1e6, 1)
    results["mapped_task_drained_us"] = round(drained_s / n * 1e6, 1)

    log(f"subflows: {subflows}")
    flow_s, drained_s = measure(lambda: subflow_parent(subflows))
    results["subflow_ms"] = round(flow_s / subflows * 1e3, 2)
    results["subflow_drained_ms"] = round(drained_s / subflows * 1e3, 2)

    log(f"cache: 1 miss, then 1 miss + {n - 1} hits")
    one_s, one_drained_s = measure(lambda: cache_flow(1, uuid.uuid4().hex))
    all_s, all_drained_s = measure(lambda: cache_flow(n, uuid.uuid4().hex))
    results["cache_hit_us"] = round((all_s - one_s) / (n - 1) * 1e6, 1)
    results["cache_hit_drained_us"] = round((all_drained_s - one_drained_s) / (n - 1) * 1e6, 1)
    # 2 when the cache worked: one computation per flow, every other call a hit.
    results["cache_computed_calls"] = len(computed)

    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    server_rss = descendants_peak_rss_mb()
    if server_rss is not None:
        results["server_peak_rss_mb"] = round(server_rss, 1)
    return results


def relaxed_requirements() -> list[str]:
    path = Path(sys.prefix) / RELAXED_FILE
    if not path.is_file():
        return []
    return [line for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks per workload")
    parser.add_argument("--subflows", type=int, default=50, help="subflow calls")
    args = parser.parse_args(argv)
    if args.n < 2 or args.subflows < 1:
        parser.error("--n must be at least 2 and --subflows at least 1")

    import importlib.metadata

    result: dict[str, Any] = {
        "tool": "prefect",
        "version": importlib.metadata.version("prefect"),
        "python": platform.python_version(),
        "n": args.n,
        "subflows": args.subflows,
        "server_mode": SERVER_MODE,
        "logging": "Prefect defaults (INFO to the console and to the API)",
        "method": (
            "per item = (flow call time - empty flow time) / size; *_drained_* "
            "adds the time the server's backlog then delays empty flows"
        ),
    }
    relaxed = relaxed_requirements()
    if relaxed:
        result["relaxed_requirements"] = relaxed

    # Removed at exit, after Prefect (imported later, so its exit hooks run
    # first) has stopped its ephemeral server, which keeps its database here.
    workdir = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)

    log("import prefect (fresh interpreters)")
    result["import_s"] = round(measure_import(workdir / "import-home"), 3)
    log("hello-world script, cold then warm PREFECT_HOME")
    cold, warm = measure_hello(workdir)
    result["hello_cold_s"] = round(cold, 3)
    result["hello_warm_s"] = round(warm, 3)

    home = workdir / "home"
    home.mkdir()
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        del os.environ[key]
    os.environ.update(prefect_env(home))
    result.update(run_in_process(args.n, args.subflows))

    print(json.dumps(result, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
