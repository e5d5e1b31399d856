"""Run every Headwater benchmark (without the Prefect peers) and print one JSON object.

    python benchmarks/run_all.py [--quick]

``--quick`` uses small sizes (a smoke run in well under a minute); the default sizes
are the ones the issues' targets are stated for.  Each script's own JSON is kept under
its name; a script that fails is reported with its error instead of stopping the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

FULL: dict[str, list[str]] = {
    "workloads": ["--n", "10000", "--rss-tasks", "100000"],
    "results_cache": ["--n", "10000"],
    "blocks": ["100"],
    "server_api": [],
    "server_flow": [],
    "ui_pages": [],
    "task_runners": [],
    "task_workers": [],
}
QUICK: dict[str, list[str]] = {
    "workloads": ["--n", "1000", "--rss-tasks", "2000"],
    "results_cache": ["--n", "1000"],
    "blocks": ["20"],
    "server_api": ["--creates", "300"],
    "server_flow": ["--n", "1000", "--repeats", "1"],
    "ui_pages": ["--runs", "5000", "--repeats", "5"],
    "task_runners": ["--n", "200", "--dask-n", "500", "--ray-n", "200"],
    "task_workers": ["--samples", "10", "--tasks", "200"],
}


def run(name: str, args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}", "stderr": done.stderr[-2000:]}
    text = done.stdout.strip()
    start = text.find("{")
    try:
        return dict(json.loads(text[start:]))
    except ValueError:
        return {"error": "no JSON in the output", "stdout": text[-2000:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    options = parser.parse_args()
    plan = QUICK if options.quick else FULL
    out = {}
    for name, args in plan.items():
        print(f"[run_all] {name} {' '.join(args)}", file=sys.stderr, flush=True)
        out[name] = run(name, args)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
