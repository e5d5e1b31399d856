"""Headwater's server: start to healthy, idle RSS, flow-run creates/s, bulk ingestion/s.

Prints one JSON object.  Every figure comes from a real `headwater server start`
process on SQLite (the default store) in a fresh temporary HEADWATER_HOME:

- ``start_cold_s``: process start until /api/health answers, on a new home (the
  store is created); ``start_warm_s``: the same on an existing store (median).
- ``idle_rss_mb``: resident memory of the server after some requests and 2 s idle.
- ``flow_run_creates_per_s``: POST /api/flow_runs from one client keeping 10
  requests in flight (a small asyncio HTTP/1.1 load generator, see _http_load.py,
  used for the Prefect peer too); ``database_locked_errors`` counts "database is
  locked" in the server's log afterwards (and 5xx answers, which must be 0).
- ``task_run_records_per_s`` / ``log_records_per_s``: records per second through
  the bulk endpoints, 1,000 records per request, as the batching writer sends them.

    python benchmarks/server_api.py [--creates 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http_load import build_request, run_load
from _server_proc import Server, free_port


def headwater_server(home: Path, port: int) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env["HEADWATER_HOME"] = str(home)
    command = [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/api/health"
    return Server(command, env, url, home / "server.log")


class Counter:
    def __init__(self) -> None:
        self.errors = 0
        self.statuses: dict[int, int] = {}

    def __call__(self, status: int, body: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 400 or status == 0:  # 0: the server dropped the connection
            self.errors += 1


def measure_creates(url: str, total: int, concurrency: int = 10) -> tuple[float, Counter]:
    counter = Counter()
    flow = f"bench-{uuid.uuid4().hex[:6]}"

    def request(i: int) -> bytes:
        body = {"flow_name": flow, "name": f"run-{i}", "state": {"type": "SCHEDULED"}}
        return build_request(url, "POST", "/api/flow_runs", body)

    asyncio.run(run_load(url, request, 20, concurrency, counter))  # warm-up
    before = counter.errors
    elapsed = asyncio.run(run_load(url, request, total, concurrency, counter))
    return (total - (counter.errors - before)) / elapsed, counter  # successful creates


def _merged(all_statuses: Any) -> dict[int, int]:
    merged: dict[int, int] = {}
    for statuses in all_statuses:
        for status, n in statuses.items():
            merged[status] = merged.get(status, 0) + n
    return merged


def task_record(flow_run_id: str, now: float, i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "flow_run_id": flow_run_id,
        "task_key": "noop-4f2a",
        "dynamic_key": str(i),
        "name": f"noop-{i}",
        "state_type": "COMPLETED",
        "state_name": "Completed",
        "state_message": None,
        "state_timestamp": now,
        "transitions": [],
        "tags": [],
        "inputs": {"x": [str(uuid.uuid4())]},
        "run_count": 1,
        "flow_run_attempt": 1,
        "cache_key": None,
        "start_time": now,
        "end_time": now,
        "created": now,
        "updated": now,
    }


def log_record(flow_run_id: str, now: float, i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "flow_run_id": flow_run_id,
        "task_run_id": None,
        "name": "headwater.task_runs",
        "level": 20,
        "message": f"Finished in state Completed() ({i})",
        "timestamp": now,
    }


def measure_bulk(url: str, path: str, make: Any, batches: int, size: int = 1000) -> float:
    import urllib.request

    body = json.dumps({"flow_name": "bulk-bench", "state": {"type": "RUNNING"}}).encode()
    request = urllib.request.Request(
        f"{url}/api/flow_runs", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        flow_run_id = json.loads(response.read())["id"]
    now = time.time()
    bodies = [
        json.dumps([make(flow_run_id, now, b * size + i) for i in range(size)]).encode()
        for b in range(batches + 1)
    ]
    counter = Counter()
    asyncio.run(
        run_load(url, lambda i: build_request(url, "POST", path, bodies[-1]), 1, 1, counter)
    )
    elapsed = asyncio.run(
        run_load(url, lambda i: build_request(url, "POST", path, bodies[i]), batches, 1, counter)
    )
    if counter.errors:
        raise RuntimeError(f"bulk requests failed: {counter.statuses}")
    return batches * size / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=3000, help="flow runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is kept)")
    parser.add_argument("--starts", type=int, default=3, help="server starts timed")
    parser.add_argument("--batches", type=int, default=20, help="bulk requests per kind")
    args = parser.parse_args()

    from headwater import __version__

    result: dict[str, Any] = {
        "tool": "headwater",
        "version": __version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg()[0],
        "store": "sqlite (default)",
        "client": "asyncio HTTP/1.1 load generator, one process, 10 requests in flight",
    }
    with tempfile.TemporaryDirectory(prefix="hw-server-bench-") as tmp:
        root = Path(tmp)
        cold = []
        for i in range(args.starts):
            server = headwater_server(root / f"cold-{i}", free_port())
            (root / f"cold-{i}").mkdir()
            cold.append(server.start())
            server.stop()
        home = root / "main"
        home.mkdir()
        port = free_port()
        server = headwater_server(home, port)
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
            rates = []
            counters = []
            for _ in range(args.rounds):
                rate, counter = measure_creates(url, args.creates)
                rates.append(rate)
                counters.append(counter)
            result["flow_run_creates_per_s"] = round(statistics.median(rates), 1)
            result["flow_run_creates_per_s_rounds"] = [round(r, 1) for r in rates]
            result["flow_run_create_errors"] = sum(c.errors for c in counters)
            result["flow_run_create_statuses"] = _merged(c.statuses for c in counters)
            result["task_run_records_per_s"] = round(
                measure_bulk(url, "/api/task_runs/bulk", task_record, args.batches), 0
            )
            result["log_records_per_s"] = round(
                measure_bulk(url, "/api/logs/bulk", log_record, args.batches), 0
            )
            result["busy_rss_mb"] = round(server.rss_mb(), 1)
        finally:
            server.stop()
        log = server.log()
        result["database_locked_errors"] = log.count("database is locked")
        result["server_5xx_logged"] = log.count(" 500 ") + log.count("Internal Server Error")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
