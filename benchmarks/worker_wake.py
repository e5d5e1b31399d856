"""How soon a waiting worker hears of new work; prints one JSON object.

A worker's long-poll (``POST /api/work_pools/{pool}/get_scheduled_flow_runs`` with
``wait_seconds``) waits on the server's work notifier; creating a deployment run
wakes it.  Measured: from just before ``POST /deployments/{id}/create_flow_run`` to
the waiting claim's answer carrying that run, N times, median and p95, for the
checkout this script runs from and, with ``--against DIR``, another checkout (e.g.
``/work/main``) started the same way in the same run (a ratio, not an absolute).
A notifier that did not wake the claim shows up as the server's recheck period
(``RECHECK_SECONDS``, 0.5 s) on average.

Usage: ``python benchmarks/worker_wake.py [--runs 30] [--against /work/main]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import Server, free_port


def _server(checkout: Path, home: Path) -> tuple[Server, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), PYTHONPATH=str(checkout))
    command = [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    server = Server(command, env, f"{url}/api/health", home / "server.log")
    return server, f"{url}/api"


def _measure(api_url: str, runs: int) -> list[float]:
    with httpx.Client(base_url=api_url, timeout=30) as api:
        pool = f"wake-{os.getpid()}"
        api.post("/work_pools", json={"name": pool}).raise_for_status()
        made = api.post(
            "/deployments",
            json={
                "flow_name": "wake-bench",
                "name": "d",
                "entrypoint": "flows.py:f",
                "work_pool_name": pool,
            },
        )
        made.raise_for_status()
        deployment_id = made.json()["id"]
        times = []
        for _ in range(runs):
            answer: dict[str, Any] = {}

            def wait(answer: dict[str, Any] = answer) -> None:
                with httpx.Client(base_url=api_url, timeout=30) as other:
                    response = other.post(
                        f"/work_pools/{pool}/get_scheduled_flow_runs",
                        json={"worker_name": "w", "wait_seconds": 10, "limit": 5},
                    )
                    answer["at"] = time.perf_counter()
                    answer["runs"] = response.json()["flow_runs"]

            thread = threading.Thread(target=wait)
            thread.start()
            time.sleep(0.3)  # the claim is waiting
            started = time.perf_counter()
            api.post(f"/deployments/{deployment_id}/create_flow_run", json={}).raise_for_status()
            thread.join(15)
            assert len(answer["runs"]) == 1, answer
            times.append(answer["at"] - started)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--against", type=Path, default=None)
    args = parser.parse_args()
    checkouts = {"this": Path(__file__).resolve().parent.parent}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    out: dict[str, Any] = {"runs": args.runs}
    for label, checkout in checkouts.items():
        with tempfile.TemporaryDirectory() as tmp:
            server, api_url = _server(checkout, Path(tmp))
            server.start()
            try:
                out[label] = {"checkout": str(checkout), **_summary(_measure(api_url, args.runs))}
            finally:
                server.stop()
    if "against" in out:
        out["median_ratio"] = round(out["this"]["median_ms"] / out["against"]["median_ms"], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
