"""Prefect 3's server on the measurements of ``benchmarks/server_api.py`` and
``benchmarks/server_flow.py``; prints one JSON object.

Run it with the Prefect venv's interpreter (see ``prefect_env.py``)::

    benchmarks/peers/.venv-prefect/bin/python benchmarks/peers/server_prefect.py

`prefect server start` runs on SQLite (its default) in a fresh PREFECT_HOME with
analytics off, otherwise Prefect's defaults.  The requests come from the same small
asyncio load generator as Headwater's (``_http_load.py``), so the client costs the
same on both sides.  Prefect has no bulk task-run endpoint; task runs are created one
per request (``POST /api/task_runs/``), 10 in flight, and that rate is reported as
``task_run_records_per_s``.  Its logs endpoint takes a list, so logs are sent 1,000
per request like Headwater's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _http_load import build_request, run_load
from _server_proc import Server, free_port

FLOW = """
import json, sys, time
from prefect import flow, task

@task
def noop(x: int) -> int:
    return x

@flow
def many_tasks(n: int) -> int:
    total = 0
    for i in range(n):
        total += noop(i)
    return total

many_tasks(10)
start = time.perf_counter()
many_tasks(int(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def prefect_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    return env


def prefect_server(home: Path, port: int) -> Server:
    prefect = str(Path(sys.executable).with_name("prefect"))
    command = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/api/health"
    return Server(command, prefect_env(home), url, home / "server.log")


def post(url: str, path: str, body: Any, attempts: int = 20) -> Any:
    """POST, retrying the 503 answers Prefect gives while its SQLite is locked."""
    import urllib.error
    import urllib.request

    for attempt in range(attempts):
        request = urllib.request.Request(
            f"{url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


class Counter:
    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}

    def __call__(self, status: int, body: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self) -> int:
        # 0: the server dropped the connection instead of answering
        return sum(n for status, n in self.statuses.items() if status >= 400 or status == 0)


def rate(url: str, make: Any, total: int, concurrency: int, counter: Counter) -> float:
    """Requests per second until all ``total`` succeeded: answers of 503 ("database
    is locked", as Prefect reports it) or dropped connections are retried with
    backoff like Prefect's own client does, and counted in ``counter``."""
    return total / asyncio.run(run_load(url, make, total, concurrency, counter, retry=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=300, help="flow runs per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starts", type=int, default=2)
    parser.add_argument("--task-runs", type=int, default=300)
    parser.add_argument("--flow-tasks", type=int, default=10_000, help="0 to skip the flow")
    args = parser.parse_args()

    import importlib.metadata

    result: dict[str, Any] = {
        "tool": "prefect",
        "version": importlib.metadata.version("prefect"),
        "load_avg_at_start": os.getloadavg()[0],
        "store": "sqlite (default)",
        "client": "asyncio HTTP/1.1 load generator, one process, 10 requests in flight",
    }
    with tempfile.TemporaryDirectory(prefix="prefect-server-bench-") as tmp:
        root = Path(tmp)
        cold = []
        for i in range(args.starts):
            home = root / f"cold-{i}"
            home.mkdir()
            server = prefect_server(home, free_port())
            cold.append(server.start())
            server.stop()
        home = root / "main"
        home.mkdir()
        port = free_port()
        server = prefect_server(home, port)
        server.start()
        server.stop()
        warm = []
        for _ in range(args.starts):
            warm.append(server.start())
            server.stop()
        result["start_cold_s"] = round(statistics.median(cold), 3)
        result["start_warm_s"] = round(statistics.median(warm), 3)

        server.start()
        url = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(run_load(url, lambda i: build_request(url, "GET", "/api/version"), 20, 2))
            time.sleep(2.0)
            result["idle_rss_mb"] = round(server.rss_mb(), 1)

            flow_id = post(url, "/api/flows/", {"name": f"bench-{uuid.uuid4().hex[:6]}"})["id"]
            counter = Counter()

            def create(i: int) -> bytes:
                body = {"flow_id": flow_id, "name": f"run-{i}", "state": {"type": "SCHEDULED"}}
                return build_request(url, "POST", "/api/flow_runs/", body)

            rate(url, create, 10, 10, counter)
            rates = [rate(url, create, args.creates, 10, counter) for _ in range(args.rounds)]
            result["flow_run_creates_per_s"] = round(statistics.median(rates), 1)
            result["flow_run_creates_per_s_rounds"] = [round(r, 1) for r in rates]
            result["flow_run_create_errors"] = counter.errors
            result["flow_run_create_statuses"] = counter.statuses
            # Prefect answers 503 "Service Unavailable" when SQLite says "database is
            # locked" (its log at the default level does not print them).
            result["database_locked_errors"] = counter.statuses.get(503, 0)

            run = post(url, "/api/flow_runs/", {"flow_id": flow_id, "name": "with-tasks"})
            tasks = Counter()

            def create_task(i: int) -> bytes:
                body = {
                    "flow_run_id": run["id"],
                    "task_key": "noop-4f2a",
                    "dynamic_key": str(i),
                    "name": f"noop-{i}",
                    "state": {"type": "COMPLETED"},
                }
                return build_request(url, "POST", "/api/task_runs/", body)

            result["task_run_records_per_s"] = round(
                rate(url, create_task, args.task_runs, 10, tasks), 1
            )
            result["task_run_method"] = "POST /api/task_runs/ one per request, 10 in flight"
            result["task_run_errors"] = tasks.errors
            result["task_run_statuses"] = tasks.statuses
            now = datetime.now(timezone.utc).isoformat()
            logs_body = json.dumps(
                [
                    {
                        "name": "prefect.task_runs",
                        "level": 20,
                        "message": f"Finished in state Completed() ({i})",
                        "timestamp": now,
                        "flow_run_id": run["id"],
                    }
                    for i in range(1000)
                ]
            ).encode()
            logs = Counter()
            result["log_records_per_s"] = round(
                rate(
                    url, lambda i: build_request(url, "POST", "/api/logs/", logs_body), 10, 1, logs
                )
                * 1000,
                0,
            )
            result["log_errors"] = logs.errors
            result["busy_rss_mb"] = round(server.rss_mb(), 1)

            if args.flow_tasks:
                script = root / "many_tasks.py"
                script.write_text(FLOW)
                env = prefect_env(root / "client-home")
                env["PREFECT_API_URL"] = f"{url}/api"
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, str(script), str(args.flow_tasks)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode == 0:
                    seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
                    result["flow_tasks"] = args.flow_tasks
                    result["flow_with_server_s"] = round(seconds, 3)
                    result["flow_process_s"] = round(time.perf_counter() - started, 3)
                else:
                    result["flow_error"] = done.stderr[-2000:]
        finally:
            server.stop()
        log = server.log()
        result["database_locked_in_log"] = log.count("database is locked")
        if os.environ.get("KEEP_PREFECT_LOG"):
            Path(os.environ["KEEP_PREFECT_LOG"]).write_text(log)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
