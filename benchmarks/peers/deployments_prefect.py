"""Prefect 3's dispatch latency with ``flow.serve`` (the twin of
``benchmarks/deployments.py``'s ``dispatch_serve_s``); prints one JSON object.

From just before ``run_deployment(name, timeout=0)`` to the first line of the flow
body, with an idle serve process, at Prefect's default runner poll
(``PREFECT_RUNNER_POLL_FREQUENCY``) and polling every second.  Prefect has no
equivalent of the scheduler-pass or claim-throughput figures measured on one call,
so only dispatch is compared.

    benchmarks/peers/.venv-prefect/bin/python benchmarks/peers/deployments_prefect.py --runs 5
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server_proc import free_port
from server_prefect import prefect_env, prefect_server

FLOW = """
import time

from prefect import flow


@flow
def first_line(marker: str) -> None:
    now = time.time()
    with open(marker, "w") as handle:
        handle.write(repr(now))


if __name__ == "__main__":
    first_line.serve("bench")
"""

MEASURE = """
import json, os, sys, time
from prefect.deployments import run_deployment
out = []
for i in range(int(sys.argv[1])):
    marker = os.path.join(sys.argv[2], f"m{sys.argv[3]}{i}")
    time.sleep(1.5)
    start = time.time()
    run_deployment("first-line/bench", parameters={"marker": marker}, timeout=0)
    deadline = time.time() + 120
    while (not os.path.exists(marker) or not open(marker).read()) and time.time() < deadline:
        time.sleep(0.01)
    out.append(float(open(marker).read()) - start)
print(json.dumps(out))
"""


def measure(root: Path, env: dict[str, str], runs: int, label: str, poll: str | None) -> dict:
    serve_env = dict(env)
    if poll is not None:
        serve_env["PREFECT_RUNNER_POLL_FREQUENCY"] = poll
    with (root / f"serve-{label}.log").open("ab") as log:
        serve = subprocess.Popen(
            [sys.executable, "flows.py"], env=serve_env, cwd=root, stdout=log, stderr=log
        )
    try:
        time.sleep(15)  # registration
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(runs), str(root), label],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if done.returncode != 0:
            return {"error": done.stderr[-2000:]}
        samples = json.loads(done.stdout.strip().splitlines()[-1])
        return {
            "median": round(statistics.median(samples), 3),
            "max": round(max(samples), 3),
            "runs": len(samples),
        }
    finally:
        serve.terminate()
        serve.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import importlib.metadata

    result: dict = {"tool": "prefect", "version": importlib.metadata.version("prefect")}
    with tempfile.TemporaryDirectory(prefix="prefect-deploy-bench-") as tmp:
        root = Path(tmp)
        (root / "flows.py").write_text(FLOW)
        port = free_port()
        server = prefect_server(root, port)
        server.start()
        try:
            env = prefect_env(root)
            env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
            result["dispatch_serve_default_poll_s"] = measure(root, env, args.runs, "d", None)
            result["dispatch_serve_poll_1s_s"] = measure(root, env, args.runs, "f", "1")
        finally:
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("DO_NOT_TRACK", "1")
    main()
