"""The 10,000-task flow reporting to a Headwater server vs. the embedded store.

Prints one JSON object.  Each run is a fresh process: a warm-up flow, then the timed
call of a flow that calls a trivial task N times (``--n``, 10,000).  The flow call
includes flushing every task-run record and log line to the store (the engine does
so before it sets the final state), so the server figure pays for the HTTP bulk
writes and the server's inserts; the server runs on the same machine (SQLite).
Embedded and server runs alternate; ``server_over_embedded`` is the median of the
ratios of each pair.

    python benchmarks/server_flow.py [--n 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import Server, free_port

FLOW = """
import json, sys, time
from headwater import flow, task

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


def run_flow(script: Path, n: int, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, str(script), str(n)], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    base_env["HEADWATER_LOGGING_CONSOLE"] = "false"
    result: dict[str, Any] = {"n": args.n, "load_avg_at_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="hw-flow-bench-") as tmp:
        root = Path(tmp)
        script = root / "many_tasks.py"
        script.write_text(FLOW)
        embedded: list[float] = []
        served: list[float] = []
        server_home = root / "server"
        server_home.mkdir()
        port = free_port()
        server_env = {**base_env, "HEADWATER_HOME": str(server_home)}
        command = [sys.executable, "-m", "headwater", "server", "start", "--port", str(port)]
        server = Server(
            command, server_env, f"http://127.0.0.1:{port}/api/health", server_home / "log"
        )
        server.start()
        try:
            for i in range(args.repeats):  # alternate, so load changes hit both alike
                home = root / f"embedded-{i}"
                embedded.append(run_flow(script, args.n, {**base_env, "HEADWATER_HOME": str(home)}))
                client_env = {
                    **base_env,
                    "HEADWATER_HOME": str(root / f"client-{i}"),
                    "HEADWATER_API_URL": f"http://127.0.0.1:{port}/api",
                }
                served.append(run_flow(script, args.n, client_env))
        finally:
            server.stop()
        result["embedded_s"] = round(statistics.median(embedded), 3)
        result["server_s"] = round(statistics.median(served), 3)
        result["embedded_runs_s"] = [round(s, 3) for s in embedded]
        result["server_runs_s"] = [round(s, 3) for s in served]
        # Each server run is paired with the embedded run just before it, so a change
        # in the machine's load (it is shared) hits both sides of a ratio alike.
        paired = [s / e for s, e in zip(served, embedded, strict=True)]
        result["server_over_embedded"] = round(statistics.median(paired), 2)
        result["server_over_embedded_pairs"] = [round(r, 2) for r in paired]
        result["server_over_embedded_of_medians"] = round(
            result["server_s"] / result["embedded_s"], 2
        )
        result["server_task_us"] = round(result["server_s"] / args.n * 1e6, 1)
        result["embedded_task_us"] = round(result["embedded_s"] / args.n * 1e6, 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
