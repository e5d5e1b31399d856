"""Task workers (``Task.delay`` + ``headwater task serve``); prints one JSON object.

For each store (the embedded SQLite store, a server on SQLite, and with ``--pg URL``
a server on PostgreSQL):

- ``start_latency_s``: from just before ``task.delay(...)`` to the first line of the
  task body (a timestamp it writes), with one idle worker: median, p95 and max of
  ``--samples`` submissions, each after the previous run finished and the worker went
  back to waiting.  Baseline in the same run: ``delay_call_s``, the ``.delay()`` call
  alone (the store write a start cannot beat).
- ``share``: 2 worker processes (``--limit 10`` each) and ``--tasks`` runs submitted
  with ``task.map(..., deferred=True)`` (default 2,000: 1,000 a worker): time from
  the submission to the last body's side effect and to the last Completed row;
  every run counted exactly once by its side-effect file and by its Completed row;
  how the runs split between the workers.  Baseline in the
  same run: the same task called directly in this process, ``--tasks`` times.

Usage: ``python benchmarks/task_workers.py [--samples 40] [--tasks 2000] [--pg URL]``
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
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import Server, free_port

TASKS = """
import os
import pathlib
import time

from headwater import task


@task
def first_line(i: int, out: str) -> int:
    now = time.time()
    pathlib.Path(out, f"{i}.{os.getpid()}").write_text(repr(now))
    return i
"""
MODULE = "bench_bg_tasks"
_SERVE = [sys.executable, "-m", "headwater", "task", "serve"]


def _env(home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), HEADWATER_LOGGING_CONSOLE="false")
    if api_url:
        env["HEADWATER_API_URL"] = api_url
    return env


def _worker(root: Path, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    log = (root / f"{name}.log").open("ab")
    process = subprocess.Popen(
        [*_SERVE, f"{MODULE}:first_line", "--limit", "10", "--name", name],
        env=env,
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while "serving" not in (root / f"{name}.log").read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((root / f"{name}.log").read_text(errors="replace")[-3000:])
        time.sleep(0.05)
    return process


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 4),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 4),
        "max": round(ordered[-1], 4),
    }


def scenario(root: Path, api_url: str | None, samples: int, tasks: int) -> dict[str, Any]:
    """Run in a child process whose environment names the store (see ``main``)."""
    sys.path.insert(0, str(root))
    import bench_bg_tasks

    from headwater import unmapped
    from headwater.client import get_client
    from headwater.schemas.filters import TaskRunFilter

    task = bench_bg_tasks.first_line
    env = _env(root / "home", api_url)
    out = root / "latency"
    out.mkdir()
    workers = [_worker(root, env, "idle")]
    result: dict[str, Any] = {}
    try:
        time.sleep(1.0)  # the worker is long-polling
        task.delay(-1, str(out)).result(timeout=60)  # warm both sides
        starts, calls = [], []
        for i in range(samples):
            marker = out / f"{i}.{workers[0].pid}"
            before = time.time()
            handle = task.delay(i, str(out))
            calls.append(time.time() - before)
            handle.result(timeout=60)
            starts.append(float(marker.read_text()) - before)
            time.sleep(0.3)  # back to waiting
        result["start_latency_s"] = _quantiles(starts)
        result["delay_call_s"] = _quantiles(calls)
        if not tasks:  # latency only
            return result
        workers.append(_worker(root, env, "second"))
        share = root / "share"
        share.mkdir()
        began = time.perf_counter()
        handles = task.map(range(tasks), unmapped(str(share)), deferred=True)
        submitted = time.perf_counter() - began
        ids = [h.task_run_id for h in handles]
        deadline = time.monotonic() + 900
        while len(os.listdir(share)) < tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        bodies = time.perf_counter() - began
        completed = 0
        with get_client() as client:
            while completed < tasks and time.monotonic() < deadline:
                completed = sum(
                    len(
                        client.read_task_runs(
                            task_run_filter=TaskRunFilter(
                                ids=ids[n : n + 1000], state_types=["COMPLETED"]
                            ),
                            limit=1000,
                        )
                    )
                    for n in range(0, len(ids), 1000)
                )
                if completed < tasks:
                    time.sleep(0.1)
        wall = time.perf_counter() - began
        time.sleep(2.0)  # a run done twice would show up late
        files = [p.name.split(".") for p in share.iterdir()]
        per_task = Counter(int(i) for i, _ in files)
        began = time.perf_counter()
        for i in range(tasks):
            task(i, str(root / "latency"))
        direct = time.perf_counter() - began
        by_worker = Counter(pid for _, pid in files)
        result["share"] = {
            "tasks": tasks,
            "workers": 2,
            "submit_s": round(submitted, 3),
            "all_bodies_ran_s": round(bodies, 3),
            "wall_s": round(wall, 3),
            "runs_per_s": round(tasks / wall, 1),
            "side_effect_files": len(files),
            "each_run_exactly_once": len(files) == tasks
            and set(per_task.values()) == {1}
            and len(per_task) == tasks,
            "completed_rows": completed,
            "runs_per_worker": sorted(by_worker.values()),
            "baseline_direct_calls_s": round(direct, 3),
        }
    finally:
        _stop(workers)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--pg", default=None, help="Also a server on this PostgreSQL URL.")
    parser.add_argument("--scenario", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--root", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario is not None:  # the child: the environment names the store
        api_url = os.environ.get("HEADWATER_API_URL")
        print(json.dumps(scenario(Path(args.root), api_url, args.samples, args.tasks)))
        return
    stores: list[tuple[str, str | None]] = [("embedded", None), ("server_sqlite", "sqlite")]
    if args.pg:
        stores.append(("server_postgresql", args.pg))
    report: dict[str, Any] = {"samples": args.samples, "tasks": args.tasks}
    for label, kind in stores:
        with tempfile.TemporaryDirectory(prefix=f"bench-tw-{label}-") as tmp:
            root = Path(tmp)
            (root / f"{MODULE}.py").write_text(textwrap.dedent(TASKS))
            home = root / "home"
            home.mkdir()
            server = None
            api_url = None
            if kind is not None:
                port = free_port()
                server_env = _env(home, None)
                if kind != "sqlite":
                    server_env["HEADWATER_DATABASE_URL"] = kind
                server = Server(
                    [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)],
                    server_env,
                    f"http://127.0.0.1:{port}/api/health",
                    root / "server.log",
                )
                server.start()
                api_url = f"http://127.0.0.1:{port}/api"
            try:
                child = subprocess.run(
                    [
                        *(sys.executable, __file__, "--scenario", label, "--root", str(root)),
                        *("--samples", str(args.samples), "--tasks", str(args.tasks)),
                    ],
                    env=_env(home, api_url),
                    cwd=root,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if child.returncode != 0:
                    raise RuntimeError(child.stderr[-3000:])
                report[label] = json.loads(child.stdout.strip().splitlines()[-1])
            finally:
                if server is not None:
                    server.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
